"""The `salesforce` resource's Pub/Sub API client against the whole sandbox, wired as the sandbox profile wires it
(connections.sandbox_resources): a LATEST fetch answers a position, a fetch resumed from it sees exactly the change
events written since, decoded; a replay id past retention raises ReplayIdExpired; an expired token is renewed once."""

from datetime import UTC, date, datetime

import pytest
from ml_connector_dagster.resources.salesforce.auth import SalesforceClientCredentials
from ml_connector_dagster.resources.salesforce.pubsub import ReplayIdExpired

from ml_connector_dagster.connections import sandbox_resources
from ml_connector_dagster.loading import TargetRecord
from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.stack import SeedSize, build_sandbox
from ml_connector_dagster.settings import Settings

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
TINY = SeedSize(
    parties=20,
    vendors=5,
    sap_vendors=5,
    sap_customers=5,
    sap_orders=5,
    fo_customers=9,
    start_date=date(2026, 10, 1),
    days=1,
)
ACCOUNTS = "/data/AccountChangeEvent"


@pytest.fixture
def org(tmp_path):
    with build_sandbox(clock=Clock(frozen_at=NOW), size=TINY) as sandbox:
        emulator = sandbox["salesforce"]
        emulator.update_settings({"pubsub_keepalive_seconds": 0.3, "token_lifetime_seconds": 80 * 3600})
        settings = Settings(home=tmp_path, ledger_url=f"sqlite:///{tmp_path / 'ledger.sqlite'}")
        yield emulator, sandbox_resources(settings, sandbox.urls)["salesforce"]


def test_a_fetch_resumed_from_the_answered_replay_id_sees_exactly_the_new_events(org):
    emulator, resource = org
    assert resource.pubsub_endpoint.startswith("127.0.0.1:") and resource.pubsub_tls is False
    with resource.pubsub() as pubsub, resource.open() as rest:
        emulator.insert("Account", [{"Name": "Before", "ERP_Account_Number__c": "usmf/C-0"}])
        start = pubsub.fetch(ACCOUNTS, idle_seconds=2)
        assert start.events == [] and len(start.latest_replay_id) == 8, "a keepalive named the position"
        rest.upsert(
            "Account",
            [
                TargetRecord("usmf/C-1", {"Name": "Contoso"}),
                TargetRecord("usmf/C-2", {"Name": "Fabrikam", "BillingCity": "Oslo"}),
            ],
        )
        emulator.edit("Account", emulator.rows("Account", Name="Contoso")[0]["Id"], {"Phone": "+1 555 0100"})
        fetched = pubsub.fetch(ACCOUNTS, replay_id=start.latest_replay_id, idle_seconds=2, batch=2)
        again = pubsub.fetch(ACCOUNTS, replay_id=fetched.latest_replay_id, idle_seconds=2)
    assert [(e.change_type, e.fields.get("Name")) for e in fetched.events] == [
        ("CREATE", "Contoso"),
        ("CREATE", "Fabrikam"),
        ("UPDATE", None),
    ]
    created, _, updated = fetched.events
    assert created.record_ids == updated.record_ids and created.commit_timestamp == NOW
    assert created.change_origin == f"com/salesforce/api/rest/63.0;client={resource.client_name}"
    assert updated.change_origin == "", "an edit in the org"
    assert fetched.events[1].fields["BillingAddress"] == {"City": "Oslo"}
    assert updated.changed_fields == ("LastModifiedDate", "Phone") and updated.fields["Phone"] == "+1 555 0100"
    assert created.transaction_key == fetched.events[1].transaction_key, "one Collections call, one transaction"
    assert fetched.latest_replay_id == updated.replay_id and again.events == []


def test_a_replay_id_past_retention_raises_replay_id_expired(org):
    emulator, resource = org
    emulator.insert("Account", [{"Name": "Old"}, {"Name": "Newer"}])
    with resource.pubsub() as pubsub:
        oldest = pubsub.fetch(ACCOUNTS, preset="EARLIEST", idle_seconds=2).events[0].replay_id
        emulator.clock.advance(73 * 3600)
        with pytest.raises(ReplayIdExpired, match="replayid.corrupted"):
            pubsub.fetch(ACCOUNTS, replay_id=oldest, idle_seconds=2)


def test_an_expired_token_is_renewed_once(org, monkeypatch):
    emulator, resource = org
    issued = []
    fetch = SalesforceClientCredentials._fetch
    monkeypatch.setattr(SalesforceClientCredentials, "_fetch", lambda self: issued.append(1) or fetch(self))
    with resource.pubsub() as pubsub:
        assert pubsub.fetch(ACCOUNTS, idle_seconds=2).latest_replay_id
        emulator.expire_tokens()
        assert pubsub.fetch(ACCOUNTS, idle_seconds=2).latest_replay_id
    assert len(issued) == 2
