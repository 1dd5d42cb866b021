"""A record's history across runs (`ml-connector audit <key or target id>`, the `audit_history` view) and the audit
trail's retention (`ml-connector audit prune`), on SQLite and PostgreSQL alike: two runs with an update, a failure
that becomes a dead letter, is edited, replayed and resolved."""

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from ml_connector_dagster.assets.load import LoadTarget

from ml_connector_dagster import cli
from ml_connector_dagster.http import CallCounter
from ml_connector_dagster.ledger import HISTORY_VIEW, Action, ErrorClass, Ledger, Outcome, audit_counts, audit_log
from ml_connector_dagster.loading import TargetRecord, WriteResult, load
from ml_connector_dagster.replay import replay
from tests.conftest import started_on_an_older_ledger

PAIR, OBJ, TARGET = "erp__crm", "Account", "crm"
KEPT, REFUSED = "erp.customer.1", "erp.customer.2"


class Crm:
    """Gives each record an id of its own, as Salesforce does, and refuses the names in `refusing`."""

    def __init__(self):
        self.counter = CallCounter()
        self.ids: dict[str, str] = {}
        self.refusing: set[str] = set()

    def upsert(self, target_object, records):
        results = []
        for record in records:
            if record.payload["name"] in self.refusing:
                results.append(
                    WriteResult(
                        record.source_key,
                        False,
                        error_class="validation",
                        error_code="FIELD_INTEGRITY_EXCEPTION",
                        error_message="name: bad value",
                    )
                )
                continue
            created = record.source_key not in self.ids
            target_id = self.ids.setdefault(record.source_key, f"001{len(self.ids):015d}")
            results.append(WriteResult(record.source_key, True, target_id, created=created))
        return results

    def existing_keys(self, target_object, known):
        return set(known) & set(self.ids)


def sync_day(ledger, crm, day: str, *records: TargetRecord):
    return load(
        records,
        writer=crm,
        ledger=ledger,
        pair=PAIR,
        target_object=OBJ,
        batch_size=10,
        run_id=f"run-{day}",
        partition=day,
    )


@pytest.fixture
def ledger(ledger_url):
    store = Ledger(ledger_url)
    yield store
    store.dispose()


@pytest.fixture
def history(ledger):
    """Two daily runs (created, updated), a third refuses a record: its dead letter is edited, replayed, resolved."""
    crm = Crm()
    sync_day(ledger, crm, "2026-10-01", TargetRecord(KEPT, {"name": "Contoso"}))
    sync_day(ledger, crm, "2026-10-02", TargetRecord(KEPT, {"name": "Contoso Ltd"}))
    crm.refusing.add("BAD Fabrikam")
    sync_day(ledger, crm, "2026-10-03", TargetRecord(REFUSED, {"name": "BAD Fabrikam"}))
    [letter] = ledger.open_dead_letters(PAIR)
    ledger.edit_dead_letter(letter.id, {"name": "Fabrikam"}, by="alice")
    replay(ledger, [LoadTarget(PAIR, OBJ, TARGET)], lambda load: crm, {TARGET: 10}, run_id="replay-1")
    return crm, letter.id


def test_a_records_history_by_its_key_shows_each_run_partition_and_the_fields_before_and_after(ledger, history):
    crm, _ = history
    [record] = ledger.find_records(KEPT)
    assert (record.pair, record.target_object, record.matched_by) == (PAIR, OBJ, "source key")
    assert record.target_id == crm.ids[KEPT] and record.synced_by_run == "run-2026-10-02"
    rows = ledger.history([record])
    assert [(r["run_id"], r["partition"], r["action"]) for r in rows] == [
        ("run-2026-10-01", "2026-10-01", "created"),
        ("run-2026-10-02", "2026-10-02", "updated"),
    ]
    assert rows[1]["changes"] == {"name": ["Contoso", "Contoso Ltd"]}
    assert rows[0]["at"] <= rows[1]["at"] and rows[0]["at"].tzinfo is not None


def test_the_target_id_finds_the_same_record_and_nothing_is_found_for_an_unknown_one(ledger, history):
    crm, _ = history
    [by_id] = ledger.find_records(crm.ids[KEPT])
    assert (by_id.source_key, by_id.matched_by) == (KEPT, "target id")
    assert ledger.history([by_id]) == ledger.history(ledger.find_records(KEPT))
    assert ledger.find_records("001999999999999999") == []
    assert ledger.find_records(KEPT, pair="other__crm") == []


def test_a_failure_its_dead_letter_the_edit_the_replay_and_the_resolution_are_one_timeline(ledger, history):
    crm, letter_id = history
    [record] = ledger.find_records(REFUSED)
    assert record.open_dead_letter is None and record.target_id == crm.ids[REFUSED]
    failed, edited, replayed = ledger.history([record])
    assert (failed["action"], failed["run_id"], failed["partition"]) == ("failed", "run-2026-10-03", "2026-10-03")
    assert (failed["reason"], failed["error_class"], failed["error_code"]) == (
        "name: bad value",
        "validation",
        "FIELD_INTEGRITY_EXCEPTION",
    )
    assert (failed["dead_letter_id"], failed["dead_letter_event"]) == (letter_id, "opened")
    assert (edited["action"], edited["actor"], edited["dead_letter_event"]) == ("edited", "alice", "edited")
    assert edited["changes"] == {"name": ["BAD Fabrikam", "Fabrikam"]}
    assert (replayed["action"], replayed["run_id"], replayed["replay_of"]) == ("created", "replay-1", letter_id)
    assert (replayed["dead_letter_id"], replayed["dead_letter_event"]) == (letter_id, "resolved")


def test_a_record_that_fails_again_says_so_and_rows_before_or_after_its_letter_name_none(ledger):
    crm = Crm()
    sync_day(ledger, crm, "2026-10-01", TargetRecord(KEPT, {"name": "Contoso"}))
    crm.refusing.update({"BAD 1", "BAD 2"})
    sync_day(ledger, crm, "2026-10-02", TargetRecord(KEPT, {"name": "BAD 1"}))
    sync_day(ledger, crm, "2026-10-03", TargetRecord(KEPT, {"name": "BAD 2"}))
    sync_day(ledger, crm, "2026-10-04", TargetRecord(KEPT, {"name": "Contoso 2"}))
    sync_day(ledger, crm, "2026-10-05", TargetRecord(KEPT, {"name": "Contoso 3"}))
    events = [(r["action"], r["dead_letter_event"]) for r in ledger.history(ledger.find_records(KEPT))]
    assert events == [
        ("created", None),
        ("failed", "opened"),
        ("failed", "failed_again"),
        ("updated", "resolved"),
        ("updated", None),
    ]


def test_each_failure_keeps_its_own_class_and_a_replay_that_fails_again_says_so(ledger):
    stored = {"payload": {"name": "BAD"}, "refs": []}
    timeout = Outcome(KEPT, Action.FAILED, stored, error_class=ErrorClass.TRANSIENT, error_message="timed out")
    ledger.record(pair=PAIR, target_object=OBJ, outcomes=[timeout], run_id="run-1", partition="2026-10-01")
    crm = Crm()
    crm.refusing.add("BAD")
    replay(ledger, [LoadTarget(PAIR, OBJ, TARGET)], lambda load: crm, {TARGET: 10}, run_id="replay-1")
    first, again = ledger.history(ledger.find_records(KEPT))
    assert (first["error_class"], first["reason"], first["dead_letter_event"]) == ("transient", "timed out", "opened")
    assert (again["error_class"], again["error_code"], again["replay_of"], again["dead_letter_event"]) == (
        "validation",
        "FIELD_INTEGRITY_EXCEPTION",
        first["dead_letter_id"],
        "failed_again",
    )


def test_the_view_answers_sql_an_operator_writes(ledger, history):
    """The queries of docs/operators/audit.md, as written there, on this database."""
    crm, letter_id = history
    with ledger.engine.connect() as conn:
        changed = conn.execute(
            sa.text(f"SELECT source_key, action FROM {HISTORY_VIEW} WHERE run_id = :run ORDER BY id"),
            {"run": "run-2026-10-02"},
        ).all()
        failures = conn.execute(
            sa.text(
                f"SELECT error_class, error_code, reason, count(*) AS failures FROM {HISTORY_VIEW} "
                "WHERE action = 'failed' AND at >= :since GROUP BY error_class, error_code, reason"
            ),
            {"since": datetime.now(UTC) - timedelta(days=7)},
        ).all()
        timeline = conn.execute(
            sa.text(f"SELECT action, dead_letter_event FROM {HISTORY_VIEW} WHERE source_key = :key ORDER BY at, id"),
            {"key": REFUSED},
        ).all()
    assert [tuple(row) for row in changed] == [(KEPT, "updated")]
    assert [tuple(row) for row in failures] == [("validation", "FIELD_INTEGRITY_EXCEPTION", "name: bad value", 1)]
    assert [tuple(row) for row in timeline] == [("failed", "opened"), ("edited", "edited"), ("created", "resolved")]


def test_a_ledger_an_older_version_made_gains_the_view_when_it_starts(ledger_url):
    with started_on_an_older_ledger(ledger_url, "DROP INDEX ix_audit_log_source_key") as upgraded:
        assert HISTORY_VIEW in sa.inspect(upgraded.engine).get_view_names()
        assert upgraded.history(upgraded.find_records("nothing")) == []


# retention --------------------------------------------------------------------------------------------------------
def test_prune_removes_older_rows_keeps_each_records_last_ones_and_records_that_it_pruned(ledger, history):
    crm, _ = history
    total = len(ledger.audit())
    after_all = datetime.now(UTC) + timedelta(seconds=1)
    dry = ledger.prune_audit(after_all, by="bob", dry_run=True)
    assert len(ledger.audit()) == total and ledger.prunes() == [], "a dry run only counts"
    pruned = ledger.prune_audit(after_all, by="bob")
    assert pruned == dry and pruned.audit_rows == total - 3 and pruned.count_rows > 0
    # KEPT: its last row (updated, which names a partition); REFUSED: its last (the replay's, without partition) and
    # its last naming one (the edit, which names its letter's): what the connector reads (last_actions, partitions_of)
    assert [(r["source_key"], r["action"]) for r in ledger.audit()] == [
        (KEPT, "updated"),
        (REFUSED, "edited"),
        (REFUSED, "created"),
    ]
    assert ledger.partitions_of(PAIR, OBJ, [KEPT, REFUSED]) == {KEPT: "2026-10-02", REFUSED: "2026-10-03"}
    assert ledger.audit_counts() == []
    [prune] = ledger.prunes([PAIR])
    assert (prune["actor"], prune["audit_rows"], prune["count_rows"], prune["pair"]) == (
        "bob",
        pruned.audit_rows,
        pruned.count_rows,
        None,
    )
    assert ledger.open_dead_letters() == [] and ledger.dead_letter(history[1]) is not None, "dead letters stay"


def test_prune_of_one_pair_or_before_the_first_row_leaves_the_others(ledger, history):
    first = min(row["at"] for row in ledger.audit())
    assert ledger.prune_audit(first, by="bob").audit_rows == 0
    for name, run, partition in (("other", "run-other", "2026-10-01"), ("other 2", "run-other-2", "2026-10-02")):
        load(
            [TargetRecord("x.1", {"name": name})],
            writer=Crm(),
            ledger=ledger,
            pair="other__crm",
            target_object=OBJ,
            batch_size=10,
            run_id=run,
            partition=partition,
        )
    before = len(ledger.audit(pair=PAIR))
    assert ledger.prune_audit(datetime.now(UTC) + timedelta(seconds=1), by="bob", pair="other__crm").audit_rows == 1
    assert len(ledger.audit(pair=PAIR)) == before
    assert ledger.audit_counts(pair="other__crm") == [] and ledger.audit_counts(pair=PAIR) != []
    assert [p["pair"] for p in ledger.prunes()] == [None, "other__crm"]
    assert ledger.prunes([PAIR])[0]["pair"] is None, "a prune of every pair is one of each pair's"


def test_nothing_but_prune_deletes_audit_rows():
    """Every statement of the code that deletes from audit_log or audit_counts is prune's."""
    root = Path(cli.__file__).parent.parent
    deleting = re.compile(r"audit_(log|counts)\.delete\(|DELETE\s+FROM\s+audit_(log|counts)", re.IGNORECASE)
    found = {
        str(path.relative_to(root)): len(deleting.findall(path.read_text()))
        for folder in ("ml_connector_dagster", "assets", "resources", "sensors")
        for path in (root / folder).rglob("*.py")
        if deleting.search(path.read_text())
    }
    assert found == {"ml_connector_dagster/ledger.py": 2}
    source = (root / "ml_connector_dagster" / "ledger.py").read_text()
    prune = source[source.index("    def prune_audit(") : source.index("    def prunes(")]
    assert len(deleting.findall(prune)) == 2, "both are in Ledger.prune_audit"


# the CLI ----------------------------------------------------------------------------------------------------------


def test_the_cli_prints_a_records_history_by_key_or_target_id_and_as_json(cli_ledger, capsys):
    crm = Crm()
    sync_day(cli_ledger, crm, "2026-10-01", TargetRecord(KEPT, {"name": "Contoso"}))
    crm.refusing.add("BAD")
    sync_day(cli_ledger, crm, "2026-10-02", TargetRecord(KEPT, {"name": "BAD"}))
    sync_day(cli_ledger, crm, "2026-10-03", TargetRecord(KEPT, {"name": "Contoso Ltd"}))

    assert cli.main(["audit", KEPT]) == 0
    out = capsys.readouterr().out
    assert f"{PAIR} {OBJ} {KEPT} (by its source key): in the target as {crm.ids[KEPT]}" in out
    lines = out.splitlines()
    assert "run run-2026-10-01 partition 2026-10-01  created" in out
    assert "error: name: bad value [validation FIELD_INTEGRITY_EXCEPTION]" in out
    assert 'name: "Contoso" -> "Contoso Ltd"' in out, "the update shows what the target held before"
    [opened] = [n for n, line in enumerate(lines) if line.strip() == "dead letter #1 opened"]
    [resolved] = [n for n, line in enumerate(lines) if line.strip() == "dead letter #1 resolved"]
    assert opened < resolved
    assert lines[-1] == "3 events"

    assert cli.main(["audit", crm.ids[KEPT], "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert [r["matched_by"] for r in answer["records"]] == ["target id"]
    assert [row["action"] for row in answer["history"]] == ["created", "failed", "updated"]

    assert cli.main(["audit", "no.such.key"]) == 1
    assert "no record has 'no.such.key' as its source key or its target id" in capsys.readouterr().err
    assert cli.main(["audit", KEPT, "--counts"]) == 2


def test_the_cli_keeps_its_list_and_counts_and_prunes_only_when_told_a_date(cli_ledger, capsys):
    sync_day(cli_ledger, Crm(), "2026-10-01", TargetRecord(KEPT, {"name": "Contoso"}))
    assert cli.main(["audit", "--pair", "sap_ecc__dynamics_sales"]) == 0
    assert capsys.readouterr().out.strip() == "0 audit rows"
    assert cli.main(["audit", "--key", KEPT]) == 0
    assert f"{PAIR} {OBJ} {KEPT} created" in capsys.readouterr().out
    assert cli.main(["audit", "--counts"]) == 0
    assert f"run-2026-10-01 2026-10-01 {PAIR} {OBJ}: created 1" in capsys.readouterr().out

    assert cli.main(["audit", "prune"]) == 2
    assert cli.main(["audit", "--before", "2026-01-01"]) == 2
    assert cli.main(["audit", "prune", "--before", "2026-01-01", "--object", "account"]) == 2
    with pytest.raises(SystemExit):
        cli.main(["audit", "prune", "--before", "yesterday"])
    capsys.readouterr()
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert cli.main(["audit", "prune", "--before", tomorrow, "--dry-run"]) == 0
    assert "dry run: would remove 0 audit rows and 1 count rows of every pair" in capsys.readouterr().out
    assert cli.main(["audit", "prune", "--before", tomorrow, "--by", "carol"]) == 0
    assert "removed 0 audit rows and 1 count rows of every pair" in capsys.readouterr().out
    assert cli.main(["audit", KEPT]) == 0
    assert "were pruned on" in capsys.readouterr().out
    with cli_ledger.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(audit_counts)).scalar_one() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar_one() == 1


DOC = Path(__file__).parents[2] / "docs" / "operators" / "audit.md"


def doc_queries(dialect: str) -> dict[str, str]:
    """The SQL blocks of docs/operators/audit.md for this database, by the line that introduces them: a block for
    both databases, or one `on SQLite:` / `on PostgreSQL:`."""
    name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[dialect]
    return {
        intro: sql
        for intro, sql in re.findall(r"\n([^\n]+)\n\n```sql\n(.*?)```", DOC.read_text(), re.DOTALL)
        if intro.endswith(("(both databases):", f"on {name}:"))
    }


def test_the_documented_queries_run_on_this_database_and_answer_what_they_say(ledger, history):
    queries = doc_queries(ledger.engine.dialect.name)
    assert len(queries) == 5, list(queries)
    results = {}
    with ledger.engine.connect() as conn:
        for intro, sql in queries.items():
            sql = sql.replace("sap_ecc.vendor.100001", REFUSED).replace(
                "5c1f0b7e-6d0a-4c43-9b55-0e6f1b1c2d3e", "run-2026-10-02"
            )
            results[intro] = [tuple(row) for row in conn.exec_driver_sql(sql)]
    history_of, changed, failures = (
        next(v for k, v in results.items() if k.startswith(s)) for s in ("The history", "What changed", "Failures")
    )
    assert [(row[3], row[8] if row[3] == "edited" else None) for row in history_of] == [
        ("failed", None),
        ("edited", "alice"),
        ("created", None),
    ]
    assert changed == [(OBJ, KEPT, "updated", "name", "Contoso", "Contoso Ltd")]
    assert [row[:6] for row in failures] == [
        (PAIR, OBJ, "validation", "FIELD_INTEGRITY_EXCEPTION", "name: bad value", 1)
    ]
