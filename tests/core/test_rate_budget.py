"""The request budget every run against a target shares, in the ledger's database (SQLite and PostgreSQL)."""

import multiprocessing
import threading

import httpx
import pytest

from ml_connector_dagster.http import BudgetTransport, RateBudget
from ml_connector_dagster.rate_budget import Leave, SharedAllowance, SharedBudget, SharedSlots, budget_key


class FrozenTime:
    """A clock that stands still (or moves only by what callers sleep, `advance`) and a sleep that notes how long
    each caller was told to wait."""

    def __init__(self, now: float = 1_000_000.0, *, advance: bool = False):
        self.now = now
        self.advance = advance
        self.waits: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.waits.append(round(seconds, 6))
            if self.advance:
                self.now += seconds


def shared(url: str, time: FrozenTime, key: str = "dynamics_sales https://org app", **kw) -> SharedBudget:
    return SharedBudget(url, key, kw.pop("max_requests", 10), kw.pop("window", 5.0), sleep=time.sleep, clock=time.clock)


def test_two_runs_claiming_from_one_budget_get_distinct_evenly_spaced_slots(ledger_url):
    time = FrozenTime()
    runs = [shared(ledger_url, time), shared(ledger_url, time)]  # two runs' budgets: one row
    workers = [threading.Thread(target=lambda b=b: [b.acquire() for _ in range(10)]) for b in runs]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    # 10 requests per 5 s is one every 0.5 s; a tenth of them (one) may go at once besides the first: the first two
    # go at once, each later one half a second after the last.
    assert sorted(time.waits) == [0.5 * n for n in range(1, 19)]


def claim_in_a_process(url: str, now: float, claims: int, waits) -> None:
    time = FrozenTime(now)
    budget = shared(url, time)
    for _ in range(claims):
        budget.acquire()
    waits.extend(time.waits)


def test_two_processes_claiming_from_one_budget_get_distinct_evenly_spaced_slots(ledger_url):
    spawn = multiprocessing.get_context("spawn")
    with spawn.Manager() as manager:
        waits = manager.list()
        processes = [spawn.Process(target=claim_in_a_process, args=(ledger_url, 1_000_000.0, 10, waits)) for _ in "ab"]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=120)
        assert [process.exitcode for process in processes] == [0, 0]
        assert sorted(waits) == [0.5 * n for n in range(1, 19)]


def test_a_pause_from_one_run_holds_every_run_of_the_budget(ledger_url):
    time = FrozenTime()
    first, second = shared(ledger_url, time), shared(ledger_url, time)
    first.pause(30)
    second.acquire()
    assert time.waits == [30]
    first.pause(5)  # a shorter pause does not cut a longer one short
    assert second.paused_until() == time.now + 30
    second.acquire()  # and after it, no burst: the next slot is one interval on
    assert time.waits == [30, 30.5]


def test_budgets_of_other_targets_or_identities_do_not_wait_for_each_other(ledger_url):
    time = FrozenTime()
    one, other = shared(ledger_url, time, key="a"), shared(ledger_url, time, key="b")
    one.pause(60)
    for _ in range(3):
        other.acquire()
    assert time.waits == [0.5]


def test_a_long_key_is_kept_to_the_column_and_stays_apart_from_others():
    long = budget_key("dynamics_sales", "https://" + "x" * 300, "app")
    assert len(long) <= 200 and long.startswith("dynamics_sales ")
    assert long != budget_key("dynamics_sales", "https://" + "x" * 300, "other app")


@pytest.mark.parametrize("kind", ["run's own", "shared"])
def test_a_retry_after_heard_by_one_client_pauses_every_client_of_the_budget(kind, tmp_path):
    time = FrozenTime(advance=True)
    if kind == "shared":
        url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
        budgets = shared(url, time, max_requests=1000), shared(url, time, max_requests=1000)
    else:
        budget = RateBudget(1000, 5.0, sleep=time.sleep, clock=time.clock)
        budgets = budget, budget
    answers = iter([httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200)])
    throttled = httpx.Client(transport=BudgetTransport(httpx.MockTransport(lambda _: next(answers)), budgets[0]))
    other = httpx.Client(transport=BudgetTransport(httpx.MockTransport(lambda _: next(answers)), budgets[1]))
    assert throttled.get("https://api/one").status_code == 429
    assert other.get("https://api/two").status_code == 200
    assert time.waits == [7]


def test_a_vendor_saying_little_is_left_holds_the_budget_for_as_long_as_it_says():
    time = FrozenTime(advance=True)
    budget = RateBudget(1000, 5.0, sleep=time.sleep, clock=time.clock)
    client = httpx.Client(
        transport=BudgetTransport(
            httpx.MockTransport(lambda _: httpx.Response(200, headers={"left": "2"})),
            budget,
            hold=lambda response: 3.0 if response.headers["left"] == "2" else None,
        )
    )
    client.get("https://api/one")
    client.get("https://api/two")
    assert time.waits == [3.0]


def allowance(url: str, time: FrozenTime, key: str = "procore company app") -> SharedAllowance:
    return SharedAllowance(url, key, fresh_seconds=60, clock=time.clock)


def test_two_runs_taking_from_one_allowance_stop_together_at_the_reserve(ledger_url):
    time = FrozenTime()
    first, second = allowance(ledger_url, time), allowance(ledger_url, time)
    first.hear(10, window_ends=time.now + 3600)
    taken = [budget.take(reserve=4) for budget in (first, second) * 5]
    # 10 left, 4 kept: six requests go, whichever run sends them, and the rest are refused with what is left.
    assert [t.granted for t in taken] == [True] * 6 + [False] * 4
    assert taken[5] == Leave(True, 4, time.now + 3600) and taken[-1] == Leave(False, 4, time.now + 3600)


def test_an_answer_to_an_earlier_request_does_not_give_back_what_was_sent_since(ledger_url):
    time = FrozenTime()
    budget = allowance(ledger_url, time)
    budget.hear(100, window_ends=time.now + 3600)
    for _ in range(5):
        budget.take(reserve=0)
    budget.hear(99, window_ends=time.now + 3600)  # the answer to the first of the five, arriving last
    assert budget.state() == (95, time.now + 3600)
    budget.hear(500, window_ends=time.now + 7200)  # a new window starts afresh
    assert budget.state() == (500, time.now + 7200)


def test_requests_sent_while_the_count_was_unknown_are_taken_off_the_answer_that_makes_it_known(ledger_url):
    time = FrozenTime()
    budget = allowance(ledger_url, time)
    for _ in range(4):  # four requests side by side before any answer
        assert budget.take(reserve=0).granted
    budget.unsaid()  # one answered without saying what is left
    budget.hear(50, window_ends=time.now + 3600)  # the first to say: two others are still in flight
    assert budget.state() == (48, time.now + 3600)


def test_when_the_window_ends_or_a_rolling_count_goes_stale_requests_go_until_an_answer_says_again(ledger_url):
    time = FrozenTime()
    hourly, daily = allowance(ledger_url, time, "hourly"), allowance(ledger_url, time, "daily")
    hourly.hear(0, window_ends=time.now + 10)
    daily.hear(0)
    assert hourly.take(reserve=0) == Leave(False, 0, time.now + 10) and daily.take(reserve=0) == Leave(False, 0, None)
    time.now += 61
    assert hourly.take(reserve=0).granted and daily.take(reserve=0).granted
    assert hourly.state()[0] is None and daily.state()[0] is None


def test_requests_in_flight_never_exceed_the_slots_whichever_run_sends_them(ledger_url):
    slots = [SharedSlots(ledger_url, "zoho_crm org app", 3, lease_seconds=60) for _ in range(2)]  # two runs
    in_flight, peak, lock = 0, 0, threading.Lock()

    def request(budget: SharedSlots) -> None:
        nonlocal in_flight, peak
        with budget.held():
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            threading.Event().wait(0.01)
            with lock:
                in_flight -= 1

    workers = [threading.Thread(target=lambda b=b: [request(b) for _ in range(5)]) for b in slots * 4]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert peak == 3


def test_a_runs_requests_waiting_for_a_slot_wait_in_the_process_not_polling_the_database(ledger_url):
    slots = SharedSlots(ledger_url, "procore company app", 2, lease_seconds=60)
    claims = []
    claim = slots._claim
    slots._claim = lambda: claims.append(1) or claim()

    def request() -> None:
        with slots.held():
            threading.Event().wait(0.05)

    workers = [threading.Thread(target=request) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    # each took a slot freed in this process at about its first claim (two taking turns at once may race for one
    # slot, and the loser claims again): not a database write every few milliseconds while waiting
    assert len(claims) <= 8 + 2


def test_a_slot_whose_holder_died_frees_itself_when_its_lease_ends(ledger_url):
    time = FrozenTime(advance=True)
    slots = [
        SharedSlots(ledger_url, "k", 1, lease_seconds=30, poll_seconds=1, sleep=time.sleep, clock=time.clock)
        for _ in range(2)  # two runs' processes
    ]
    held = slots[0].held()
    held.__enter__()  # a request whose process dies: never released
    with slots[1].held():
        pass
    assert sum(time.waits) >= 30
