"""The audit trail in the UI: a pair's `<target>/<source>_audit` asset, materialized on its own, shows the pair's last
changes and failures and its records by action, from the ledger (SQLite and PostgreSQL), and no secret a vendor
quoted in a refusal."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import dagster as dg
from ml_connector_dagster.assets.audit import SHOWN, audit_asset_key, audit_assets, audit_metadata
from ml_connector_dagster.resources.ledger import LedgerResource

from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.loading import TargetRecord
from tests.core.test_audit_history import KEPT, PAIR, REFUSED, Crm, sync_day

SECRET = "Bearer eyJhbGciOiJSUzI1NiJ9.sandbox-token"


class QuotingCrm(Crm):
    """Refuses quoting what it was sent, as some vendors do."""

    def upsert(self, target_object, records):
        return [
            result if result.ok else replace(result, error_message=f"name: bad value {record.payload['name']}")
            for record, result in zip(records, super().upsert(target_object, records), strict=True)
        ]


def rows_of(value: dg.TableMetadataValue) -> list[dict]:
    return [record.data for record in value.records]


def test_the_audit_asset_shows_the_last_changes_and_failures_and_the_records_by_action(ledger_url):
    ledger = Ledger(ledger_url)
    try:
        crm = QuotingCrm()
        sync_day(ledger, crm, "2026-10-01", TargetRecord(KEPT, {"name": "Contoso"}))
        sync_day(ledger, crm, "2026-10-02", TargetRecord(KEPT, {"name": "Contoso Ltd"}))
        sync_day(ledger, crm, "2026-10-03", TargetRecord(KEPT, {"name": "Contoso Ltd"}))
        crm.refusing.add(f"BAD {SECRET}")
        sync_day(ledger, crm, "2026-10-03", TargetRecord(REFUSED, {"name": f"BAD {SECRET}"}))
    finally:
        ledger.dispose()

    [asset] = audit_assets([PAIR])
    assert asset.key == audit_asset_key(PAIR) == dg.AssetKey(["crm", "erp_audit"])
    result = dg.materialize([asset], resources={"ledger": LedgerResource(url=ledger_url)})
    [materialization] = result.asset_materializations_for_node(asset.node_def.name)
    metadata = {name: value for name, value in materialization.metadata.items()}

    changes = rows_of(metadata["last_changes"])
    assert [(r["source key"], r["action"], r["run"], r["partition"], r["what"]) for r in changes] == [
        (KEPT, "updated", "run-2026-10-02", "2026-10-02", "name"),
        (KEPT, "created", "run-2026-10-01", "2026-10-01", "name"),
    ], "newest first; the unchanged run has nothing to show"
    [failure] = rows_of(metadata["last_failures"])
    assert (failure["source key"], failure["action"], failure["run"], failure["dead letter"]) == (
        REFUSED,
        "failed",
        "run-2026-10-03",
        "#1 opened",
    )
    assert failure["what"].startswith("[validation FIELD_INTEGRITY_EXCEPTION] name: bad value BAD ")
    by_action = {r["action"]: (r["last_7_days"], r["kept"]) for r in rows_of(metadata["records_by_action"])}
    assert by_action == {"created": (1, 1), "updated": (1, 1), "unchanged": (1, 1), "failed": (1, 1)}
    assert (metadata["failed_last_7_days"].value, metadata["changed_last_7_days"].value) == (1, 2)
    assert SECRET not in str(metadata)


def test_the_tables_show_the_last_rows_only_and_the_week_counts_only_the_week(ledger):
    crm = Crm()
    for n in range(SHOWN + 5):
        sync_day(ledger, crm, "2026-10-01", TargetRecord(KEPT, {"name": f"Contoso {n}"}))
    metadata = audit_metadata(ledger, PAIR, now=datetime.now(UTC) + timedelta(days=8))
    assert len(metadata["last_changes"].records) == SHOWN
    assert metadata["last_changes"].records[0].data["action"] == "updated"
    assert metadata["changed_last_7_days"] == 0
    assert {r.data["action"]: r.data["kept"] for r in metadata["records_by_action"].records} == {
        "created": 1,
        "updated": SHOWN + 4,
    }
