"""The ledger against the real PostgreSQL server: same behaviour as on SQLite, including the upserts."""

from ml_connector_dagster.ledger import Ledger, Outcome


def test_ledger_on_postgres(postgres_url):
    ledger = Ledger(postgres_url)
    try:
        for action, payload in (("created", {"n": 1}), ("updated", {"n": 2})):
            ledger.record(
                pair="p", target_object="o", run_id="r", partition="d", outcomes=[Outcome("k", action, payload, "t")]
            )
        assert ledger.synced("p", "o", ["k"])["k"].payload == {"n": 2}
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
