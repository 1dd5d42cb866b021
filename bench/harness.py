"""What every benchmark measures with: a child process per loader (so its peak memory is its own), emulators served
with a latency and limits, the calls they served, goals checked against measured values, and the tables and ratios
printed. The scripts beside this one import it (`python bench/<script>.py` puts bench/ on the path).

Peak memory is the child's own high-water mark, VmHWM in /proc/self/status: Linux keeps `ru_maxrss` across exec, so a
spawned child's getrusage reports its parent's peak when that is higher.
"""

import math
import multiprocessing
import os
import platform
import resource
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from ml_connector_dagster.sandbox.emulator import Emulator
from ml_connector_dagster.sandbox.entra import EntraEmulator
from ml_connector_dagster.sandbox.server import SandboxServer
from ml_connector_dagster.sandbox.tokens import TokenSigner
from ml_connector_dagster.systems import sandbox_urls

T = TypeVar("T")
R = TypeVar("R")
E = TypeVar("E", bound=Emulator)
THREADS = 16  # the threaded per-record baselines' workers


# Memory ---------------------------------------------------------------------------------------------------------
def _status_mb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_mb() -> float:
    """This process's own peak resident memory (where /proc is missing, getrusage's, which may be inherited)."""
    own = _status_mb("VmHWM")
    if own is not None:
        return own
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Child processes ------------------------------------------------------------------------------------------------
def in_child(work: Callable[..., dict], *args, **kwargs) -> dict:
    """`work(*args, **kwargs)` in a spawned process; its answer (a dict) with `start_mb`, the child's peak once started
    (the interpreter and the imports of the script), and `peak_mb`, its peak when the work was done. `work` must be
    a module-level function of the script."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_run_child, args=(queue, work, args, kwargs))
    process.start()
    status, answer = queue.get()
    process.join()
    if status != "ok":
        raise RuntimeError(f"{work.__name__} failed in its process:\n{answer}")
    return answer


def _run_child(queue, work: Callable[..., dict], args, kwargs) -> None:
    start = peak_mb()
    try:
        answer = work(*args, **kwargs)
    except BaseException:
        queue.put(("error", traceback.format_exc()))
        return
    queue.put(("ok", {**answer, "start_mb": start, "peak_mb": peak_mb()}))


def in_children(work: Callable[..., dict], argument_lists: Sequence[tuple]) -> list[dict]:
    """`work` in one spawned process per argument tuple, all at once; their answers in the same order."""
    context = multiprocessing.get_context("spawn")
    queues = [context.Queue() for _ in argument_lists]
    processes = [
        context.Process(target=_run_child, args=(queue, work, args, {}))
        for queue, args in zip(queues, argument_lists, strict=True)
    ]
    for process in processes:
        process.start()
    answers = [queue.get() for queue in queues]
    for process in processes:
        process.join()
    failed = [answer for status, answer in answers if status != "ok"]
    if failed:
        raise RuntimeError(f"{work.__name__} failed in its process:\n{failed[0]}")
    return [answer for _, answer in answers]


class Stopwatch:
    """Wall-clock start and end (comparable across processes) and the seconds between (monotonic)."""

    def __enter__(self) -> "Stopwatch":
        self.started_at, self._started = time.time(), time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._started
        self.ended_at = self.started_at + self.seconds


class CpuClock:
    """This process's CPU time between enter and exit (every thread of it): what a loader costs the machine, whatever
    else runs on it, where the wall clock counts time spent waiting for a busy core."""

    def __enter__(self) -> "CpuClock":
        self._started = time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.process_time() - self._started


def threaded(send: Callable[[T], R], items: Iterable[T], threads: int = THREADS) -> list[R]:
    """`send` over `items` from `threads` workers, as a hand-written loader that sends records concurrently does."""
    if threads == 1:
        return [send(item) for item in items]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(send, items))


# Emulators ------------------------------------------------------------------------------------------------------
@contextmanager
def served(emulators: Sequence[Emulator], *, latency_ms: dict[str, int] | None = None) -> Iterator[SandboxServer]:
    """The emulators over real HTTP, each with its latency per call (by name; none where not given); `.urls` has every
    sandbox system's URL, these emulators' ports over the defaults."""
    for emulator in emulators:
        emulator.faults.latency_ms = (latency_ms or {}).get(emulator.name, 0)
    with SandboxServer(list(emulators)) as server:
        server.urls = {**sandbox_urls(), **server.urls}
        yield server


def behind_entra(emulator: type[E], **kwargs) -> tuple[EntraEmulator, E]:
    """A Microsoft system's emulator (Dataverse, F&O) and the Entra tenant whose tokens it accepts."""
    signer = TokenSigner()
    return EntraEmulator(signer=signer), emulator(signer=signer, **kwargs)


@dataclass
class Served:
    """What an emulator served between `Served.since(emulator)` and `.taken()`: every request, and the 429s of its
    own rate limit where it counts them (`requests_throttled`)."""

    emulator: Emulator
    requests: int = 0
    throttled: int = 0

    @classmethod
    def since(cls, emulator: Emulator) -> "Served":
        return cls(emulator, emulator.requests_served, getattr(emulator, "requests_throttled", 0))

    def taken(self) -> "Served":
        return Served(
            self.emulator,
            self.emulator.requests_served - self.requests,
            getattr(self.emulator, "requests_throttled", 0) - self.throttled,
        )


# Printing -------------------------------------------------------------------------------------------------------
def machine() -> str:
    """The date and the machine, for the README's figures."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores, {memory:.0f} GB, "
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()}"
    )


def table(columns: Sequence[tuple[str, int]], rows: Iterable[Sequence[Any]]) -> str:
    """Rows under headed columns: (heading, width) each; the first column left-aligned, the others right; floats
    with one decimal, None blank."""

    def cell(value: Any, width: int, first: bool) -> str:
        if value is None:
            text = ""
        elif isinstance(value, float):
            text = f"{value:,.1f}"
        elif isinstance(value, int):
            text = f"{value:,}"
        else:
            text = str(value)
        return text.ljust(width) if first else text.rjust(width)

    lines = ["".join(cell(h, w, n == 0) for n, (h, w) in enumerate(columns))]
    for row in rows:
        lines.append("".join(cell(v, w, n == 0) for n, ((_, w), v) in enumerate(zip(columns, row, strict=True))))
    return "\n".join(lines)


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.inf


@dataclass(frozen=True)
class Goal:
    """A goal of issue #15 checked against what this run measured: `measured` compared to `bound` (at least or at
    most), printed with both and pass or fail."""

    text: str
    measured: float
    bound: float
    at_least: bool
    unit: str = "x"

    @property
    def passed(self) -> bool:
        return self.measured >= self.bound if self.at_least else self.measured <= self.bound

    def __str__(self) -> str:
        sign = "≥" if self.at_least else "≤"
        return (
            f"{'PASS' if self.passed else 'FAIL'}  {self.text}: measured {self.measured:,.2f}{self.unit} "
            f"(goal {sign} {self.bound:,.2f}{self.unit})"
        )


def goals(items: Iterable[Goal]) -> str:
    listed = list(items)
    passed = sum(goal.passed for goal in listed)
    return "\n".join(["goals (issue #15):", *(f"  {goal}" for goal in listed), f"  {passed} of {len(listed)} met"])
