"""The `ping` job: `ml-connector ping`'s checks (fit.py) run by Dagster with the code location's own resources, so the
UI shows whether the connector fits each configured system. One op per system, run by the deployment's executor
(executor.py); each op's output metadata holds a line per check (ok or FAILED, the time taken, what was found, what to
do), and an op whose system fails a check fails with the same metadata, so the run's graph shows which system to
look at."""

import dagster as dg

from ml_connector_dagster.connections import SYSTEM_RESOURCES
from ml_connector_dagster.fit import Outcome, run_checks
from ml_connector_dagster.session_resource import SystemResource
from ml_connector_dagster.settings import Settings

JOB = "ping"
# A ping is a check, not a run (as `ml-connector ping`): one attempt per call, so a system that is down fails its op
# in the time a refused connection takes, not after the runs' retries and backoff; a longer timeout than the
# command's default, as the job may run far from the systems.
ONE_ATTEMPT = {"max_attempts": 1, "timeout_seconds": 30.0}


def ping_job(settings: Settings) -> dg.JobDefinition:
    ops = [_system_op(kind, settings) for kind in SYSTEM_RESOURCES]

    @dg.job(
        name=JOB,
        description="Whether the connector fits each system: one authenticated call, then the checks of the "
        "tenant's set-up (docs/operators/<system>.md), as `ml-connector ping` runs them",
        tags={"ml_connector/kind": "ping"},
    )
    def ping():
        for op in ops:
            op()

    return ping


def _system_op(kind: type[SystemResource], settings: Settings) -> dg.OpDefinition:
    @dg.op(
        name=f"ping_{kind.system}",
        required_resource_keys={kind.system},
        description=f"The checks of {kind.system}: " + ", ".join(check.name for check in kind.fit_checks),
        out=dg.Out(dg.Nothing),
    )
    def checked(context: dg.OpExecutionContext):
        resource = getattr(context.resources, kind.system).model_copy(update=ONE_ATTEMPT)
        outcomes = list(run_checks(resource, settings))
        for outcome in outcomes:
            (context.log.info if outcome.ok else context.log.error)(outcome.line())
        metadata = outcomes_metadata(outcomes)
        failed = [outcome.check for outcome in outcomes if outcome.ok is False]
        if failed:
            raise dg.Failure(
                description=f"{kind.system} failed {', '.join(failed)}", metadata=metadata, allow_retries=False
            )
        context.add_output_metadata(metadata)

    return checked


def outcomes_metadata(outcomes: list[Outcome]) -> dict[str, dg.MetadataValue]:
    """A table of every check, and each check's verdict under its own name (what the UI lists first)."""
    rows = "\n".join(
        f"| {o.check} | {o.verdict} | {'' if o.ok is None else o.ms} | {_cell(o.detail)} | {_cell(o.remedy or '')} |"
        for o in outcomes
    )
    table = "| check | result | ms | found | what to do |\n|---|---|---|---|---|\n" + rows
    return {
        "checks": dg.MetadataValue.md(table),
        **{o.check: dg.MetadataValue.text(f"{o.verdict}: {o.detail}") for o in outcomes},
    }


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
