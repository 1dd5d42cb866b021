"""One replay job per target system (`replay_dynamics_sales`, `replay_dynamics_fo`, `replay_salesforce`, ...): re-send
that target's open dead letters from their stored payloads, without re-extracting, through the loads that first
sent them (ml_connector_dagster/replay.py). For records refused because of something fixed since on the target side
(a plug-in rule lifted, a customer group created, a privilege granted) or corrected in the dead letter itself
(`ml-connector dead-letters edit`). Records rejected by the mapping have no payload; they are fixed at the source
and picked up by the next run of their partition."""

from collections.abc import Iterable
from enum import Enum

import dagster as dg
from ml_connector_dagster.assets.load import LoadTarget
from pydantic import Field

from ml_connector_dagster.ledger import ErrorClass
from ml_connector_dagster.materialize import load_metadata
from ml_connector_dagster.replay import ReplayFilter, replay

TARGET_TAG = "ml_connector/target"
# Dagster's config names an enum's members, not its values: this one's members are ErrorClass's values, the names
# the ledger, the CLI and the dead-letter list show.
ErrorClassName = Enum("ErrorClassName", [(member.value, member.value) for member in ErrorClass], type=str)


class ReplayConfig(dg.Config):
    pair: str | None = Field(default=None, description="only this pair, e.g. salesforce__dynamics_fo")
    target_object: str | None = Field(default=None, description="only this target object, e.g. CustomersV3")
    error_class: ErrorClassName | None = Field(default=None, description="only this error class")
    dead_letter_ids: list[int] = Field(
        default_factory=list, description="only these dead letters (the ids `ml-connector dead-letters` shows)"
    )


def job_name(target: str) -> str:
    return f"replay_{target}"


def op_name(target: str) -> str:
    return f"replay_{target}_dead_letters"


def replay_jobs(loads: Iterable[LoadTarget]) -> list[dg.JobDefinition]:
    """A replay job for each target system some load writes to; every job knows all loads, so a dead letter is
    found whatever pair wrote it."""
    loads = list(loads)
    return [_replay_job(target, loads) for target in sorted({load.target for load in loads})]


def _replay_job(target: str, loads: list[LoadTarget]) -> dg.JobDefinition:
    @dg.op(
        name=op_name(target),
        pool=f"{target}_api",
        required_resource_keys={target, "ledger"},
        description=f"Re-send open dead letters whose target is {target}, parents first.",
    )
    def _replay(context: dg.OpExecutionContext, config: ReplayConfig) -> dict:
        resource = getattr(context.resources, target)
        only = ReplayFilter(
            pair=config.pair,
            target_object=config.target_object,
            error_class=ErrorClass(config.error_class) if config.error_class else None,
            ids=config.dead_letter_ids,
            target=target,
        )
        totals = replay(
            context.resources.ledger.ledger(),
            loads,
            lambda load: load.writer(resource.session()),
            {target: resource.batch_size},
            only=only,
            run_id=context.run.run_id,
            log=context.log.info,
        )
        if totals.without_payload:
            context.log.info(
                f"{totals.without_payload} dead letters were rejected by the mapping: fix them at the "
                "source and rerun their partition"
            )
        if totals.without_load_target:
            context.log.warning(
                f"dead letters {totals.without_load_target} belong to a pair and object no load "
                "writes any more (a renamed object, a removed pair): they cannot be replayed"
            )
        result = {
            **load_metadata(
                totals.loaded, api_calls=totals.api_calls.get(target, 0), write_calls=totals.write_calls.get(target, 0)
            ),
            "without_payload": totals.without_payload,
            "without_load_target": len(totals.without_load_target),
        }
        context.add_output_metadata(result)
        return result

    @dg.job(
        name=job_name(target),
        tags={TARGET_TAG: target},
        description=f"Re-send open dead letters to {target} from their stored payloads, without re-extracting.",
    )
    def _job():
        _replay()

    return _job
