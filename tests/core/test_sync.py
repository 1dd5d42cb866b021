from ml_connector_dagster.http import CallCounter
from ml_connector_dagster.ledger import ErrorClass, Truncated
from ml_connector_dagster.loading import TargetRecord, WriteResult
from ml_connector_dagster.mapping.common import Excluded, MappingResult, Rejected
from ml_connector_dagster.materialize import duplicate_keys_check
from ml_connector_dagster.sync import SyncTarget, sync

PAIR, OBJ = "a__b", "CustomersV3"


class UpsertOnlyWriter:
    """A target that creates and updates but has no way to delete (F&O, Salesforce today)."""

    def __init__(self, refuse: frozenset[str] = frozenset()):
        self.counter = CallCounter()
        self.rows: dict[str, dict] = {}
        self.refuse = refuse

    def upsert(self, target_object, records):
        self.counter.add("POST")
        self.rows.update(
            {record.source_key: record.payload for record in records if record.source_key not in self.refuse}
        )
        return [
            WriteResult(record.source_key, False, error_class=ErrorClass.VALIDATION, error_message="refused")
            if record.source_key in self.refuse
            else WriteResult(record.source_key, True, f"id-{record.source_key}")
            for record in records
        ]

    def existing_keys(self, target_object, known):
        return set(known) & set(self.rows)


def test_removing_from_a_target_that_does_not_delete_fails_each_written_record_with_the_reason(ledger):
    writer = UpsertOnlyWriter()
    target = SyncTarget(PAIR, OBJ, writer, batch_size=10)
    sync(MappingResult(records=[TargetRecord("k1", {"name": "one"})]), target, ledger, run_id="r1", partition=None)
    calls = writer.counter.total
    removal = MappingResult(
        excluded=[
            Excluded("k1", "deleted in the source", remove_from_target=True),
            Excluded("never-written", "deleted in the source", remove_from_target=True),
        ]
    )
    summary = sync(removal, target, ledger, run_id="r2", partition=None)
    assert (summary.deleted, summary.failed, summary.batches) == (0, 1, 0)
    assert summary.failures_by_class == {"validation": 1}
    assert writer.counter.total == calls, "nothing is sent: the target has no delete, a key never written costs none"
    [letter] = ledger.open_dead_letters(PAIR)
    assert letter.source_key == "k1" and letter.error_class == "validation"
    assert letter.error_message.startswith(f"{OBJ}: this target does not delete records")
    assert ledger.synced_keys(PAIR, OBJ, ["k1"]) == {"k1"}, "the ledger still knows the record is in the target"


def test_every_audit_row_of_a_record_whose_value_the_mapping_cut_says_what_was_cut_and_a_dead_letter_keeps_it(ledger):
    cut = Truncated("name", "Ö" + "🚀" * 100, length=201, kept=159)
    noted = {"field": "name", "length": 201, "kept": 159, "value": cut.value}
    records = [
        TargetRecord("k1", {"name": "Ö" + "🚀" * 79}, truncated=(cut,)),
        TargetRecord("k2", {"name": "refused too"}, truncated=(cut,)),
    ]
    target = SyncTarget(PAIR, OBJ, UpsertOnlyWriter(refuse=frozenset({"k2"})), batch_size=10)
    for run in ("r1", "r2"):
        sync(MappingResult(records=records), target, ledger, run_id=run, partition=None)

    created, unchanged = ledger.audit(source_key="k1")
    assert (created["action"], unchanged["action"]) == ("created", "unchanged")
    assert created["changes"] == {"name": [None, "Ö" + "🚀" * 79], "truncated": [noted]}
    assert unchanged["changes"] == {"truncated": [noted]}
    failed, skipped = ledger.audit(source_key="k2")
    assert failed["changes"] == {"error": "refused", "error_class": "validation", "truncated": [noted]}
    assert skipped["changes"]["truncated"] == [noted]
    assert skipped["changes"]["reason"].startswith("unchanged since the target refused it")
    [letter] = ledger.open_dead_letters(PAIR)
    assert TargetRecord.from_dead_letter(letter) == records[1], "a replay records the cut too"


def test_records_whose_keys_normalise_to_one_target_key_are_both_conflict_dead_letters_and_neither_is_written(ledger):
    writer = UpsertOnlyWriter()
    target = SyncTarget(PAIR, OBJ, writer, batch_size=10)
    result = MappingResult(
        records=[
            TargetRecord("v.42", {"name": "padded"}, origin="LIFNR '0000000042'"),
            TargetRecord("v.43", {"name": "alone"}),
            TargetRecord("v.42", {"name": "unpadded"}, origin="LIFNR '42'"),
        ],
        rejected=[Rejected("v.44", "no name", {"LIFNR": "44"}, origin="LIFNR '44'")],
        excluded=[Excluded("v.44", "blocked", origin="LIFNR '0000000044'")],
    )
    summary = sync(result, target, ledger, run_id="r1", partition="2026-10-01")
    assert writer.rows == {"v.43": {"name": "alone"}}, "neither record of a shared key is written"
    assert (summary.records, summary.created, summary.failed) == (5, 1, 2)
    assert summary.failures_by_class["conflict"] == 2
    letters = {letter.source_key: letter for letter in ledger.open_dead_letters(PAIR, OBJ, "conflict")}
    assert set(letters) == {"v.42", "v.44"}
    assert "LIFNR '0000000042'" in letters["v.42"].error_message and "LIFNR '42'" in letters["v.42"].error_message
    assert "LIFNR '44'" in letters["v.44"].error_message and "LIFNR '0000000044'" in letters["v.44"].error_message
    assert letters["v.42"].error_code == "key_conflict" and TargetRecord.from_dead_letter(letters["v.42"]) is None
    stored = [entry["payload"] for entry in letters["v.42"].payload["conflicting"]]
    assert stored == [{"name": "padded"}, {"name": "unpadded"}], "what each record would have written is kept"
    assert [row["action"] for row in ledger.audit(source_key="v.42")] == ["failed"]

    check = duplicate_keys_check("unique", result)
    assert not check.passed and check.metadata["conflict_dead_letters"].value == 2
    assert "v.42 (LIFNR '0000000042', LIFNR '42')" in check.metadata["examples"].value

    fixed = MappingResult(records=[TargetRecord("v.42", {"name": "padded"}, origin="LIFNR '0000000042'")])
    sync(fixed, target, ledger, run_id="r2", partition="2026-10-02")
    assert writer.rows["v.42"] == {"name": "padded"}, "once the source is corrected the record goes through"
    assert {letter.source_key for letter in ledger.open_dead_letters(PAIR, OBJ)} == {"v.44"}
