"""The Dataverse client's keys against the strict emulator: external ids made from any source key are written,
bound, looked up, read back and deleted by those keys; every key in a URL reaches the service as it was meant."""

import logging

import pytest

from ml_connector_dagster.loading import TargetRecord
from ml_connector_dagster.mapping.common import external_id
from ml_connector_dagster.mapping.dynamics_sales import bind
from ml_connector_dagster.sandbox.faults import FaultPlan
from tests.awkward import AWKWARD

# and the characters of a key predicate's own syntax
CHARACTERS = [*AWKWARD, "(", ")", ",", "="]
BIND = "parentcustomerid_account@odata.bind"


def account_bind(key: str) -> str:
    return bind("accounts", "mlc_externalid", key)


def account(key: str) -> TargetRecord:
    return TargetRecord(key, {"name": f"Account {key}", "customertypecode": 3})


@pytest.mark.parametrize("bulk_mode", ["auto", "batch"])
def test_keys_made_of_any_source_key_round_trip_through_upsert_bind_lookups_snapshot_and_delete(dataverse, bulk_mode):
    emulator, resource = dataverse
    keys = [external_id("sap_ecc", "customer", f"C{c}1") for c in CHARACTERS]
    contacts = [
        TargetRecord(external_id("oracle_ebs", "contact", f"P{c}1"), {"lastname": "Doe", BIND: account_bind(key)})
        for c, key in zip(CHARACTERS, keys, strict=True)
    ]
    with resource.model_copy(update={"bulk_mode": bulk_mode}).open() as client:
        assert all(r.ok for r in client.upsert("account", [account(k) for k in keys]))
        assert all(r.ok for r in client.upsert("account", [account(k) for k in keys])), "and again: updates"
        assert all(r.ok for r in client.upsert("contact", contacts))
        assert client.existing_keys("account", dict.fromkeys([*keys, "sap_ecc.customer.none"])) == set(keys)
        for key in keys:
            found = client.http.get(client.key_path("account", key), params={"$select": "mlc_externalid"})
            assert found.status_code == 200 and found.json()["mlc_externalid"] == key, (key, found.text)
        snapshot = client.snapshot("contact", ["lastname", BIND])
        assert {key: row[BIND] for key, row in snapshot.items()} == {c.source_key: c.payload[BIND] for c in contacts}
        assert all(r.ok for r in client.delete("contact", [c.source_key for c in contacts]))
        assert all(r.ok for r in client.delete("account", keys[:5]))
    assert sorted(row["mlc_externalid"] for row in emulator.rows("account")) == sorted(keys[5:])
    assert emulator.count("contact") == 0


def test_a_key_the_service_would_decode_is_refused_never_written_under_another_key(dataverse):
    emulator, resource = dataverse
    with resource.open() as client:
        [bulk] = client.upsert("account", [account("X%41")])
        [batched] = client.upsert("contact", [TargetRecord("Y%41", {"lastname": "Doe"})])
    assert not bulk.ok and not batched.ok
    assert emulator.count("account") == emulator.count("contact") == 0


def test_an_unreadable_bulk_probe_falls_back_to_batch_with_a_warning(dataverse, caplog):
    emulator, resource = dataverse
    emulator.faults.add(FaultPlan(status=403, path_contains="sdkmessagefilters"))
    with caplog.at_level(logging.WARNING), resource.open() as client:
        assert all(r.ok for r in client.upsert("account", [account("a"), account("b")]))
        assert all(r.ok for r in client.upsert("account", [account("c")]))
    assert emulator.faults.injected == 1 and emulator.count("account") == 3
    [warning] = [r for r in caplog.records if "UpsertMultiple" in r.getMessage()]
    assert "account" in warning.getMessage() and "$batch" in warning.getMessage()


def test_external_ids_set_by_primary_id_never_bring_back_a_row_deleted_meanwhile(dataverse):
    emulator, resource = dataverse
    with resource.open() as client:
        client.upsert("account", [account("first-1"), account("gone")])
        kept, gone = (emulator.rows("account", mlc_externalid=key)[0]["accountid"] for key in ("first-1", "gone"))
        client.delete("account", ["gone"])
        answers = client.set_external_ids("account", {kept: "today.1", gone: "today.2"})
    assert answers[kept] is None and answers[gone].startswith("0x80040217")
    assert [row["mlc_externalid"] for row in emulator.rows("account")] == ["today.1"]
