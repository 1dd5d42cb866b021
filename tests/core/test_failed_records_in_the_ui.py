"""Where the operator looks in the Dagster UI: a load's materialization names the records it left in dead letters and
why, and the load's dead-letter check warns while its target object has open dead letters, until they are resolved.
The shared load asset and check, with a fake target and a real ledger."""

from dataclasses import replace
from datetime import date

import dagster as dg
import pytest
from ml_connector_dagster.assets.dead_letters import check_name, dead_letter_checks
from ml_connector_dagster.assets.load import LoadTarget, load_asset
from ml_connector_dagster.assets.replay import job_name, replay_jobs
from ml_connector_dagster.resources.ledger import LedgerResource

from ml_connector_dagster.ledger import ErrorClass
from ml_connector_dagster.loading import TargetRecord
from ml_connector_dagster.mapping.common import MappingResult, Rejected
from ml_connector_dagster.materialize import SAMPLE_SIZE
from tests.core.test_replay import FakeTarget

PAIR, OBJECT, TARGET = "erp__crm", "organisation", "crm"
DAY = "2026-10-01"
SECRET = "Bearer eyJhbGciOiJSUzI1NiJ9.sandbox-token"
CHECK = check_name(OBJECT)


class RefusingTarget(FakeTarget):
    """Refuses with the vendor's words, `refuse_message` (which may quote what it was sent)."""

    refuse_message: str | None = None

    def upsert(self, target_object, records):
        results = super().upsert(target_object, records)
        if self.refuse_message is None:
            return results
        return [result if result.ok else replace(result, error_message=self.refuse_message) for result in results]


class FakeResource:
    """What a target resource gives the load: a writer session and a batch size."""

    batch_size = 100

    def __init__(self):
        self.target = RefusingTarget()

    def session(self):
        return self.target


class Flow:
    def __init__(self, tmp_path, source: MappingResult):
        days = dg.DailyPartitionsDefinition(start_date=date(2026, 10, 1).isoformat(), end_offset=1)

        @dg.asset(key=["crm", "erp_organisation_payloads"], partitions_def=days)
        def payloads() -> MappingResult:
            return self.source

        load = LoadTarget(PAIR, OBJECT, TARGET)
        loads = load_asset(
            load,
            plural="organisations",
            payloads_key=payloads.key,
            partitions_def=days,
            description="organisations into the CRM",
        )
        self.source = source
        self.crm = FakeResource()
        self.ledger_resource = LedgerResource(url=f"sqlite:///{tmp_path / 'ledger.sqlite'}")
        self.load_key = loads.key
        self.defs = dg.Definitions(
            assets=[payloads, loads],
            asset_checks=dead_letter_checks([payloads, loads]),
            jobs=[
                dg.define_asset_job(PAIR, selection=[payloads, loads], executor_def=dg.in_process_executor),
                # what the UI runs when the operator executes the check on its own
                dg.define_asset_job(
                    "dead_letter_check", selection=dg.AssetSelection.checks(dg.AssetCheckKey(loads.key, CHECK))
                ),
                *replay_jobs([load]),
            ],
            resources={TARGET: self.crm, "ledger": self.ledger_resource},
        )
        self.instance = dg.DagsterInstance.ephemeral()

    def run(self) -> dg.ExecuteInProcessResult:
        return self.defs.resolve_job_def(PAIR).execute_in_process(partition_key=DAY, instance=self.instance)

    def check_alone(self) -> dg.AssetCheckEvaluation:
        result = self.defs.resolve_job_def("dead_letter_check").execute_in_process(instance=self.instance)
        [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == CHECK]
        return evaluation

    def replay(self) -> None:
        self.defs.resolve_job_def(job_name(TARGET)).execute_in_process(instance=self.instance)

    def materialization(self, result: dg.ExecuteInProcessResult) -> dict:
        [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == self.load_key]
        return event.materialization.metadata


def records(*keys: str) -> list[TargetRecord]:
    return [TargetRecord(key, {"name": f"Organisation {key}"}) for key in keys]


@pytest.fixture
def flow(tmp_path):
    source = MappingResult(
        records=records("o1", "o2", "o3"),
        rejected=[Rejected("o9", "name: blank, a name is required (HZ_PARTIES.PARTY_NAME '')", {"PARTY_ID": 9})],
    )
    made = Flow(tmp_path, source)
    yield made
    made.instance.dispose()


def test_a_load_names_the_records_it_left_in_dead_letters_with_their_reasons_and_no_secret(flow):
    flow.crm.target.refusing["o2"] = ErrorClass.VALIDATION
    flow.crm.target.refuse_message = f"the plug-in said no (sent with Authorization: {SECRET})"

    metadata = flow.materialization(flow.run())

    assert metadata["failed"].value == 2
    assert metadata["open_dead_letters"].value == 2
    table = metadata["failed_records"].value
    assert "| o2 | validation |" in table and "| o9 | validation |" in table
    assert "the plug-in said no" in table and "a name is required" in table
    assert "o1" not in table and "o3" not in table
    assert "eyJhbGciOiJSUzI1NiJ9" not in table, "a reason is redacted before the UI shows it"


def test_the_dead_letter_check_warns_while_records_are_in_dead_letters_and_passes_once_replay_resolves_them(flow):
    flow.source = MappingResult(records=records("o1", "o2", "o3"))
    flow.crm.target.refusing["o2"] = ErrorClass.VALIDATION

    result = flow.run()

    [check] = [e for e in result.get_asset_check_evaluations() if e.check_name == CHECK]
    assert result.success, "a warning never fails the run"
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["open_dead_letters"].value == 1 and check.metadata["open_validation"].value == 1
    assert "| o2 | validation |" in check.metadata["sample"].value
    assert f"ml-connector dead-letters --pair {PAIR} --object {OBJECT}" in check.description

    flow.crm.target.refusing.clear()
    assert not flow.check_alone().passed, "nothing resolved it yet"
    flow.replay()
    evaluation = flow.check_alone()
    assert evaluation.passed and evaluation.metadata["open_dead_letters"].value == 0


def test_a_rerun_names_only_what_failed_in_it_and_counts_every_open_dead_letter(flow):
    flow.crm.target.refusing["o2"] = ErrorClass.VALIDATION
    flow.run()

    metadata = flow.materialization(flow.run())

    # o2's payload is unchanged, so it is not sent again; the mapping refuses o9 again in this run
    assert metadata["failed"].value == 1
    table = metadata["failed_records"].value
    assert "| o9 |" in table and "o2" not in table
    assert metadata["open_dead_letters"].value == 2


def test_the_sample_is_the_first_records_of_many_and_says_so(flow):
    keys = [f"o{n:03}" for n in range(SAMPLE_SIZE + 5)]
    flow.source = MappingResult(records=records(*keys))
    flow.crm.target.refusing.update({key: ErrorClass.CONFLICT for key in keys})

    result = flow.run()

    table = flow.materialization(result)["failed_records"].value
    assert table.startswith(f"The first {SAMPLE_SIZE} of {SAMPLE_SIZE + 5}.")
    assert table.count("| conflict |") == SAMPLE_SIZE
