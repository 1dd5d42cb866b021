"""External ids holding any character, through the `salesforce` resource against the emulator over HTTP. The
connector never puts one in a URL (Collections and Bulk API 2.0 carry them in the body, SOQL in a query parameter
httpx encodes), so they round-trip through its upserts, look-ups and updates by record Id as they are. (A value in a
URL, `/sobjects/Account/<field>/<value>`, is the emulator's test: tests/sandbox/test_salesforce_emulator.py.)"""

import pytest
from ml_connector_dagster.resources.salesforce import SalesforceResource

from ml_connector_dagster.loading import TargetRecord
from ml_connector_dagster.sandbox.salesforce import SalesforceEmulator
from ml_connector_dagster.sandbox.salesforce.emulator import CLIENT_ID, CLIENT_SECRET
from ml_connector_dagster.sandbox.server import SandboxServer
from tests.awkward import AWKWARD

FIELD = "ERP_Account_Number__c"


@pytest.fixture
def org():
    emulator = SalesforceEmulator()
    with SandboxServer([emulator]) as server:
        yield emulator, server.url("salesforce")


def resource(url: str) -> SalesforceResource:
    return SalesforceResource(
        my_domain_url=url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, daily_limit_reserve=0
    )


def accounts(prefix: str, name: str) -> list[TargetRecord]:
    return [TargetRecord(f"{prefix}/K{c}1", {"Name": name}) for c in AWKWARD]


@pytest.mark.parametrize("bulk_threshold", [1000, 1], ids=["collections", "bulk"])
def test_external_ids_with_any_character_round_trip_through_upsert_lookup_and_update_by_id(org, bulk_threshold):
    emulator, url = org
    records = accounts("usmf", "Before")
    with resource(url).open() as client:
        client.bulk_threshold = bulk_threshold  # below the resource's floor: a bulk job for a handful of records
        created = client.upsert("Account", records)
        assert [(r.ok, r.created) for r in created] == [(True, True)] * len(records), created
        keys = {r.source_key for r in records}
        assert client.existing_keys("Account", dict.fromkeys(keys)) == keys, "each found by SOQL"
        updated = client.upsert("Account", accounts("usmf", "After"))
        assert [(r.ok, r.created) for r in updated] == [(True, False)] * len(records), updated
        assert {r.target_id for r in updated} == {r.target_id for r in created}
        by_id = client.by_id().upsert("Account", [TargetRecord(r.target_id, {"Phone": "+1 555"}) for r in created])
        assert all(r.ok for r in by_id), by_id
        snapshot = client.snapshot("Account", ["Name", "Phone"])
    assert {key: snapshot[key] for key in keys} == dict.fromkeys(keys, {"Name": "After", "Phone": "+1 555"})
    assert sorted(row[FIELD] for row in emulator.rows("Account")) == sorted(keys)
