"""The `jde` resource's AIS session: one token per run, renewed before it lapses and once when AIS calls it invalid,
logged out at the end; a refused sign-in names what to check; a busy server is waited for."""

from contextlib import ExitStack
from datetime import UTC, datetime

import pytest

from ml_connector_dagster.http import AuthError
from ml_connector_dagster.sandbox.faults import FaultPlan, FaultSettings

WINDOW = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 4, tzinfo=UTC))


def read(client) -> list[dict]:
    return list(client.changed_between("F0101", ["AN8"], *WINDOW))


def test_one_token_serves_the_run_and_is_logged_out_at_the_end(jde):
    emulator, resource = jde
    with ExitStack() as stack:
        client = resource().connect(stack)
        read(client)
        read(client)
        assert emulator.active_sessions() == 1
    assert (emulator.tokens_issued, emulator.logouts, emulator.active_sessions()) == (1, 1, 0)


def test_a_token_is_renewed_once_the_server_clock_shows_it_25_minutes_old(jde):
    emulator, resource = jde
    with ExitStack() as stack:
        client = resource().connect(stack)
        read(client)
        emulator.clock.advance(26 * 60)
        read(client)  # answered with the server's time: the token is now due
        read(client)
        assert emulator.tokens_issued == 2
        assert client.auth.tokens_issued == 2


def test_a_token_the_server_dropped_mid_run_is_renewed_once_and_the_call_repeated(jde):
    emulator, resource = jde
    with ExitStack() as stack:
        client = resource(token_refresh_minutes=120).connect(stack)
        first = read(client)
        emulator.clock.advance(31 * 60)  # past the 30 minutes of inactivity AIS allows
        assert read(client) == first
        assert emulator.tokens_issued == 2


def test_a_second_invalid_token_answer_is_an_auth_error(jde):
    emulator, resource = jde
    emulator.faults.configure(
        FaultSettings(plans=[FaultPlan(path_contains="dataservice", advance_clock_seconds=61 * 60, count=2)])
    )
    with ExitStack() as stack, pytest.raises(AuthError, match="refused"):
        read(resource(token_refresh_minutes=120).connect(stack))


@pytest.mark.parametrize(
    "override, named", [({"password": "wrong"}, "JDE_PASSWORD"), ({"environment": "JPD920"}, "JDE_ENVIRONMENT")]
)
def test_a_refused_token_request_is_an_auth_error_naming_the_settings_and_is_not_repeated(jde, override, named):
    emulator, resource = jde
    with ExitStack() as stack:
        client = resource(**override).connect(stack)
        with pytest.raises(AuthError, match=named) as refused:
            read(client)
        with pytest.raises(AuthError):
            read(client)
    assert refused.value.status == 403
    assert "wrong" not in str(refused.value)
    assert client.counter.calls == {"POST (read)": 1}


@pytest.mark.parametrize("status", [429, 503])
def test_a_busy_server_is_waited_for(jde, status):
    emulator, resource = jde
    emulator.faults.configure(
        FaultSettings(plans=[FaultPlan(status=status, retry_after=0, count=2, path_contains="dataservice")])
    )
    with ExitStack() as stack:
        client = resource().connect(stack)
        assert read(client)
        assert client.counter.calls["POST (read)"] == 1 + 3  # the token, then two refusals and the answer
