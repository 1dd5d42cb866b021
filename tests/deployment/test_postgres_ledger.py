"""The ledger against the real PostgreSQL server: same behaviour as on SQLite, including the upserts."""

from ml_connector_dagster.ledger import Ledger, Outcome


def test_ledger_on_postgres(postgres_url):
    ledger = Ledger(postgres_url)
    try:
        for action, payload in (("created", {"n": 1}), ("updated", {"n": 2})):
            ledger.record(
                pair="p", target_object="o", run_id="r", partition="d", outcomes=[Outcome("k", action, payload, "t")]
            )
        assert ledger.payloads("p", "o", ["k"]) == {"k": {"n": 2}}
        ledger.record(
            pair="p",
            target_object="o",
            run_id="r",
            partition="d",
            outcomes=[Outcome("bad", "failed", {"payload": None}, error_class="validation", error_message="why")] * 2,
        )
        [letter] = ledger.open_dead_letters("p")
        assert letter.attempts == 2
        assert ledger.inbox_put("s", "1", {}) and not ledger.inbox_put("s", "1", {})
        assert [row["action"] for row in ledger.audit(source_key="k")] == ["created", "updated"]
    finally:
        ledger.dispose()


def test_an_initial_load_checkpoint_on_postgres_moves_with_each_page_and_starts_over_once_finished(postgres_url):
    ledger = Ledger(postgres_url)
    try:
        ledger.start_initial_load("p", "accounts", run_id="r1")
        ledger.advance_initial_load("p", "accounts", position="1500", records=500, run_id="r1")
        ledger.advance_initial_load("p", "accounts", position="2000", records=500, run_id="r1")
        checkpoint = ledger.checkpoint("p", "accounts")
        assert (checkpoint.position, checkpoint.pages, checkpoint.records) == ("2000", 2, 1000)
        assert checkpoint.finished_at is None and checkpoint.started_at.tzinfo is not None
        ledger.finish_initial_load("p", "accounts", run_id="r1")
        assert ledger.checkpoint("p", "accounts").finished_at is not None
        ledger.start_initial_load("p", "accounts", run_id="r2")
        again = ledger.checkpoint("p", "accounts")
        assert (again.position, again.pages, again.finished_at, again.run_id) == (None, 0, None, "r2")
    finally:
        ledger.dispose()
