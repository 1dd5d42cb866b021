"""Zoho CRM's triggers: stored notifications become runs of the UTC days their server_time falls in, and the daily
renewal job keeps the channel alive through the resource's settings, or says plainly why it does nothing."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
from ml_connector_dagster.resources.ledger import LedgerResource
from ml_connector_dagster.resources.zoho_crm import ZohoCrmResource
from ml_connector_dagster.resources.zoho_crm.channels import ChannelState
from ml_connector_dagster.sensors.zoho_crm import channel_renewal, notification_sensor

from ml_connector_dagster.connections import sandbox_urls
from ml_connector_dagster.events.zoho_crm import parse
from ml_connector_dagster.ledger import Ledger


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def test_notifications_run_the_utc_days_their_server_time_falls_in(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    days = dg.DailyPartitionsDefinition(start_date="2026-12-01", end_offset=1)

    @dg.asset(partitions_def=days)
    def zoho_accounts() -> None:
        return None

    job = dg.define_asset_job("zoho_job", selection=[zoho_accounts])
    sensor = notification_sensor(job, days)
    resources = {"ledger": LedgerResource(url=ledger.url)}
    defs = dg.Definitions(assets=[zoho_accounts], jobs=[job], sensors=[sensor], resources=resources)
    midnight = datetime(2026, 12, 7, tzinfo=UTC)
    for moment in (midnight - timedelta(milliseconds=1), midnight, midnight + timedelta(hours=20)):
        body = {"server_time": epoch_ms(moment), "module": "Accounts", "ids": ["1"], "operation": "insert"}
        [event] = parse({**body, "channel_id": "1207000000000001"})
        ledger.inbox_put("zoho_crm", event.dedup_key, event.payload)
    with (
        dg.instance_for_test() as instance,
        dg.build_sensor_context(instance=instance, definitions=defs, resources=resources) as context,
    ):
        requests = defs.resolve_sensor_def("zoho_crm_notifications")(context)
    assert sorted(r.partition_key for r in requests) == ["2026-12-06", "2026-12-07"]
    ledger.dispose()


class FakeChannels:
    def __init__(self):
        self.asked = []

    def ensure_channel(self, notify_url, channel_id, token):
        self.asked.append((notify_url, channel_id, token))
        return ChannelState("renewed", datetime(2026, 10, 10, tzinfo=UTC))


def renew(monkeypatch, **settings) -> tuple[FakeChannels, list[str]]:
    fake = FakeChannels()
    monkeypatch.setattr(ZohoCrmResource, "session", lambda self: fake)
    job, schedule = channel_renewal(hour=4)
    assert schedule.cron_schedule == "0 4 * * *" and schedule.job_name == job.name
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(
            instance=instance, resources={"zoho_crm": ZohoCrmResource.sandbox(sandbox_urls(), **settings)}
        )
        assert result.success
        return fake, [entry.user_message for entry in instance.all_logs(result.run_id)]


def test_the_renewal_job_ensures_the_channel_with_the_resource_settings(monkeypatch):
    url = "https://hooks.example.com/webhooks/zoho_crm"
    fake, logs = renew(monkeypatch, notify_url=url, channel_id=77)
    assert fake.asked == [(url, 77, "sandbox-zoho-channel-token")]
    assert any("channel 77" in line and "renewed, expires" in line for line in logs)


def test_the_renewal_job_does_nothing_and_says_why_without_a_notify_url(monkeypatch):
    fake, logs = renew(monkeypatch)
    assert fake.asked == []
    assert any("ZOHO_CRM_NOTIFY_URL is not set" in line for line in logs)


def test_the_renewal_job_refuses_a_notify_url_without_a_channel_token(monkeypatch):
    with pytest.raises(dg.Failure, match="ZOHO_CRM_WEBHOOK_KEY is not"):
        renew(monkeypatch, notify_url="https://hooks.example.com/webhooks/zoho_crm", channel_token=None)
