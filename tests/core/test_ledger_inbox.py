"""The inbox tells a value it can never store from a store it cannot reach, the same way on SQLite and PostgreSQL:
the first raises UnstorableValue (the receiver answers 4xx, and the sender stops), the second the database's own
error (the receiver answers 503, and the sender's retry can succeed). It keeps only JSON as RFC 8259 defines it."""

import pytest
import sqlalchemy as sa

from ml_connector_dagster.ledger import Ledger, UnstorableValue
from tests.conftest import postgres_database
from tests.relay import relay


@pytest.fixture
def ledger(ledger_url):
    store = Ledger(ledger_url)
    yield store
    store.dispose()


@pytest.mark.parametrize(
    "source,dedup_key,payload,problem",
    [
        ("dynamics_fo", "9" * 5000, {}, "at most 300 characters of dedup_key"),
        ("s" * 65, "1", {}, "at most 64 characters of source"),
        ("zoho_crm", "1", {"server_time": float("nan")}, "JSON"),
        ("zoho_crm", "1", {"a": [float("inf")]}, "JSON"),
        ("zoho_crm", "1", {"a": float("-inf")}, "JSON"),
        ("procore", "1", {"note": "\ud800"}, "surrogate"),
        ("procore", "01EDPD2J6SBY\udc001163N77H95G", {}, "surrogate"),
        ("procore", "01EDPD2J6SBY\x001163N77H95GW09", {}, "NUL"),
        ("procore", "1", {"at": object()}, "JSON"),
    ],
    ids=["long key", "long source", "NaN", "Infinity", "-Infinity", "surrogate", "surrogate in key", "NUL", "object"],
)
def test_a_value_the_inbox_can_never_hold_is_refused_as_such_on_every_ledger(ledger, source, dedup_key, payload,
                                                                             problem):  # fmt: skip
    with pytest.raises(UnstorableValue, match=problem):
        ledger.inbox_put(source, dedup_key, payload)
    with ledger.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM inbox").scalar() == 0
    assert ledger.inbox_put("dynamics_fo", "2", {"ok": 1.5}), "the ledger goes on storing"


@pytest.mark.parametrize(
    "client_encoding,refusal",
    [("", "codec can't encode"), ("?client_encoding=utf8", "has no equivalent in encoding")],
    ids=["the driver encodes", "the server converts"],
)
def test_a_character_the_postgresql_encoding_lacks_is_a_value_refused_not_an_outage(client_encoding, refusal):
    with postgres_database("ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0") as url:
        ledger = Ledger(url + client_encoding)
        try:
            with pytest.raises(UnstorableValue, match=f"the ledger refused the event: .*{refusal}"):
                ledger.inbox_put("zoho_crm", "1207000000000001/日本", {})
            assert ledger.inbox_put("zoho_crm", "1207000000000001/é", {}), "Latin-1 itself is kept"
        finally:
            ledger.dispose()


def test_a_postgresql_server_that_went_away_is_the_stores_error_not_a_bad_value(postgres_url):
    port = sa.make_url(postgres_url).port or 5432
    with relay(port) as through:
        ledger = Ledger(postgres_url.replace(f":{port}/", f":{through.port}/"))
        try:
            assert ledger.inbox_put("procore", "01EDPD2J6SBY1163N77H95GW09", {})
            through.close()
            for _ in range(2):  # the pooled connection, cut; then a new one, refused
                with pytest.raises(sa.exc.OperationalError):
                    ledger.inbox_put("procore", "01JBX4ZQ0S6S3V5N9G2K7Y8W1A", {})
        finally:
            ledger.dispose()
