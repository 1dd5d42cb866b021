"""Procore's hourly limit, kept rather than hit: requests go at once while plenty remain, and the last tenth above the
reserve is spread over the time to the reset, so a long run meets no 429 at all; at the reserve a run waits for the
reset, or stops cleanly when the reset is further away than it may wait (the load's unsent records become QUOTA
results); a 429 is retried after its Retry-After, or, without one, at the window's reset. No test waits: the clock
moves when the code sleeps."""

import httpx
import pytest
from ml_connector_dagster.resources.procore.rate import ProcoreBudget, RateLimitReached

from ml_connector_dagster.ledger import ErrorClass
from ml_connector_dagster.loading import TargetRecord
from tests.resources.procore_fake import FakeProcore, connected


def test_a_run_longer_than_the_hourly_limit_spreads_its_requests_and_is_never_throttled():
    fake = FakeProcore(rate_limit=300)
    for n in range(1000):
        fake.seed("vendors", None, name=f"Vendor {n}")
    start = fake.clock.time()
    with connected(fake, page_size=1, rate_reserve=50, max_retry_wait_seconds=3600) as client:
        assert len(list(client.vendors())) == 1000
    assert fake.throttled == 0, "not one 429"
    assert fake.clock.time() - start > 3 * 3600, "four windows' worth of requests took three resets"
    first_hour = [moment - start for moment in fake.times if moment - start < 3600]
    assert 240 <= len(first_hour) <= 300 - 50, "the reserve is left to the company's other integrations"
    burst = [moment for moment in first_hour if moment < 120]
    assert len(burst) >= 200, "while plenty remain, requests go at once (25 per 10 s: the spike budget)"
    spread = [moment for moment in first_hour if moment >= 120]
    gaps = [later - earlier for earlier, later in zip(spread, spread[1:], strict=False)]
    assert spread and min(gaps) > 60, "the last tenth is spread over the hour, not spent in a burst"


def test_a_limit_others_have_nearly_spent_stops_the_run_cleanly_and_the_unsent_records_wait_for_the_next():
    fake = FakeProcore(rate_limit=10)
    fake.used = 7  # another integration's requests this hour
    records = [TargetRecord(f"V{n}", {"name": f"Vendor {n}"}) for n in range(2500)]
    with connected(fake, rate_reserve=2, max_retry_wait_seconds=60) as client:
        results = client.upsert("vendors", records)
        with pytest.raises(RateLimitReached, match="resets in 3600 s"):
            list(client.vendors())
        assert client.existing_keys("vendors", {"V1": "1001"}) == {"V1"}, "the ledger's word until the next run"
    assert len(fake.calls) == 1 and fake.throttled == 0
    quota = [r for r in results if not r.ok]
    assert len(results) == 2500 and len(quota) == 1500
    assert {r.error_class for r in quota} == {ErrorClass.QUOTA} and quota[0].error_code == "RATE_LIMIT"
    assert "next run resumes" in quota[0].error_message


def test_a_429_is_retried_after_its_retry_after():
    fake = FakeProcore()
    answers = [httpx.Response(429, text="Slow down", headers={"Retry-After": "7"})]
    fake.api = lambda request: answers.pop() if answers else None
    with connected(fake) as client:
        assert list(client.projects()) == []
    assert len(fake.calls) == 2 and fake.clock.slept == [7]


def test_a_429_without_retry_after_is_retried_at_the_windows_reset():
    fake = FakeProcore()
    reset = fake.clock.time() + 40
    answers = [
        httpx.Response(
            429, text="Limit reached", headers={"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": str(int(reset))}
        )
    ]
    fake.api = lambda request: answers.pop() if answers else None
    with connected(fake) as client:
        assert list(client.projects()) == []
    assert len(fake.calls) == 2
    assert fake.times[1] == pytest.approx(reset, abs=0.01), "the backoff alone would have been half a second"


class HeardAllowance:
    """What the shared allowance was told: the hour's figures heard, and answers that said nothing of the hour."""

    def __init__(self):
        self.heard, self.unsaid_answers = [], 0

    def hear(self, remaining, window_ends):
        self.heard.append((remaining, window_ends))

    def unsaid(self):
        self.unsaid_answers += 1


def test_a_spike_windows_reset_rounded_up_to_the_next_second_is_not_taken_for_the_hours():
    """X-Rate-Limit-Reset is a whole epoch second: a spike window of 10 s that ends at 1000.4 s reads 1001, 10.6 s
    away, which taken for the hour's would replace what is left of the hour by what is left of the spike window."""
    allowance = HeardAllowance()
    now = 990.4
    budget = ProcoreBudget(spike=None, allowance=allowance, reserve=5, max_wait=60, spike_seconds=10, clock=lambda: now)
    spike_answer = {"X-Rate-Limit-Limit": "25", "X-Rate-Limit-Remaining": "3", "X-Rate-Limit-Reset": "1001"}
    hour_answer = {"X-Rate-Limit-Limit": "3600", "X-Rate-Limit-Remaining": "20", "X-Rate-Limit-Reset": "1900"}
    budget._learn(httpx.Response(200, headers=spike_answer))
    budget._learn(httpx.Response(200, headers=hour_answer))
    assert allowance.unsaid_answers == 1 and allowance.heard == [(20, 1900)]
