"""What a payload asset needs to map one input a page at a time when its records need rows of another input
(spool.py): another input's rows looked up on disk by a column (RowsBy), and several inputs' pages read one after
another (pages_of over chained pages)."""

from itertools import chain

import pandas as pd

from ml_connector_dagster.spool import RowsBy, pages_of, spooled


def lines(*rows: tuple[str, str | None, int]) -> pd.DataFrame:
    return pd.DataFrame([{"Id": i, "DealId": deal, "Quantity": q} for i, deal, q in rows], dtype=object)


def test_the_rows_of_a_value_spread_over_pages_come_back_together_in_the_order_they_were_read():
    pages = spooled(
        [lines(("l1", "d1", 1), ("l2", "d2", 2)), lines(("l3", "d1", 3), ("l4", None, 4)), lines(("l5", "d3", 5))]
    )
    try:
        with RowsBy(pages_of(pages), "DealId") as by_deal:
            found = by_deal.frame(["d1", "d3"])
            assert found.to_dict("records") == [
                {"Id": "l1", "DealId": "d1", "Quantity": 1},
                {"Id": "l3", "DealId": "d1", "Quantity": 3},
                {"Id": "l5", "DealId": "d3", "Quantity": 5},
            ]
            nothing = by_deal.frame(["d9"])
            assert nothing.empty and list(nothing.columns) == ["Id", "DealId", "Quantity"]
    finally:
        pages.remove()


def test_chained_inputs_are_read_a_page_at_a_time_not_as_one_value():
    first, second = spooled([lines(("a", "d1", 1)), lines(("b", "d2", 2))]), spooled([lines(("c", "d3", 3))])
    try:
        read = list(pages_of(chain(pages_of(first), pages_of(second))))
        assert [list(page["Id"]) for page in read] == [["a"], ["b"], ["c"]]
    finally:
        first.remove()
        second.remove()
