"""Procore's triggers: stored events become runs of the UTC days their timestamp falls in, and the daily set-up job
registers the hook with the resource's settings and the requisition and change order triggers, or says plainly why
it does nothing."""

import dagster as dg
import pytest
from ml_connector_dagster.resources.ledger import LedgerResource
from ml_connector_dagster.resources.procore import ProcoreResource
from ml_connector_dagster.resources.procore.hooks import HookState
from ml_connector_dagster.sensors.procore import event_sensor, webhook_setup

from ml_connector_dagster.connections import sandbox_urls
from ml_connector_dagster.events.procore import parse
from ml_connector_dagster.ledger import Ledger


def test_events_run_the_utc_days_their_timestamp_falls_in(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    days = dg.DailyPartitionsDefinition(start_date="2026-11-01", end_offset=1)

    @dg.asset(partitions_def=days)
    def procore_requisitions() -> None:
        return None

    job = dg.define_asset_job("procore_job", selection=[procore_requisitions])
    sensor = event_sensor(job, days)
    resources = {"ledger": LedgerResource(url=ledger.url)}
    defs = dg.Definitions(assets=[procore_requisitions], jobs=[job], sensors=[sensor], resources=resources)
    for n, stamp in enumerate(("2026-11-01T23:59:59Z", "2026-11-02T00:00:00Z", "2026-11-02T18:00:00-08:00")):
        body = {"ulid": f"01EDPD2J6SBY1163N77H95GW0{n}", "timestamp": stamp, "resource_name": "Requisitions"}
        [event] = parse({**body, "resource_id": 1, "event_type": "update"})
        ledger.inbox_put("procore", event.dedup_key, event.payload)
    with (
        dg.instance_for_test() as instance,
        dg.build_sensor_context(instance=instance, definitions=defs, resources=resources) as context,
    ):
        requests = defs.resolve_sensor_def("procore_events")(context)
    assert sorted(r.partition_key for r in requests) == ["2026-11-01", "2026-11-02", "2026-11-03"]
    ledger.dispose()


class FakeHooks:
    def __init__(self):
        self.asked = []

    def ensure_hook(self, destination_url, key, namespace, triggers):
        self.asked.append((destination_url, key, namespace, triggers))
        return HookState(77, "created", tuple(triggers))


def set_up(monkeypatch, **settings) -> tuple[FakeHooks, list[str]]:
    fake = FakeHooks()
    monkeypatch.setattr(ProcoreResource, "session", lambda self: fake)
    job, schedule = webhook_setup(hour=4)
    assert (job.name, schedule.cron_schedule, schedule.job_name) == ("procore_webhook_setup", "0 4 * * *", job.name)
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(
            instance=instance,
            resources={"procore": ProcoreResource.sandbox(sandbox_urls(), **settings)},
        )
        assert result.success
        return fake, [entry.user_message for entry in instance.all_logs(result.run_id)]


def test_the_setup_job_registers_the_hook_with_the_resource_settings(monkeypatch):
    url = "https://hooks.example.com/webhooks/procore"
    fake, logs = set_up(monkeypatch, webhook_url=url, hook_namespace="acme-erp")
    [(destination, key, namespace, triggers)] = fake.asked
    assert (destination, key, namespace) == (url, "sandbox-procore-webhook-key", "acme-erp")
    assert set(triggers) == {
        (resource, event) for resource in ("Requisitions", "Commitment Change Orders") for event in ("create", "update")
    }
    assert any("hook 77 (acme-erp)" in line and "created" in line for line in logs)


def test_the_setup_job_does_nothing_and_says_why_without_a_webhook_url(monkeypatch):
    fake, logs = set_up(monkeypatch)
    assert fake.asked == []
    assert any("PROCORE_WEBHOOK_URL is not set" in line for line in logs)


def test_a_webhook_url_without_a_key_fails_the_job_naming_the_variable(monkeypatch):
    with pytest.raises(dg.Failure, match="PROCORE_WEBHOOK_KEY is not"):
        set_up(monkeypatch, webhook_url="https://hooks.example.com/webhooks/procore", webhook_key=None)


@pytest.mark.parametrize("namespace", ["ML-Connector", "ml_connector"])
def test_a_namespace_procore_would_refuse_is_refused_by_the_resource(namespace):
    with pytest.raises(Exception, match="hook_namespace"):
        ProcoreResource.sandbox(sandbox_urls(), hook_namespace=namespace)
