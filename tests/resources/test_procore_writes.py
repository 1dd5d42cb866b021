"""Writing Procore through its sync actions: one call per 1,000 entries matched on origin_id (the source key), each
entry's own answer read from the always-200 reply, references by source key sent as Procore ids (a parent written in
the same call first), a contract's line items synced after its header, a contract moved to another project voided
where it was, and the ledger's ids checked by reading them."""

import threading
import tracemalloc

import httpx
import pytest

from ml_connector_dagster.http import ApiError
from ml_connector_dagster.ledger import ErrorClass
from ml_connector_dagster.loading import TargetRecord, WriteResult
from tests.resources.procore_fake import COMPANY, FakeProcore, connected, sent


def syncs(fake: FakeProcore) -> list[httpx.Request]:
    return [call for call in fake.calls if call.method == "PATCH"]


def test_vendors_are_synced_on_their_origin_id_a_thousand_a_call():
    fake = FakeProcore()
    records = [TargetRecord(f"V{n}", {"name": f"Vendor {n}", "is_active": True}) for n in range(2500)]
    with connected(fake) as client:
        results = client.upsert("vendors", records)
        again = client.upsert("vendors", [TargetRecord("V7", {"name": "Vendor 7 Ltd"})])
    calls = syncs(fake)
    assert [(call.url.path, len(sent(call)["updates"])) for call in calls] == [
        ("/rest/v1.0/vendors/sync", 1000),
        ("/rest/v1.0/vendors/sync", 1000),
        ("/rest/v1.0/vendors/sync", 500),
        ("/rest/v1.0/vendors/sync", 1),
    ]
    assert sent(calls[0])["company_id"] == COMPANY
    assert sent(calls[0])["updates"][0] == {"name": "Vendor 0", "is_active": True, "origin_id": "V0"}
    assert all(result.ok for result in results) and len(results) == 2500
    v7 = next(result for result in results if result.source_key == "V7")
    assert again == [WriteResult("V7", True, v7.target_id)], "the same record, found by its origin_id"
    assert len(fake.table("vendors")) == 2500


def test_each_refused_entry_is_its_records_result_with_procores_reasons():
    fake = FakeProcore()
    fake.refuse = lambda collection, entry: (
        {"name": ["can't be blank"], "zip": ["is invalid"]}
        if not entry.get("name")
        else {"origin_id": ["has already been taken"]}
        if entry["origin_id"] == "V3"
        else None
    )
    records = [
        TargetRecord("V1", {"name": "Acme"}),
        TargetRecord("V2", {"name": ""}),
        TargetRecord("V3", {"name": "X"}),
    ]
    with connected(fake) as client:
        by_key = {result.source_key: result for result in client.upsert("vendors", records)}
    assert by_key["V1"].ok and by_key["V1"].target_id.isdigit()
    assert by_key["V2"] == WriteResult(
        "V2",
        False,
        error_class=ErrorClass.VALIDATION,
        error_code="procore:name",
        error_message="name: can't be blank; zip: is invalid",
    )
    assert (by_key["V3"].error_class, by_key["V3"].error_code) == (ErrorClass.CONFLICT, "procore:origin_id")


def test_references_by_source_key_are_sent_as_procore_ids_found_once_per_session():
    fake = FakeProcore()
    acme = fake.seed("vendors", None, origin_id="V1", name="Acme")
    contracts = [
        TargetRecord("PO-1", {"project_id": 101, "title": "Steel", "vendor_id": {"origin_id": "V1"}}),
        TargetRecord("PO-2", {"project_id": 101, "title": "Glass", "vendor_id": {"origin_id": "V9"}}),
    ]
    with connected(fake) as client:
        first = {result.source_key: result for result in client.upsert("purchase_order_contracts", contracts)}
        client.upsert("vendors", [TargetRecord("V2", {"name": "Beta"})])
        client.upsert(
            "purchase_order_contracts", [TargetRecord("PO-3", {"project_id": 102, "vendor_id": {"origin_id": "V2"}})]
        )
        client.upsert(
            "purchase_order_contracts", [TargetRecord("PO-4", {"project_id": 102, "vendor_id": {"origin_id": "V1"}})]
        )
    lookups = [call.url.params["filters[origin_id]"] for call in fake.calls if call.method == "GET"]
    assert lookups == ["V1", "V9"], "V1 is read once, V2 is known from its write"
    header_syncs = [sent(call) for call in syncs(fake) if call.url.path.endswith("purchase_order_contracts/sync")]
    assert header_syncs[0] == {
        "project_id": 101,
        "updates": [{"title": "Steel", "vendor_id": acme["id"], "origin_id": "PO-1"}],
    }, "the project scopes the call; the reference is the vendor's id"
    assert first["PO-1"].target_id == f"101:{fake.table('purchase_order_contracts', 101)[0]['id']}"
    assert first["PO-2"].error_class == ErrorClass.DEPENDENCY and first["PO-2"].error_code == "procore:reference"
    assert "vendor_id: Procore has no vendors with origin_id V9" in first["PO-2"].error_message
    assert len(header_syncs) == 3, "PO-2 was not sent"


def test_a_cost_code_whose_parent_is_in_the_same_call_is_sent_after_it_with_its_id():
    fake = FakeProcore()
    records = [
        TargetRecord("01-5100", {"project_id": 101, "code": "5100", "name": "Labor", "parent_id": {"origin_id": "01"}}),
        TargetRecord("01", {"project_id": 101, "code": "01", "name": "General Requirements"}),
    ]
    with connected(fake) as client:
        results = {result.source_key: result for result in client.upsert("cost_codes", records)}
    parent_call, child_call = syncs(fake)
    assert [entry["origin_id"] for entry in sent(parent_call)["updates"]] == ["01"]
    parent_id = int(results["01"].target_id.split(":")[1])
    assert sent(child_call)["updates"] == [
        {"code": "5100", "name": "Labor", "parent_id": parent_id, "origin_id": "01-5100"}
    ]
    assert child_call.url.params["project_id"] == "101" and sent(child_call)["project_id"] == 101
    assert not [call for call in fake.calls if call.method == "GET"], "the parent's id came from its own write"
    assert all(result.ok for result in results.values())


def test_a_contracts_line_items_are_synced_after_its_header_with_their_cost_codes_ids():
    fake = FakeProcore()
    code = fake.seed("cost_codes", 101, origin_id="01-5100", full_code="01-5100")
    line = {
        "origin_id": "PO-1/1",
        "description": "Rebar",
        "amount": "1200.00",
        "cost_code_id": {"origin_id": "01-5100"},
    }
    records = [
        TargetRecord("PO-1", {"project_id": 101, "title": "Steel", "status": "approved", "line_items": [line]}),
        TargetRecord("PO-2", {"project_id": 101, "title": "No lines"}),
    ]
    with connected(fake) as client:
        results = {result.source_key: result for result in client.upsert("purchase_order_contracts", records)}
    header, lines, status = syncs(fake)
    assert [entry.get("line_items") for entry in sent(header)["updates"]] == [None, None], "lines are not a field"
    # an approved commitment's lines are locked: written as a draft, its lines synced, then approved
    assert sent(header)["updates"][0]["status"] == "draft"
    contract_id = results["PO-1"].target_id.split(":")[1]
    assert lines.url.path == f"/rest/v1.0/purchase_order_contracts/{contract_id}/line_items/sync"
    assert lines.url.params["project_id"] == "101"
    assert sent(lines) == {"updates": [{**line, "cost_code_id": code["id"]}]}
    assert sent(status)["updates"] == [{"id": int(contract_id), "status": "approved", "executed": False}]
    assert results["PO-1"].ok and results["PO-2"].ok


def test_a_batchs_projects_are_written_side_by_side_and_each_records_result_is_its_own():
    projects = [101, 102, 103]
    # Each project's header sync waits until every project's is on the wire: written one project after another, the
    # first would wait for the others forever (the barrier breaks instead).
    headers_in_flight = threading.Barrier(len(projects), timeout=30)

    def together(request: httpx.Request) -> None:
        if request.method == "PATCH" and request.url.path.endswith("purchase_order_contracts/sync"):
            headers_in_flight.wait()

    fake = FakeProcore(api=together)
    fake.refuse = lambda collection, entry: {"title": ["can't be blank"]} if entry.get("title") == "" else None
    records = [
        TargetRecord(f"PO-{project}-{n}", {"project_id": project, "title": "" if n == 1 and project == 102 else "PO"})
        for project in projects
        for n in range(3)
    ]
    with connected(fake, max_parallel_batches=4) as client:
        results = {result.source_key: result for result in client.upsert("purchase_order_contracts", records)}
    assert len(syncs(fake)) == len(projects), "one header sync per project"
    assert sorted(results) == sorted(record.source_key for record in records)
    assert [key for key, result in results.items() if not result.ok] == ["PO-102-1"]
    assert results["PO-102-1"].error_code == "procore:title"
    assert all(results[f"PO-{p}-0"].target_id.startswith(f"{p}:") for p in projects)


def test_a_contract_whose_lines_procore_holds_already_is_written_without_them():
    fake = FakeProcore()
    contract = fake.seed("purchase_order_contracts", 101, origin_id="PO-1", status="approved")
    fake.seed(f"purchase_order_contracts/{contract['id']}/line_items", 101, origin_id="PO-1/1", amount="1200.0",
              quantity="10.0", description="Rebar")  # fmt: skip
    line = {"origin_id": "PO-1/1", "description": "Rebar", "amount": "1200.00", "quantity": "10"}
    record = TargetRecord("PO-1", {"project_id": 101, "title": "Steel v2", "status": "approved", "line_items": [line]})
    with connected(fake) as client:
        [result] = client.upsert("purchase_order_contracts", [record])
    [header] = syncs(fake)
    assert result.ok and sent(header)["updates"][0]["status"] == "approved", "no detour through draft"


def test_a_refused_line_item_fails_its_contract_which_keeps_its_procore_id():
    fake = FakeProcore()
    fake.refuse = lambda collection, entry: (
        {"amount": ["must be a number"]} if collection.endswith("line_items") else None
    )
    line = {"origin_id": "PO-1/1", "amount": "twelve"}
    with connected(fake) as client:
        [result] = client.upsert(
            "purchase_order_contracts", [TargetRecord("PO-1", {"project_id": 101, "line_items": [line]})]
        )
    assert not result.ok and result.target_id.startswith("101:")
    assert (result.error_class, result.error_code) == (ErrorClass.VALIDATION, "procore:line_items.amount")
    assert result.error_message == "line PO-1/1: amount: must be a number"


def test_a_contract_moved_to_another_project_is_removed_where_it_was_first():
    fake = FakeProcore()
    old = fake.seed("purchase_order_contracts", 102, origin_id="PO-1", status="approved")
    records = [
        TargetRecord("PO-1", {"project_id": 101, "status": "approved", "moved_from": f"102:{old['id']}"}),
        TargetRecord("PO-2", {"project_id": 101, "moved_from": "102:999999"}),  # already gone
        TargetRecord("PO-3", {"project_id": 101, "moved_from": "PO-3 in Depot Yard"}),
    ]
    with connected(fake) as client:
        results = {result.source_key: result for result in client.upsert("purchase_order_contracts", records)}
    deletes = [call for call in fake.calls if call.method == "DELETE"]
    assert [(call.url.path.rsplit("/", 1)[1], call.url.params["project_id"]) for call in deletes] == [
        (str(old["id"]), "102"),
        ("999999", "102"),
    ]
    assert not fake.table("purchase_order_contracts", 102)
    [header] = syncs(fake)
    assert sent(header) == {
        "project_id": 101,
        "updates": [{"status": "approved", "origin_id": "PO-1"}, {"origin_id": "PO-2"}],
    }
    assert results["PO-1"].ok and results["PO-1"].target_id.startswith("101:") and results["PO-2"].ok
    assert (results["PO-3"].error_class, results["PO-3"].error_code) == (ErrorClass.VALIDATION, "procore:moved_from")


def test_a_contract_whose_old_one_cannot_be_removed_is_not_written():
    fake = FakeProcore()
    old = fake.seed("purchase_order_contracts", 102, origin_id="PO-1", status="approved")
    fake.refuse = lambda collection, entry: (
        {"base": ["cannot be deleted while it has requisitions or change orders"]}
        if collection.endswith("#delete")
        else None
    )
    record = TargetRecord("PO-1", {"project_id": 101, "moved_from": f"102:{old['id']}"})
    with connected(fake) as client:
        [result] = client.upsert("purchase_order_contracts", [record])
    assert not syncs(fake) and not fake.table("purchase_order_contracts", 101)
    assert not result.ok and "could not be removed from its old project" in result.error_message
    assert "requisitions" in result.error_message


def test_a_call_refused_as_a_whole_fails_its_records_and_a_failing_server_fails_the_run():
    fake = FakeProcore()
    fake.api = lambda request: httpx.Response(404, json={"errors": "Project not found"})
    records = [TargetRecord("01", {"project_id": 999, "code": "01"}), TargetRecord("02", {"code": "02"})]
    with connected(fake) as client:
        by_key = {result.source_key: result for result in client.upsert("cost_codes", records)}
    assert by_key["01"].error_class == ErrorClass.VALIDATION and "Project not found" in by_key["01"].error_message
    assert by_key["02"].error_code == "procore:project_id", "a project-scoped record names its project"
    fake.api = lambda request: httpx.Response(500, json={"errors": "boom"})
    with connected(fake, max_attempts=1) as client, pytest.raises(ApiError, match="boom"):
        client.upsert("vendors", [TargetRecord("V1", {"name": "Acme"})])


def test_existing_keys_reads_the_ledgers_ids_per_project():
    fake = FakeProcore()
    vendor = fake.seed("vendors", None, origin_id="V1")
    code = fake.seed("cost_codes", 101, origin_id="01")
    deleted = fake.seed("cost_codes", 101, origin_id="02", deleted_at="2026-10-02T00:00:00Z")
    other = fake.seed("cost_codes", 102, origin_id="03")
    with connected(fake) as client:
        assert client.existing_keys("vendors", {"V1": str(vendor["id"]), "V2": "99", "V3": None}) == {"V1"}
        known = {"01": f"101:{code['id']}", "02": f"101:{deleted['id']}", "03": f"102:{other['id']}", "04": "bad"}
        assert client.existing_keys("cost_codes", known) == {"01", "03"}
    reads = [call for call in fake.calls if call.url.path.endswith("cost_codes")]
    assert sorted(call.url.params["project_id"] for call in reads) == ["101", "102"]
    with connected(fake) as client, pytest.raises(ValueError, match="no writer for 'projects'"):
        client.upsert("projects", [])


def test_the_procore_ids_a_session_learns_over_a_partition_are_held_on_disk_so_its_memory_does_not_grow():
    fake = FakeProcore()
    # Python memory allocated by the writer and still held: in its own modules and the spool's (where the ids live)
    kept = [tracemalloc.Filter(True, "*/resources/procore/*"), tracemalloc.Filter(True, "*/spool.py")]
    held = []
    with connected(fake) as client:
        tracemalloc.start()
        try:
            for page in range(10):
                # a page's references, told from the ledger, then its records written
                client.known("vendors", {f"L{page}-{n}": str(500_000 + 2000 * page + n) for n in range(2000)})
                client.upsert("vendors", [TargetRecord(f"V{page}-{n}", {"name": f"Vendor {n}"}) for n in range(200)])
                if page in (4, 9):
                    snapshot = tracemalloc.take_snapshot().filter_traces(kept)
                    held.append(sum(stat.size for stat in snapshot.statistics("filename")))
        finally:
            tracemalloc.stop()
        reads = len(fake.calls)
        written = client.upsert(
            "purchase_order_contracts",
            [
                TargetRecord("PO-1", {"project_id": 101, "vendor_id": {"origin_id": "L0-0"}}),
                TargetRecord("PO-2", {"project_id": 101, "vendor_id": {"origin_id": "V0-0"}}),
            ],
        )
    after_five, after_ten = held
    assert after_ten - after_five < 50_000, f"{after_five:,} bytes held after 5 pages, {after_ten:,} after 10"
    assert all(result.ok for result in written)
    assert [call.method for call in fake.calls[reads:]] == ["PATCH"], "both references known without a read"
    v0 = next(row for row in fake.table("vendors") if row["origin_id"] == "V0-0")
    assert [entry["vendor_id"] for entry in sent(fake.calls[-1])["updates"]] == [500_000, v0["id"]]
