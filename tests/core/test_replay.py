"""Replay of dead letters from their stored payloads, for any pair and target, and editing a dead letter first:
against fake targets and a real ledger (SQLite; the schema upgrade on PostgreSQL too)."""

import json

import pytest
import sqlalchemy as sa
from ml_connector_dagster.assets.load import LoadTarget

from ml_connector_dagster import cli
from ml_connector_dagster.http import CallCounter
from ml_connector_dagster.ledger import Action, ErrorClass, NotEditable
from ml_connector_dagster.loading import TargetRecord, WriteResult, load
from ml_connector_dagster.mapping.common import MappingResult, Rejected
from ml_connector_dagster.replay import ReplayFilter, edited, plan, replay
from ml_connector_dagster.sync import SyncTarget, sync
from tests.conftest import started_on_an_older_ledger

CRM, ERP = "crm", "erp"
FORWARD, REVERSE = "erp__crm", "crm__erp"
# The reverse pair writes to both systems, as salesforce__dynamics_fo does (customers to F&O, keys back to Salesforce).
LOADS = [
    LoadTarget(FORWARD, "organisation", CRM),
    LoadTarget(FORWARD, "contact", CRM),
    LoadTarget(REVERSE, "customer", ERP),
    LoadTarget(REVERSE, "Account", CRM),
]


class FakeTarget:
    """One target system's writer: upserts into `rows`, refuses the keys in `refusing` for their error class."""

    def __init__(self):
        self.counter = CallCounter()
        self.rows: dict[tuple[str, str], dict] = {}
        self.sent: list[tuple[str, str]] = []
        self.refusing: dict[str, ErrorClass] = {}

    def upsert(self, target_object, records):
        self.counter.add("POST")
        results = []
        for record in records:
            self.sent.append((target_object, record.source_key))
            refused = self.refusing.get(record.source_key)
            if refused:
                results.append(
                    WriteResult(record.source_key, False, error_class=refused, error_message=f"refused ({refused})")
                )
                continue
            created = (target_object, record.source_key) not in self.rows
            self.rows[(target_object, record.source_key)] = record.payload
            results.append(
                WriteResult(record.source_key, True, f"{target_object}/{record.source_key}", created=created)
            )
        return results

    def existing_keys(self, target_object, known):
        return {key for key in known if (target_object, key) in self.rows}


@pytest.fixture
def targets():
    return {CRM: FakeTarget(), ERP: FakeTarget()}


def send(ledger, target, pair, target_object, *records):
    return load(
        records,
        writer=target,
        ledger=ledger,
        pair=pair,
        target_object=target_object,
        batch_size=10,
        run_id="run-1",
        partition="2026-10-01",
    )


def run_replay(ledger, targets, **only):
    return replay(
        ledger,
        LOADS,
        lambda load: targets[load.target],
        {CRM: 10, ERP: 10},
        only=ReplayFilter(**only),
        run_id="replay-1",
    )


def letter_of(ledger, pair, target_object, key):
    [letter] = [found for found in ledger.open_dead_letters(pair, target_object) if found.source_key == key]
    return letter


def organisation(key, name="Contoso"):
    return TargetRecord(key, {"name": name})


def contact(key, organisation_key):
    return TargetRecord(key, {"last_name": key}, (("organisation", organisation_key),))


def test_a_contact_that_waited_for_its_refused_organisation_is_replayed_after_it_in_the_same_replay(ledger, targets):
    crm = targets[CRM]
    # The contact's day ran before its organisation's: it waits (the older letter), then the organisation is refused.
    send(ledger, crm, FORWARD, "contact", contact("c1", "o1"))
    crm.refusing["o1"] = ErrorClass.VALIDATION
    send(ledger, crm, FORWARD, "organisation", organisation("o1"))
    waiting, refused = letter_of(ledger, FORWARD, "contact", "c1"), letter_of(ledger, FORWARD, "organisation", "o1")
    assert waiting.error_class == ErrorClass.DEPENDENCY and waiting.id < refused.id

    crm.refusing.clear()
    crm.sent.clear()
    totals = run_replay(ledger, targets)
    assert crm.sent == [("organisation", "o1"), ("contact", "c1")], "parents first, whatever the ids and names say"
    assert (totals.loaded.created, totals.loaded.failed) == (2, 0)
    assert (totals.api_calls, totals.write_calls) == ({CRM: 2}, {CRM: 2})
    for letter in (waiting, refused):
        stored = ledger.dead_letter(letter.id)
        assert stored.resolved_at is not None, "resolved, and still in the table"


def test_a_letter_waiting_on_a_replayed_record_follows_it_when_only_the_parent_is_asked_for(ledger, targets):
    crm = targets[CRM]
    crm.refusing["o1"] = ErrorClass.VALIDATION
    send(ledger, crm, FORWARD, "organisation", organisation("o1"))
    send(ledger, crm, FORWARD, "contact", contact("c1", "o1"), contact("c2", "o2"))
    crm.refusing.clear()

    totals = run_replay(ledger, targets, ids=[letter_of(ledger, FORWARD, "organisation", "o1").id])
    assert ("contact", "c1") in crm.rows, "it waited for o1, which this replay sent"
    assert totals.loaded.created == 2 and ("contact", "c2") not in crm.rows, "o2 is still not in the target"
    assert [letter.source_key for letter in ledger.open_dead_letters()] == ["c2"]


def test_filters_by_pair_object_error_class_ids_and_target_select_the_letters(ledger, targets):
    crm, erp = targets[CRM], targets[ERP]
    crm.refusing.update(
        {
            "o1": ErrorClass.VALIDATION,
            "o2": ErrorClass.CONFLICT,
            "a1": ErrorClass.TRANSIENT,
            "c9": ErrorClass.VALIDATION,
        }
    )
    erp.refusing["x1"] = ErrorClass.VALIDATION
    send(ledger, crm, FORWARD, "organisation", organisation("o1"), organisation("o2"))
    send(ledger, crm, FORWARD, "contact", TargetRecord("c9", {"last_name": "Berg"}))
    send(ledger, erp, REVERSE, "customer", TargetRecord("x1", {"name": "Newco"}))
    send(ledger, crm, REVERSE, "Account", TargetRecord("a1", {"erp_key": "x1"}))

    def chosen(**only):
        return sorted(
            letter.source_key for _, letters in plan(ledger, LOADS, ReplayFilter(**only)).groups for letter in letters
        )

    assert chosen() == ["a1", "c9", "o1", "o2", "x1"]
    assert chosen(pair=REVERSE) == ["a1", "x1"]
    assert chosen(target_object="organisation") == ["o1", "o2"]
    assert chosen(error_class=ErrorClass.CONFLICT) == ["o2"]
    assert chosen(ids=[letter_of(ledger, FORWARD, "contact", "c9").id]) == ["c9"]
    assert chosen(target=CRM) == ["a1", "c9", "o1", "o2"], "the reverse pair's write-back goes back to the CRM"
    assert chosen(target=ERP, pair=REVERSE) == ["x1"]

    crm.refusing.clear()
    erp.refusing.clear()
    totals = run_replay(ledger, targets, pair=REVERSE)
    assert {key for _, key in crm.sent[-1:]} == {"a1"} and ("customer", "x1") in erp.rows
    assert set(totals.api_calls) == {CRM, ERP}, "one replay, each letter through its own target"
    assert sorted(letter.source_key for letter in ledger.open_dead_letters()) == ["c9", "o1", "o2"]


def test_letters_refused_for_validation_or_conflict_are_resent_by_replay_though_their_payload_is_unchanged(
    ledger, targets
):
    crm = targets[CRM]
    crm.refusing.update({"o1": ErrorClass.VALIDATION, "o2": ErrorClass.CONFLICT})
    records = (organisation("o1"), organisation("o2"))
    send(ledger, crm, FORWARD, "organisation", *records)
    crm.refusing.clear()
    rerun = send(ledger, crm, FORWARD, "organisation", *records)
    assert (rerun.skipped, rerun.batches) == (2, 0), "a run does not send them again unchanged"

    totals = run_replay(ledger, targets)
    assert (totals.loaded.created, totals.loaded.batches) == (2, 1)
    assert ledger.open_dead_letters() == []


def test_letters_the_mapping_rejected_are_counted_as_without_payload_and_left_open(ledger, targets):
    rejected = MappingResult(rejected=[Rejected("o7", "name is longer than 160 characters", {"PARTY_ID": 7})])
    sync(rejected, SyncTarget(FORWARD, "organisation", targets[CRM], 10), ledger, run_id="run-1", partition="p")
    totals = run_replay(ledger, targets)
    assert totals.without_payload == 1 and targets[CRM].sent == []
    assert [letter.source_key for letter in ledger.open_dead_letters()] == ["o7"]


def test_a_letter_whose_pair_and_object_no_load_writes_is_reported_not_skipped_silently(ledger, targets):
    send(ledger, FakeTarget(), "old__crm", "lead", TargetRecord("l1", {"name": "x"}, (("account", "gone"),)))
    [orphan] = ledger.open_dead_letters("old__crm")
    totals = run_replay(ledger, targets)
    assert totals.without_load_target == [orphan.id]
    assert ledger.dead_letter(orphan.id).resolved_at is None


def test_an_edit_changes_what_replay_sends_and_the_audit_log_shows_who_changed_what_then_the_update(ledger, targets):
    crm = targets[CRM]
    send(ledger, crm, FORWARD, "organisation", organisation("o1", "Contoso"))
    crm.refusing["c1"] = ErrorClass.VALIDATION
    send(
        ledger,
        crm,
        FORWARD,
        "contact",
        TargetRecord("c1", {"last_name": "BLOCKED", "address": {"city": "Wien"}}, (("organisation", "o1"),)),
    )
    letter = letter_of(ledger, FORWARD, "contact", "c1")

    fixed = edited(letter.record_payload, {"last_name": "Berg", "address.city": "Graz"}, [])
    edit = ledger.edit_dead_letter(letter.id, fixed, by="alice")
    assert edit.payload["refs"] == [["organisation", "o1"]], "the stored refs stay"
    assert ledger.dead_letter(letter.id).resolved_at is None, "open until a replay sends it"
    crm.refusing.clear()
    run_replay(ledger, targets)
    assert crm.rows[("contact", "c1")] == {"last_name": "Berg", "address": {"city": "Graz"}}

    audit = ledger.audit(source_key="c1")
    assert [row["action"] for row in audit] == [Action.FAILED, Action.EDITED, Action.CREATED]
    assert audit[1]["actor"] == "alice" and audit[1]["at"] is not None
    assert audit[1]["changes"] == {"address.city": ["Wien", "Graz"], "last_name": ["BLOCKED", "Berg"]}
    assert audit[2]["run_id"] == "replay-1"


def test_editing_a_resolved_letter_or_one_without_payload_is_refused(ledger, targets):
    crm = targets[CRM]
    crm.refusing["o1"] = ErrorClass.VALIDATION
    send(ledger, crm, FORWARD, "organisation", organisation("o1"))
    letter = letter_of(ledger, FORWARD, "organisation", "o1")
    crm.refusing.clear()
    run_replay(ledger, targets)
    with pytest.raises(NotEditable, match="resolved"):
        ledger.edit_dead_letter(letter.id, {"name": "x"}, by="alice")

    sync(
        MappingResult(rejected=[Rejected("o7", "no name", {})]),
        SyncTarget(FORWARD, "organisation", crm, 10),
        ledger,
        run_id="run-2",
        partition="p",
    )
    [rejected] = ledger.open_dead_letters()
    with pytest.raises(NotEditable, match="fix it at the source"):
        ledger.edit_dead_letter(rejected.id, {"name": "x"}, by="alice")
    assert [row["action"] for row in ledger.audit()] == [Action.FAILED, Action.CREATED, Action.FAILED]


def test_edits_address_nested_fields_and_list_positions_and_refuse_paths_the_payload_cannot_have():
    order = {"header": {"CustomerGroupId": "50"}, "lines": [{"SalesPrice": 10}], "memo": "x"}
    assert edited(
        order, {"header.CustomerGroupId": "30", "lines.0.SalesPrice": 12.5, "header.Site": "1"}, ["memo"]
    ) == {"header": {"CustomerGroupId": "30", "Site": "1"}, "lines": [{"SalesPrice": 12.5}]}
    assert order["header"]["CustomerGroupId"] == "50", "the stored payload is not changed in place"
    for assignments, removals in (({"lines.3.SalesPrice": 1}, []), ({"memo.text": 1}, []), ({}, ["nothing"])):
        with pytest.raises(ValueError):
            edited(order, assignments, removals)


def test_a_ledger_made_before_the_audit_log_had_an_actor_gains_the_column_when_it_starts(ledger_url):
    with started_on_an_older_ledger(ledger_url, "ALTER TABLE audit_log DROP COLUMN actor") as upgraded:
        assert "actor" in {column["name"] for column in sa.inspect(upgraded.engine).get_columns("audit_log")}
        target = FakeTarget()
        target.refusing["o1"] = ErrorClass.VALIDATION
        send(upgraded, target, FORWARD, "organisation", organisation("o1"))
        [letter] = upgraded.open_dead_letters()
        upgraded.edit_dead_letter(letter.id, {"name": "Fabrikam"}, by="bob")
        assert upgraded.audit()[-1]["actor"] == "bob"


# the CLI -----------------------------------------------------------------------------------------------------------


def test_the_cli_edits_a_dead_letter_by_dotted_path_and_file_and_refuses_what_cannot_be_edited(
    cli_ledger, tmp_path, capsys
):
    target = FakeTarget()
    target.refusing["s1"] = ErrorClass.VALIDATION
    send(
        cli_ledger, target, REVERSE, "customer", TargetRecord("s1", {"header": {"CustomerGroupId": "50"}, "memo": "m"})
    )
    [letter] = cli_ledger.open_dead_letters()

    assert (
        cli.main(
            [
                "dead-letters",
                "edit",
                str(letter.id),
                "--set",
                "header.CustomerGroupId=30",
                "--set",
                "header.Note=needs review",
                "--unset",
                "memo",
                "--by",
                "alice",
            ]
        )
        == 0
    )
    assert 'header.CustomerGroupId: "50" -> 30' in capsys.readouterr().out
    assert cli_ledger.dead_letter(letter.id).record_payload == {
        "header": {"CustomerGroupId": 30, "Note": "needs review"}
    }
    replacement = tmp_path / "payload.json"
    replacement.write_text(json.dumps({"header": {"CustomerGroupId": "30"}}))
    assert cli.main(["dead-letters", "edit", str(letter.id), "--payload-file", str(replacement)]) == 0
    assert cli_ledger.dead_letter(letter.id).record_payload == {"header": {"CustomerGroupId": "30"}}
    edits = [row for row in cli_ledger.audit(source_key="s1") if row["action"] == Action.EDITED]
    assert edits[0]["actor"] == "alice" and edits[1]["actor"], "the OS user when --by is not given"

    assert cli.main(["dead-letters", "--error-class", "validation"]) == 0
    assert f"#{letter.id}" in capsys.readouterr().out
    assert cli.main(["dead-letters", "edit", str(letter.id)]) == 2
    assert cli.main(["dead-letters", "edit", "999", "--set", "a=1"]) == 2
    sync(
        MappingResult(rejected=[Rejected("s2", "no country", {})]),
        SyncTarget(REVERSE, "customer", target, 10),
        cli_ledger,
        run_id="run-2",
        partition="p",
    )
    rejected = next(found for found in cli_ledger.open_dead_letters() if found.source_key == "s2")
    assert cli.main(["dead-letters", "edit", str(rejected.id), "--set", "a=1"]) == 2
    assert "fix it at the source" in capsys.readouterr().err


def test_cli_replay_runs_the_replay_job_of_each_target_with_matching_letters_and_prints_only_the_totals(
    cli_ledger, capsys
):
    sync(
        MappingResult(rejected=[Rejected("oracle_ebs:party:7", "no name", {})]),
        SyncTarget("oracle_ebs__dynamics_sales", "account", FakeTarget(), 10),
        cli_ledger,
        run_id="run-1",
        partition="p",
    )
    assert cli.main(["replay", "--error-class", "validation"]) == 0
    out, err = capsys.readouterr()
    answer = json.loads(out)
    assert set(answer["targets"]) == {"dynamics_sales"}, "no other target has a matching letter"
    run = answer["targets"]["dynamics_sales"]
    assert run["success"] and run["without_payload"] == 1 and run["api_calls"] == 0
    assert "DEBUG" not in out + err
