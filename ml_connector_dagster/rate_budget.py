"""One request budget per target API and identity, shared by every run and process through the ledger's database.

A vendor limits the requests of a user (Dataverse: per application user per 300 s), not of a run: two runs each
pacing itself to the ceiling together send twice it and meet a 429 storm. So the budget is a row of `rate_budgets`,
keyed by (target API, identity), and a request claims its send time from it in one statement (an UPDATE ...
RETURNING, atomic on SQLite and PostgreSQL alike): the row holds the theoretical time of the next request
(`next_at`), each claim moves it on by one interval (window / requests), and the claimer sleeps until its slot. This
is GCRA: requests go evenly spaced, and after a quiet spell up to `burst` more go at once, so a short run (a few
reads, a check) is not paced for nothing. Any sliding window of the vendor's length sees at most
requests + burst + 1 of them, whichever process sent them; with the default burst (a tenth of the requests) a budget
set to 90 % of the vendor's ceiling stays under it.

A vendor's own word pauses every user of the budget, not only the request that heard it: a Retry-After, or an answer
saying little is left (`hold`), moves `paused_until` forward, and no claim is given a slot before it; after a pause
requests resume evenly spaced, without a burst (Dataverse asks clients to ramp up again gradually).

Two more kinds of limit are held the same way, in rows of their own, so every run and process sees them:
- `SharedAllowance`, what a vendor says is left of a quota it counts for the whole org or token (Salesforce's daily
  requests, Procore's hourly ones, Zoho's credits): the last answer's count, less every request sent since, kept at
  the lower of the two while the vendor's window lasts, so two runs together stop at the reserve and not past it.
- `SharedSlots`, how many requests may be in flight at once (Zoho's concurrency limit per app and user): a slot is
  leased per request and freed with its answer; a slot whose holder died frees itself when its lease ends.

Dagster pools were the other candidate; they bound how many steps run at once, not how many requests a second they
send, so they cannot hold a per-window limit across runs of different sizes.
Times are epoch seconds of the claiming host's clock: hosts sharing a PostgreSQL ledger must keep their clocks in
step (NTP) to a fraction of one interval, or the faster one sends early.
"""

import atexit
import hashlib
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction

from ml_connector_dagster.ledger import engine_url

metadata = sa.MetaData()

rate_budgets = sa.Table(
    "rate_budgets",
    metadata,
    sa.Column("budget", sa.String(200), primary_key=True),  # target API and identity, e.g. "dynamics_sales <url> <app>"
    sa.Column("next_at", sa.Float, nullable=False),  # earliest send time of the next claim
    sa.Column("paused_until", sa.Float, nullable=False),  # no claim goes before this (Retry-After, little left)
)


rate_allowances = sa.Table(
    "rate_allowances",
    metadata,
    sa.Column("budget", sa.String(200), primary_key=True),
    sa.Column("remaining", sa.Integer),  # what the vendor last said is left, less what was sent since; NULL: unknown
    sa.Column("window_ends", sa.Float),  # when the vendor's window starts afresh; NULL: a rolling window
    sa.Column("heard_at", sa.Float),  # when `remaining` was last taken from an answer
    # requests sent while the count was unknown and not answered yet: the first answer after them cannot include them
    sa.Column("unheard", sa.Integer, nullable=False, server_default="0"),
)

rate_slots = sa.Table(
    "rate_slots",
    metadata,
    sa.Column("budget", sa.String(200), primary_key=True),
    sa.Column("slot", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("held_until", sa.Float, nullable=False),  # free once this has passed
)


class greatest(GenericFunction):  # noqa: N801 (SQL function names are lower case)
    inherit_cache = True


class least(GenericFunction):  # noqa: N801
    inherit_cache = True


@compiles(greatest, "sqlite")
def _greatest_sqlite(element, compiler, **kw):
    # SQLite's max() with several arguments is the scalar maximum, PostgreSQL's GREATEST.
    return f"max({compiler.process(element.clauses, **kw)})"


@compiles(least, "sqlite")
def _least_sqlite(element, compiler, **kw):
    return f"min({compiler.process(element.clauses, **kw)})"


_engines: dict[str, sa.Engine] = {}
_engines_lock = threading.Lock()


_private_dir: str | None = None


def in_process() -> str:
    """A database of this process's own, removed when it exits: where a resource given no database keeps its limits
    (tests, a resource made by hand)."""
    global _private_dir
    with _engines_lock:
        if _private_dir is None:
            _private_dir = tempfile.mkdtemp(prefix="ml_connector_budgets_")
            atexit.register(shutil.rmtree, _private_dir, ignore_errors=True)
    return f"sqlite:///{_private_dir}/budgets.sqlite"


def _engine(url: str) -> sa.Engine:
    """One engine per database per process, its tables made on first use."""
    url = engine_url(url)
    with _engines_lock:
        if url not in _engines:
            is_sqlite = url.startswith("sqlite")
            engine = sa.create_engine(url, connect_args={"timeout": 30} if is_sqlite else {})
            if is_sqlite:
                # A lost claim costs one interval of idling, not a wrong write: no need to sync each to disk.
                sa.event.listen(engine, "connect", _sqlite_pragmas)
            _create_table(engine)
            _engines[url] = engine
        return _engines[url]


def _create_table(engine: sa.Engine) -> None:
    """Two processes starting on a new database may both find the table missing and the second CREATE fail: the
    other made it, so a second look finds it (as ledger._create_tables)."""
    try:
        metadata.create_all(engine)
    except sa.exc.DBAPIError:
        metadata.create_all(engine)


def _insert(engine: sa.Engine, table: sa.Table):
    return (sqlite.insert if engine.dialect.name == "sqlite" else postgresql.insert)(table)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def budget_key(*parts: str) -> str:
    """The row's key: the parts as given where they fit the column, else a digest of them after the first."""
    key = " ".join(parts)
    if len(key) <= 200:
        return key
    return f"{parts[0]} {hashlib.sha256(key.encode()).hexdigest()}"


class SharedBudget:
    """At most `max_requests` per `window_seconds` for every user of `key` in the database at `url`, evenly spaced
    after a first `burst` (default: a tenth of `max_requests`).

        Same face as http.RateBudget (`acquire`, `pause`), so the transport that paces does not know which it has.
    """

    def __init__(
        self,
        url: str,
        key: str,
        max_requests: int,
        window_seconds: float,
        *,
        burst: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ):
        self.engine = _engine(url)
        self.key = key
        self.interval = window_seconds / max_requests
        self.tolerance = (max_requests // 10 if burst is None else burst) * self.interval
        self.sleep = sleep
        self.clock = clock
        with self.engine.begin() as conn:
            conn.execute(
                _insert(self.engine, rate_budgets)
                .values(budget=key, next_at=0.0, paused_until=0.0)
                .on_conflict_do_nothing()
            )

    def acquire(self) -> None:
        """Waits for this request's slot: claimed in one statement, so two claims never get the same one."""
        now = self.clock()
        row = rate_budgets.c
        claim = (
            rate_budgets.update()
            .where(row.budget == self.key)
            .values(next_at=greatest(row.next_at, now, row.paused_until) + self.interval)
            .returning(row.next_at, row.paused_until)
        )
        with self.engine.begin() as conn:
            next_at, paused_until = conn.execute(claim).one()
        # next_at - interval is the later of the old next_at, now and the pause: the slot is that less the burst
        # tolerance, never before now or the pause's end.
        wait = max(paused_until, next_at - self.interval - self.tolerance) - now
        if wait > 0:
            self.sleep(wait)

    def pause(self, seconds: float) -> None:
        """No user of the budget sends for `seconds` from now (a later pause already set stays)."""
        until = self.clock() + seconds
        row = rate_budgets.c
        with self.engine.begin() as conn:
            conn.execute(
                rate_budgets.update()
                .where(row.budget == self.key)
                .values(
                    paused_until=greatest(row.paused_until, until),
                    next_at=greatest(row.next_at, until + self.tolerance),
                )
            )

    def paused_until(self) -> float:
        with self.engine.begin() as conn:
            return conn.execute(
                sa.select(rate_budgets.c.paused_until).where(rate_budgets.c.budget == self.key)
            ).scalar_one()


@dataclass(frozen=True)
class Leave:
    """The answer to a `take`: whether the request may go, and what is then left of the vendor's quota (None:
    unknown) and when its window starts afresh (None: a rolling window)."""

    granted: bool
    remaining: int | None
    window_ends: float | None


class SharedAllowance:
    """What a vendor says is left of a quota it counts across every user of `key` (its own headers say so), less
    each request sent since, for every run and process using the database at `url`.

    A request `take`s one before it goes, refused while no more than `reserve` would be left. What an answer says
    (`hear`) replaces the count when it opens a new window (a later `window_ends`), or, for a rolling window, once the
    count is older than `fresh_seconds`; otherwise the lower of the two stands, since answers to requests sent side by
    side arrive in any order and an earlier one says more is left than is. Once a fixed window has ended, or a rolling
    count has gone stale, the count is unknown and requests go until an answer says again: how a run finds out that
    the quota has come back. Requests sent while it is unknown are counted apart (`unheard`) until their answers come
    (`hear`, or `unsaid` for an answer that does not say): the answer that makes the count known again is taken less
    the others of them still in flight."""

    def __init__(self, url: str, key: str, *, fresh_seconds: float = 60.0, clock: Callable[[], float] = time.time):
        self.engine = _engine(url)
        self.key = key
        self.fresh = fresh_seconds
        self.clock = clock
        with self.engine.begin() as conn:
            conn.execute(_insert(self.engine, rate_allowances).values(budget=key).on_conflict_do_nothing())

    def _unknown(self, now: float):
        row = rate_allowances.c
        return sa.or_(
            row.remaining.is_(None),
            row.window_ends <= now,
            sa.and_(row.window_ends.is_(None), row.heard_at < now - self.fresh),
        )

    def take(self, reserve: int) -> Leave:
        """Leave for one request, counted at once, or a refusal, with what is left."""
        now = self.clock()
        row = rate_allowances.c
        unknown = self._unknown(now)
        with self.engine.begin() as conn:
            taken = conn.execute(
                rate_allowances.update()
                .where(row.budget == self.key, sa.or_(unknown, row.remaining > reserve))
                .values(
                    remaining=sa.case((unknown, None), else_=row.remaining - 1),
                    unheard=sa.case((unknown, row.unheard + 1), else_=row.unheard),
                )
                .returning(row.remaining, row.window_ends)
            ).one_or_none()
            if taken is not None:
                return Leave(True, *taken)
            remaining, window_ends = conn.execute(
                sa.select(row.remaining, row.window_ends).where(row.budget == self.key)
            ).one()
        return Leave(False, remaining, window_ends)

    def hear(self, remaining: int, window_ends: float | None = None) -> None:
        """What an answer said is left (and, for a fixed window, when it ends)."""
        now = self.clock()
        row = rate_allowances.c
        if window_ends is None:
            afresh = sa.or_(self._unknown(now), row.window_ends.is_not(None))
        else:
            # A second's slack: vendors round the reset to whole seconds, answers of one window may differ by one.
            afresh = sa.or_(self._unknown(now), row.window_ends.is_(None), row.window_ends < window_ends - 1)
        with self.engine.begin() as conn:
            conn.execute(
                rate_allowances.update()
                .where(row.budget == self.key)
                .values(
                    # The answering request was one of those sent unknown, or the others are in flight beside it.
                    remaining=sa.case(
                        (afresh, greatest(remaining - greatest(row.unheard - 1, 0), 0)),
                        else_=least(row.remaining, remaining),
                    ),
                    window_ends=sa.case((afresh, window_ends), else_=row.window_ends),
                    heard_at=sa.case((afresh, now), else_=row.heard_at),
                    unheard=sa.case((afresh, 0), else_=row.unheard),
                )
            )

    def unsaid(self) -> None:
        """An answer that says nothing of the quota came: one request fewer in flight."""
        row = rate_allowances.c
        with self.engine.begin() as conn:
            conn.execute(
                rate_allowances.update().where(row.budget == self.key).values(unheard=greatest(row.unheard - 1, 0))
            )

    def state(self) -> tuple[int | None, float | None]:
        """(remaining, window_ends) as the database holds them."""
        row = rate_allowances.c
        with self.engine.begin() as conn:
            return tuple(conn.execute(sa.select(row.remaining, row.window_ends).where(row.budget == self.key)).one())


class SharedSlots:
    """At most `slots` requests in flight at once for every user of `key` in the database at `url`. A slot is held
    for at most `lease_seconds` (longer than any request may take: the http timeout), so one whose process died
    frees itself. Waiting for a slot polls the database: a freed slot is taken within `poll_seconds`.

    Of one user's requests (a run's session), no more than there are slots claim or wait for one in the database at
    once; the others wait their turn in the process, woken as soon as one of them is done. A run sending many calls
    side by side (a batch's contracts' line items, several batches) otherwise had every waiting thread polling the
    database with a write each time, slowing the claims and releases of the requests actually going."""

    def __init__(
        self,
        url: str,
        key: str,
        slots: int,
        *,
        lease_seconds: float,
        poll_seconds: float = 0.005,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ):
        self.engine = _engine(url)
        self.key = key
        self.slots = slots
        self.lease = lease_seconds
        self.poll = poll_seconds
        self.sleep = sleep
        self.clock = clock
        self._turns = threading.Semaphore(slots)
        with self.engine.begin() as conn:
            conn.execute(
                _insert(self.engine, rate_slots)
                .values([{"budget": key, "slot": n, "held_until": 0.0} for n in range(slots)])
                .on_conflict_do_nothing()
            )

    def _claim(self) -> int | None:
        now = self.clock()
        row = rate_slots.c
        free = sa.and_(row.budget == self.key, row.slot < self.slots, row.held_until <= now)
        first = sa.select(sa.func.min(row.slot)).where(free).scalar_subquery()
        with self.engine.begin() as conn:
            # The WHERE is checked again on the row it updates: two claimers of one free slot get it once.
            return conn.execute(
                rate_slots.update()
                .where(free, row.slot == first)
                .values(held_until=now + self.lease)
                .returning(row.slot)
            ).scalar()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Holds a slot while the block runs, waiting for one first."""
        with self._turns:
            slot = self._claim()
            wait = self.poll
            while slot is None:
                self.sleep(wait)
                wait = min(wait * 2, 20 * self.poll)
                slot = self._claim()
            try:
                yield
            finally:
                row = rate_slots.c
                with self.engine.begin() as conn:
                    conn.execute(
                        rate_slots.update().where(row.budget == self.key, row.slot == slot).values(held_until=0.0)
                    )
