"""SAP purchase orders handed on in pages of whole orders (assets/sap_ecc.whole_orders): a page's lines fit the
batches its headers do, and no order is split across pages, whatever the order of the rows read."""

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
