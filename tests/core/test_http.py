import logging

import httpx
import pytest

from ml_connector_dagster.http import (
    NOT_IDEMPOTENT,
    CallCounter,
    RateBudget,
    RetryPolicy,
    build_client,
    retry_after_seconds,
)
from ml_connector_dagster.redaction import RedactingFilter, redact, register_secret


def scripted(responses):
    """A transport answering from a list: ints are statuses, exceptions are raised, tuples are (status, headers)."""
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        item = responses[min(len(calls) - 1, len(responses) - 1)]
        if isinstance(item, Exception):
            raise item
        status, headers = item if isinstance(item, tuple) else (item, {})
        return httpx.Response(status, headers=headers, json={"n": len(calls)})

    return httpx.MockTransport(handler), calls


def test_retries_429_and_5xx_then_succeeds_honouring_retry_after():
    transport, calls = scripted([(429, {"Retry-After": "7"}), 503, 200])
    waits = []
    counter = CallCounter()
    with build_client("http://x/", transport=transport, sleep=waits.append, counter=counter) as client:
        assert client.get("/a").status_code == 200
    assert len(calls) == 3
    assert waits[0] == 7  # the vendor's hint beats the short backoff of a first retry
    assert 0 <= waits[1] <= RetryPolicy().base_delay * 2
    assert counter.total == 3  # every wire request counts, retries included


def test_connection_errors_are_retried_and_give_up_after_max_attempts():
    transport, calls = scripted([httpx.RemoteProtocolError("dropped")])
    with build_client(
        "http://x/", transport=transport, sleep=lambda s: None, retry=RetryPolicy(max_attempts=3)
    ) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/a")
    assert len(calls) == 3


@pytest.mark.parametrize(
    "failure,retried",
    [
        (httpx.ConnectError("refused"), True),
        (503, True),
        (429, True),
        (httpx.ReadError("answer lost"), False),
        (httpx.RemoteProtocolError("dropped"), False),
        (504, False),
        (502, False),
    ],
)
def test_a_write_that_is_not_idempotent_is_retried_only_where_it_cannot_have_happened(failure, retried):
    transport, calls = scripted([failure, 201])
    with build_client("http://x/", transport=transport, sleep=lambda s: None) as client:
        try:
            answer = client.post("/orders", json={}, extensions=NOT_IDEMPOTENT).status_code
        except httpx.TransportError:
            answer = "raised"
    assert len(calls) == (2 if retried else 1)
    assert answer == (201 if retried else ("raised" if isinstance(failure, Exception) else failure))


def test_client_errors_are_not_retried():
    transport, calls = scripted([400, 200])
    with build_client("http://x/", transport=transport, sleep=lambda s: None) as client:
        assert client.get("/a").status_code == 400
    assert len(calls) == 1


def test_last_retryable_answer_is_returned_after_max_attempts():
    transport, calls = scripted([503])
    with build_client(
        "http://x/", transport=transport, sleep=lambda s: None, retry=RetryPolicy(max_attempts=2)
    ) as client:
        assert client.get("/a").status_code == 503
    assert len(calls) == 2


def test_backoff_is_capped_and_retry_after_bounded():
    policy = RetryPolicy(base_delay=1, max_delay=4, max_retry_after=60)
    assert all(policy.delay(20, None) <= 4 for _ in range(50))
    response = httpx.Response(429, headers={"Retry-After": "3600"})
    assert policy.delay(1, response) == 60


def test_retry_after_http_date():
    response = httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert retry_after_seconds(response) == 0.0
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "soon"})) is None


def test_rate_budget_waits_for_room_in_the_window():
    now = [0.0]
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        now[0] += seconds

    budget = RateBudget(2, 10, sleep=sleep, clock=lambda: now[0])
    budget.acquire()
    budget.acquire()
    budget.acquire()
    assert waits == [10]


def test_redaction_masks_registered_secrets_and_credential_shapes():
    register_secret("s3cr3t-value-xyz")
    text = redact("login with s3cr3t-value-xyz; Authorization: Bearer eyJhbGciOi.abc.def client_secret=abc123def")
    assert "s3cr3t-value-xyz" not in text
    assert "eyJhbGciOi" not in text
    assert "abc123def" not in text


def test_log_filter_redacts_arguments(caplog):
    register_secret("hunter2-password")
    logger = logging.getLogger("test.redaction")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="test.redaction"):
        logger.info("password is %s", "hunter2-password")
    assert "hunter2-password" not in caplog.text
    assert "***" in caplog.text
