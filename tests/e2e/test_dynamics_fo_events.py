"""F&O Business Events end to end: the F&O emulator delivers events (duplicated, out of order) to the webhook
receiver over HTTP, the receiver stores them, the sensor asks for one run per legal entity, and the run reads the
entity back over OData, so the edit that raised the event is in the extract."""

import dagster as dg
import pytest

from ml_connector_dagster.code_location import build_definitions
from ml_connector_dagster.connections import sandbox_resources
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.dynamics_fo.events import Endpoint
from ml_connector_dagster.sandbox.server import SandboxServer
from ml_connector_dagster.sandbox.stack import build_sandbox
from ml_connector_dagster.webhooks import SourceAuth, build_app
from tests.e2e.conftest import SMALL, settings_for


class Receiver:
    """Serves the webhook receiver beside the emulators, as `ml-connector webhooks` would."""

    name = "webhooks"

    def __init__(self, app):
        self._app = app

    def app(self):
        return self._app


@pytest.fixture
def events_env(tmp_path):
    config = settings_for(tmp_path, SMALL)
    with build_sandbox(size=SMALL) as sandbox:
        resources = sandbox_resources(config, sandbox.urls)
        ledger = resources["ledger"].ledger()
        with SandboxServer([Receiver(build_app(ledger, [SourceAuth("dynamics_fo", SANDBOX.webhook_key)]))]) as hook:
            fo = sandbox["dynamics_fo"]
            fo.events.register(
                Endpoint(
                    url=f"{hook.url('webhooks')}/webhooks/dynamics_fo?code={SANDBOX.webhook_key}",
                    business_events=["CustomerChangedBusinessEvent"],
                )
            )
            (tmp_path / "dagster").mkdir()
            with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
                yield fo, build_definitions(config, resources), resources, ledger, instance
        ledger.dispose()


def test_duplicated_out_of_order_events_become_one_run_per_entity_that_reads_the_edit(events_env):
    fo, defs, resources, ledger, instance = events_env
    fo.update_settings({"duplicate_events": True, "hold_events": True})
    usmf = next(r for r in fo.rows("CustomersV3", dataAreaId="usmf") if r["SalesCurrencyCode"])
    usrt = next(r for r in fo.rows("CustomersV3", dataAreaId="usrt") if r["SalesCurrencyCode"])
    fo.edit(
        "CustomersV3",
        {"dataAreaId": "usmf", "CustomerAccount": usmf["CustomerAccount"]},
        {"OrganizationName": "Renamed Retail Inc"},
    )
    fo.edit(
        "CustomersV3", {"dataAreaId": "usrt", "CustomerAccount": usrt["CustomerAccount"]}, {"AddressCity": "Seattle"}
    )
    assert fo.events.release(newest_first=True) == 2 and fo.events.wait_idle(10)
    assert len(fo.events.log()["delivered"]) == 4 and not fo.events.log()["errors"]
    stored = ledger.inbox_after("dynamics_fo", 0)
    assert len(stored) == 2, "each event kept once although delivered twice"
    assert [row["payload"]["BusinessEventLegalEntity"].lower() for row in stored] == ["usrt", "usmf"]

    sensor = defs.resolve_sensor_def("dynamics_fo_business_events")
    with dg.build_sensor_context(instance=instance, definitions=defs, resources=resources) as context:
        requests = sensor(context)
    assert sorted(r.partition_key for r in requests) == ["usmf", "usrt"]
    job = defs.resolve_job_def("dynamics_fo__salesforce")
    result = job.execute_in_process(partition_key="usmf", instance=instance)
    customers = result.output_for_node("dynamics_fo__customers_v3").whole()
    [row] = customers[customers["CustomerAccount"] == usmf["CustomerAccount"]].to_dict("records")
    assert row["OrganizationName"] == "Renamed Retail Inc"
    assert set(customers["dataAreaId"]) == {"usmf"} and len(customers) == len(fo.rows("CustomersV3", dataAreaId="usmf"))
