"""Reading Procore: bare-array pages followed by their `Link` header until no `next`, bracket filters (an updated
window read as start <= updated_at < end, ids as an array a hundred at a time, an origin_id), and the requisition and
change order reads the pair's extracts use."""

from datetime import UTC, datetime

import httpx
from ml_connector_dagster.resources.procore.client import filter_params

from tests.resources.procore_fake import FakeProcore, connected


def test_pages_are_followed_by_their_link_header_until_there_is_no_next():
    fake = FakeProcore()
    for n in range(7):
        fake.seed("vendors", None, name=f"Vendor {n}")
    with connected(fake, page_size=3) as client:
        vendors = client.vendors()
        assert next(vendors)["name"] == "Vendor 0" and len(fake.calls) == 1, "pages are read as they are consumed"
        assert [v["name"] for v in vendors] == [f"Vendor {n}" for n in range(1, 7)]
    assert [call.url.params["page"] for call in fake.calls] == ["1", "2", "3"]
    assert all(call.url.params["per_page"] == "3" for call in fake.calls)
    assert all(call.url.params["company_id"] == "4262" for call in fake.calls), "the next link keeps the query"


def test_a_window_is_a_range_filter_and_what_was_updated_at_its_end_belongs_to_the_next_window():
    fake = FakeProcore()
    for stamp in ("2026-10-31T23:59:59Z", "2026-11-01T00:00:00Z", "2026-11-01T12:00:00Z", "2026-11-02T00:00:00Z"):
        fake.seed("requisitions", 101, updated_at=stamp, status="approved")
    day = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC))
    with connected(fake) as client:
        found = list(client.requisitions(101, updated=day))
    assert [r["updated_at"] for r in found] == ["2026-11-01T00:00:00Z", "2026-11-01T12:00:00Z"]
    [call] = fake.calls
    assert call.url.params["filters[updated_at]"] == "2026-11-01T00:00:00Z...2026-11-02T00:00:00Z"
    assert call.url.params["project_id"] == "101"


def test_ids_are_an_array_filter_read_a_hundred_at_a_time_and_none_reads_nothing():
    fake = FakeProcore()
    rows = [fake.seed("commitment_change_orders", 102, status="approved") for _ in range(150)]
    with connected(fake) as client:
        assert list(client.change_orders(102, ids=[])) == [] and fake.calls == []
        found = list(client.change_orders(102, ids=[row["id"] for row in rows]))
    assert len(found) == 150
    assert [len(call.url.params.get_list("filters[id][]")) for call in fake.calls] == [100, 50]


def test_filters_render_in_procores_bracket_syntax():
    assert filter_params(
        {"origin_id": "V-1", "id": [1, 2], "updated_at": (datetime(2026, 1, 1), datetime(2026, 1, 2))}
    ) == {
        "filters[origin_id]": "V-1",
        "filters[id][]": ["1", "2"],
        "filters[updated_at]": "2026-01-01T00:00:00Z...2026-01-02T00:00:00Z",
    }
    request = httpx.Request("GET", "https://api.procore.com/x", params=filter_params({"id": [1, 2]}))
    assert request.url.query == b"filters%5Bid%5D%5B%5D=1&filters%5Bid%5D%5B%5D=2"


def test_single_records_and_a_requisitions_detail_lines_are_read_in_their_project():
    fake = FakeProcore()
    requisition = fake.seed("requisitions", 101, number=1, status="approved")
    order = fake.seed("commitment_change_orders", 101, number="CCO-1", grand_total="100.00")
    contract = fake.seed("purchase_order_contracts", 101, number="PO-1")
    fake.seed(f"purchase_order_contracts/{contract['id']}/line_items", 101, amount="50.00", cost_code_id=7)
    detail = [{"id": 1, "cost_code_id": 7, "work_completed_this_period": "50.00"}]
    fake.api = lambda request: httpx.Response(200, json=detail) if request.url.path.endswith("/detail") else None
    with connected(fake) as client:
        assert client.requisition(101, requisition["id"])["number"] == 1
        assert client.change_order(101, order["id"])["grand_total"] == "100.00"
        assert client.contract(101, contract["id"])["number"] == "PO-1"
        assert [line["amount"] for line in client.contract_line_items(101, contract["id"])] == ["50.00"]
        assert client.requisition_items(101, requisition["id"]) == detail
    assert fake.calls[-1].url.path == f"/rest/v1.0/requisitions/{requisition['id']}/detail"
    assert {call.url.params["project_id"] for call in fake.calls} == {"101"}
