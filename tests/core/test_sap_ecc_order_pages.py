"""SAP purchase orders handed on in pages of whole orders (assets/sap_ecc.whole_orders): a page's lines fit the
batches its headers do, and no order is split across pages, whatever the order of the rows read; a table's day
handed on as SAP pages it."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pandas as pd
from ml_connector_dagster.assets import sap_ecc
from ml_connector_dagster.assets.extract import Read
from ml_connector_dagster.assets.sap_ecc import whole_orders


def header(ebeln: str, version: int = 1) -> dict:
    return {"EBELN": ebeln, "version": version}


def items(ebeln: str, count: int) -> list[dict]:
    return [{"EBELN": ebeln, "EBELP": f"{10 * n:05d}"} for n in range(1, count + 1)]


def orders_of(page) -> list[str]:
    return [row["EBELN"] for row in page["EKKO"]]


def test_pages_hold_whole_orders_of_at_most_so_many_items_and_a_bigger_order_alone():
    lines = items("1", 2) + items("2", 3) + items("3", 7) + items("4", 1)
    pages = list(whole_orders([header(e) for e in "1234"], lines[::-1], most_items=5))
    assert [orders_of(page) for page in pages] == [["1", "2"], ["3"], ["4"]]
    for page in pages:
        assert {item["EBELN"] for item in page["EKPO"]} <= set(orders_of(page))
        assert len(page["EKPO"]) <= 5 or len(page["EKKO"]) == 1
    assert sorted(len(page["EKPO"]) for page in pages) == [1, 5, 7]


def test_a_header_read_twice_is_its_last_version_once_and_items_without_a_header_are_kept():
    [page] = whole_orders([header("1"), header("1", 2)], items("1", 2) + items("9", 1), most_items=5)
    assert page["EKKO"] == [header("1", 2)] and len(page["EKPO"]) == 3


class PagedReader:
    """SAP answering each select with two pages of rows, as RFC_READ_TABLE's ROWSKIPS or Gateway's paging do; the
    selects asked so far, and the pages handed out, are counted."""

    def __init__(self):
        self.pages_read = 0

    def select(self, select):
        for page in range(2):
            self.pages_read += 1
            yield from ({"LIFNR": f"{page}{n:09d}", "table": select.table} for n in range(3))


def test_a_tables_day_is_handed_on_as_sap_pages_it_and_counted_once_read():
    reader = PagedReader()
    changes = pd.DataFrame({"OBJECTCLAS": ["KRED", "KRED"], "OBJECTID": ["0000000007", "0000000008"]})
    read = Read(
        SimpleNamespace(server_time_zone="Europe/Berlin"),
        reader,
        "2026-12-01",
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2026, 12, 2, tzinfo=UTC),
        {"changes": changes},
    )
    rows = sap_ecc._table_read(sap_ecc.TABLES[0])(read)
    first = next(iter(rows))
    # the first row goes on before the rest of the day is read: the extract spools pages as they come
    assert first["table"] == "LFA1" and reader.pages_read == 1
    assert len(list(rows)) == 11 and reader.pages_read == 4
    assert read.metadata == {"created_that_day": 6, "changed_that_day": 6}
