"""The sandbox framework's fault knobs, on a minimal emulator over real HTTP."""

import httpx
import pytest
from starlette.responses import JSONResponse
from starlette.routing import Route

from ml_connector_dagster.sandbox.emulator import Emulator
from ml_connector_dagster.sandbox.server import SandboxServer


class Echo(Emulator):
    name = "echo"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.handled = 0

    def routes(self):
        return [Route("/things", self.things, methods=["GET", "POST"])]

    async def things(self, request):
        self.handled += 1
        return JSONResponse({"now": self.clock.now().isoformat()})


@pytest.fixture
def echo():
    emulator = Echo()
    with SandboxServer([emulator]) as server:
        yield emulator, server.url("echo")


def test_planned_burst_with_retry_after_then_recovery(echo):
    emulator, url = echo
    httpx.post(url + "/_admin/faults", json={"plans": [{"status": 429, "count": 2, "retry_after": 3}]})
    answers = [httpx.get(url + "/things") for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "3"
    assert emulator.handled == 1


def test_skip_method_and_path_filters(echo):
    emulator, url = echo
    httpx.post(url + "/_admin/faults", json={"plans": [{"status": 503, "method": "POST", "skip": 1}]})
    assert httpx.get(url + "/things").status_code == 200
    assert httpx.post(url + "/things").status_code == 200
    assert httpx.post(url + "/things").status_code == 503


def test_a_query_filter_matches_the_decoded_query_string_only(echo):
    """One day's OData `$filter` fails whichever other days' reads go at once: the browser test's failed partition."""
    emulator, url = echo
    plan = {"status": 500, "count": 5, "query_contains": "UDATE le datetime'2026-10-03"}
    httpx.post(url + "/_admin/faults", json={"plans": [plan]})
    day = "UDATE ge datetime'{}T00:00:00' and UDATE le datetime'{}T00:00:00'"
    assert httpx.get(url + "/things", params={"$filter": day.format("2026-10-03", "2026-10-04")}).status_code == 200
    assert httpx.get(url + "/things", params={"$filter": day.format("2026-10-02", "2026-10-03")}).status_code == 500
    assert httpx.get(url + "/things").status_code == 200


def test_drop_before_and_after_processing(echo):
    emulator, url = echo
    httpx.post(url + "/_admin/faults", json={"plans": [{"status": 0}, {"drop_after_processing": True}]})
    for _ in range(2):
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(url + "/things")
    assert emulator.handled == 1  # the second request was processed, its answer lost


def test_a_reset_before_forwarding_reaches_nothing_and_a_reset_after_it_loses_only_the_answer(echo):
    emulator, url = echo
    plans = [{"reset": "before_forward"}, {"reset": "after_forward"}]
    httpx.post(url + "/_admin/faults", json={"plans": plans})
    with pytest.raises(httpx.ReadError, match="reset"):
        httpx.get(url + "/things")
    assert emulator.handled == 0
    with pytest.raises(httpx.ReadError, match="reset"):
        httpx.get(url + "/things")
    assert emulator.handled == 1
    assert httpx.get(url + "/things").status_code == 200


def test_clock_jump_at_an_exact_request(echo):
    emulator, url = echo
    before = emulator.clock.now()
    httpx.post(url + "/_admin/faults", json={"plans": [{"advance_clock_seconds": 7200, "skip": 1}]})
    httpx.get(url + "/things")
    httpx.get(url + "/things")
    assert (emulator.clock.now() - before).total_seconds() >= 7200


def test_bad_fault_settings_are_refused_with_the_field(echo):
    _, url = echo
    answer = httpx.post(url + "/_admin/faults", json={"plans": [{"count": 0}]})
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == "count"
