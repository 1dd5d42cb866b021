"""A job that re-sends open dead letters to Dynamics 365 Sales from their stored payloads, without re-extracting:
for records rejected because of something fixed on the target side (a plug-in rule, a missing privilege, a
parent created by hand). Records rejected by the mapping have no payload; they are fixed at the source and picked
up by the next run of their partition."""

from collections import defaultdict

import dagster as dg
from pydantic import Field

from ml_connector_dagster.loading import LoadSummary, TargetRecord, load
from ml_connector_dagster.resources.dynamics_sales import DynamicsSalesResource
from ml_connector_dagster.resources.ledger import LedgerResource

TARGET = "dynamics_sales"
# Parents before what binds to them: accounts, then contacts and documents, then document lines.
LOAD_ORDER = ("account", "contact", "opportunity", "salesorder", "opportunityproduct", "salesorderdetail")


class ReplayConfig(dg.Config):
    pair: str | None = Field(default=None, description="only this pair, e.g. oracle_ebs__dynamics_sales")
    target_object: str | None = Field(default=None, description="only this object, e.g. account")
    error_class: str | None = Field(default=None, description="only this error class, e.g. validation")
    dead_letter_ids: list[int] = Field(default_factory=list, description="only these dead letters")


@dg.op(pool="dynamics_sales_api", description="Re-send open dead letters whose target is Dynamics 365 Sales.")
def replay_dynamics_sales_dead_letters(context: dg.OpExecutionContext, config: ReplayConfig,
                                       dynamics_sales: DynamicsSalesResource, ledger: LedgerResource) -> dict:
    store = ledger.ledger()
    letters = [letter for letter in store.open_dead_letters(config.pair, config.target_object, config.error_class)
               if letter.pair.endswith(f"__{TARGET}")
               and (not config.dead_letter_ids or letter.id in config.dead_letter_ids)]
    groups: dict[tuple[str, str], list[TargetRecord]] = defaultdict(list)
    without_payload = 0
    for letter in letters:
        record = TargetRecord.from_dead_letter(letter)
        if record is None:
            without_payload += 1
        else:
            groups[(letter.pair, letter.target_object)].append(record)
    client = dynamics_sales.session()
    totals = LoadSummary()
    for (pair, target_object), records in sorted(groups.items(), key=lambda item: LOAD_ORDER.index(item[0][1])):
        summary = load(records, writer=client, ledger=store, pair=pair, target_object=target_object,
                       batch_size=dynamics_sales.batch_size, run_id=context.run.run_id, force=True)
        context.log.info(f"replayed {pair} {target_object}: {summary.as_metadata()}")
        for name in ("records", "created", "updated", "failed", "batches"):
            setattr(totals, name, getattr(totals, name) + getattr(summary, name))
    if without_payload:
        context.log.info(f"{without_payload} dead letters were rejected by the mapping: fix them at the source and "
                         f"rerun their partition")
    result = {**totals.as_metadata(), "without_payload": without_payload, "api_calls": client.counter.total}
    context.add_output_metadata(result)
    return result


@dg.job(name="replay_dynamics_sales", tags={"ml_connector/target": TARGET},
        description="Re-send open dead letters to Dynamics 365 Sales without re-extracting.")
def replay_dynamics_sales_job():
    replay_dynamics_sales_dead_letters()
