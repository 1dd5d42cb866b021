import uuid
from datetime import date

import sqlalchemy as sa

from ml_connector_dagster.ledger import Outcome, payload_hash
from tests.conftest import started_on_an_older_ledger

PAIR, OBJ = "a__b", "account"


def test_success_writes_state_audit_with_changed_fields(ledger):
    ledger.record(
        pair=PAIR,
        target_object=OBJ,
        run_id="r1",
        partition="2026-10-01",
        outcomes=[Outcome("k1", "created", {"name": "A", "city": "X"}, "accounts(k='k1')")],
    )
    ledger.record(
        pair=PAIR,
        target_object=OBJ,
        run_id="r2",
        partition="2026-10-02",
        outcomes=[
            Outcome(
                "k1", "updated", {"name": "B", "city": "X"}, "accounts(k='k1')", previous={"name": "A", "city": "X"}
            )
        ],
    )
    state = ledger.synced(PAIR, OBJ, ["k1"])["k1"]
    assert state.payload_hash == payload_hash({"name": "B", "city": "X"})
    audit = ledger.audit(source_key="k1")
    assert [row["action"] for row in audit] == ["created", "updated"]
    assert audit[1]["changes"] == {"name": ["A", "B"]}
    assert audit[1]["run_id"] == "r2" and audit[1]["partition"] == "2026-10-02"


def test_a_payloads_hash_is_the_one_a_ledger_written_by_earlier_versions_holds():
    # sha256 of json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False): what sync_state holds already, so
    # that a rerun against it writes nothing.
    payload = {"name": 'Café 😀 "A"', "b": [1, 2.5, None, True], "a": {"z": 1, "y": date(2026, 10, 1)}}
    assert payload_hash(payload) == "26f193b7e6055fc3a9757bf5374cf49cffc955970dc334aedd7a52be94a42aa2"


def test_every_audit_row_has_a_random_id_of_its_own_and_a_created_record_audits_each_field_it_sets(ledger):
    outcomes = [Outcome(f"k{n}", "created", {"name": f"N{n}", "city": None}, f"t{n}") for n in range(300)]
    ledger.record(pair=PAIR, target_object=OBJ, run_id="r1", partition=None, outcomes=outcomes)
    audit = ledger.audit(run_id="r1")
    ids = [row["audit_id"] for row in audit]
    assert len(audit) == 300 and len(set(ids)) == 300
    assert all(uuid.UUID(text).version == 4 and str(uuid.UUID(text)) == text for text in ids)
    assert {row["source_key"]: row["changes"] for row in audit}["k7"] == {"name": [None, "N7"]}


def test_dead_letter_is_counted_then_resolved_never_deleted(ledger):
    for run in ("r1", "r2"):
        ledger.record(
            pair=PAIR,
            target_object=OBJ,
            run_id=run,
            partition="p",
            outcomes=[
                Outcome(
                    "k1",
                    "failed",
                    {"payload": {"name": "x"}},
                    error_class="validation",
                    error_code="0x80044331",
                    error_message="too long",
                )
            ],
        )
    [letter] = ledger.open_dead_letters(PAIR)
    assert letter.attempts == 2 and letter.error_code == "0x80044331"
    ledger.record(
        pair=PAIR,
        target_object=OBJ,
        run_id="r3",
        partition="p",
        outcomes=[Outcome("k1", "created", {"name": "x"}, "t1")],
    )
    assert ledger.open_dead_letters(PAIR) == []
    with ledger.engine.connect() as conn:
        assert conn.exec_driver_sql("select resolved_run_id from dead_letters").scalar() == "r3"


def test_inbox_deduplicates(ledger):
    assert ledger.inbox_put("src", "evt-1", {"a": 1}) is True
    assert ledger.inbox_put("src", "evt-1", {"a": 2}) is False
    rows = ledger.inbox_after("src", 0)
    assert len(rows) == 1 and rows[0]["payload"] == {"a": 1}
    ledger.inbox_mark_processed([rows[0]["id"]])
    assert ledger.inbox_after("src", 0)[0]["processed_at"] is not None


def test_a_sqlite_ledger_syncs_its_write_ahead_log_at_every_commit(ledger):
    with ledger.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2, "FULL: a returned commit survives power loss"


def test_a_ledger_made_before_the_audit_log_had_its_run_index_gains_it_when_it_starts(ledger_url):
    with started_on_an_older_ledger(ledger_url, "DROP INDEX ix_audit_log_run") as upgraded:
        indexes = sa.inspect(upgraded.engine).get_indexes("audit_log")
        assert "ix_audit_log_run" in {index["name"] for index in indexes}


def test_agreements_of_a_two_way_pair_are_found_by_either_key_and_replaced(ledger):
    from ml_connector_dagster.ledger import Agreed

    ledger.agree("a__b", "account", [Agreed("4242", "z1", {"phone": "1"}), Agreed("4243", "z2", {})], run_id="r1")
    ledger.agree("a__b", "account", [Agreed("4242", "z1", {"phone": "2"})], run_id="r2")
    [by_erp] = ledger.agreed("a__b", "account", erp_keys=["4242"])
    [by_crm] = ledger.agreed("a__b", "account", crm_keys=["z2"])
    assert (by_erp.crm_key, by_erp.values) == ("z1", {"phone": "2"})
    assert by_crm.erp_key == "4243"
    assert ledger.agreed("a__b", "contact", erp_keys=["4242"]) == []
