"""The audit trail in the Dagster UI: one unpartitioned asset per pair, `<target>/<source>_audit` in the target's
group, materialized on demand (its Materialize button), whose metadata shows the pair's last changes and failures
from the ledger's `audit_history` view (when, which run and partition, the key, the action, the fields or the reason,
the dead letter) and how many records its runs handled by action. It reads the ledger only: no system is called.
One record's whole history is `ml-connector audit <key or target id>`; any other question, SQL on the view
(docs/operators/audit.md)."""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import dagster as dg

from ml_connector_dagster.ledger import WRITTEN, Action, Ledger, audited_fields
from ml_connector_dagster.materialize import one_line
from ml_connector_dagster.redaction import redact

SHOWN = 25  # rows of each table; the CLI and the view have the rest
WEEK = timedelta(days=7)
CHANGES = (*WRITTEN, Action.DELETED, Action.DRIFTED, Action.EDITED)


def audit_asset_key(pair: str) -> dg.AssetKey:
    source, target = pair.split("__")
    return dg.AssetKey([target, f"{source}_audit"])


def audit_assets(pairs: Iterable[str]) -> list[dg.AssetsDefinition]:
    return [_audit_asset(pair) for pair in pairs]


def _audit_asset(pair: str) -> dg.AssetsDefinition:
    key = audit_asset_key(pair)

    @dg.asset(
        key=key,
        group_name=key.path[0],
        required_resource_keys={"ledger"},
        description=f"The audit trail of {pair}: its last changes and failures and its records by action, from the "
        f"ledger, when materialized. One record's history: `ml-connector audit <key or target id>`.",
    )
    def _audit(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata=audit_metadata(context.resources.ledger.ledger(), pair))

    return _audit


def audit_metadata(ledger: Ledger, pair: str, now: datetime | None = None) -> dict:
    week_ago = (now or datetime.now(UTC)) - WEEK
    week, kept = ledger.action_counts(pair, since=week_ago), ledger.action_counts(pair)
    return {
        "last_changes": _table(ledger.recent_history(pair, actions=CHANGES, limit=SHOWN), _changed),
        "last_failures": _table(ledger.recent_history(pair, actions=(Action.FAILED,), limit=SHOWN), _failure),
        "records_by_action": dg.MetadataValue.table(
            [dg.TableRecord({"action": a, "last_7_days": week.get(a, 0), "kept": kept[a]}) for a in sorted(kept)],
            schema=dg.TableSchema(
                columns=[
                    dg.TableColumn("action", "string"),
                    dg.TableColumn("last_7_days", "int", description="records the pair's runs handled"),
                    dg.TableColumn("kept", "int", description="in the whole audit trail kept (until pruned)"),
                ]
            ),
        ),
        "failed_last_7_days": week.get(Action.FAILED, 0),
        "changed_last_7_days": sum(week.get(action, 0) for action in (*WRITTEN, Action.DELETED)),
        "query": dg.MetadataValue.md(
            f"One record: `ml-connector audit <source key or target id>`. In SQL: `SELECT * FROM audit_history WHERE "
            f"pair = '{pair}' ORDER BY at DESC` (docs/operators/audit.md)."
        ),
    }


COLUMNS = ("at", "object", "source key", "run", "partition", "action", "what", "dead letter")


def _table(rows: list[dict], what) -> dg.MetadataValue:
    return dg.MetadataValue.table(
        [
            dg.TableRecord(
                {
                    "at": f"{row['at']:%Y-%m-%d %H:%M:%S}",
                    "object": row["target_object"],
                    "source key": row["source_key"],
                    "run": row["run_id"] or (f"by {row['actor']}" if row["actor"] else ""),
                    "partition": row["partition"] or "",
                    "action": row["action"],
                    "what": what(row),
                    "dead letter": f"#{row['dead_letter_id']} {row['dead_letter_event'] or 'open'}"
                    if row["dead_letter_id"]
                    else "",
                }
            )
            for row in rows
        ],
        schema=dg.TableSchema(columns=[dg.TableColumn(name, "string") for name in COLUMNS]),
    )


def _changed(row: dict) -> str:
    fields = list(audited_fields(row["changes"]))
    replayed = f"replay of dead letter #{row['replay_of']}; " if row["replay_of"] else ""
    return replayed + one_line(", ".join(fields))


def _failure(row: dict) -> str:
    """The reason redacted (a vendor may quote what it was sent), with the class and code."""
    code = " ".join(filter(None, (row["error_class"], row["error_code"])))
    return one_line(f"[{code}] {redact(row['reason'] or '')}")
