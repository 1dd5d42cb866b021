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

Dagster pools were the other candidate; they bound how many steps run at once, not how many requests a second they
send, so they cannot hold a per-window limit across runs of different sizes.
Times are epoch seconds of the claiming host's clock: hosts sharing a PostgreSQL ledger must keep their clocks in
step (NTP) to a fraction of one interval, or the faster one sends early.
"""

import hashlib
import threading
import time
from collections.abc import Callable

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


class greatest(GenericFunction):  # noqa: N801 (SQL function names are lower case)
    inherit_cache = True


@compiles(greatest, "sqlite")
def _greatest_sqlite(element, compiler, **kw):
    # SQLite's max() with several arguments is the scalar maximum, PostgreSQL's GREATEST.
    return f"max({compiler.process(element.clauses, **kw)})"


_engines: dict[str, sa.Engine] = {}
_engines_lock = threading.Lock()


def _engine(url: str) -> sa.Engine:
    """One engine per database per process, its table made on first use."""
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
        insert = (sqlite.insert if self.engine.dialect.name == "sqlite" else postgresql.insert)(rate_budgets)
        with self.engine.begin() as conn:
            conn.execute(insert.values(budget=key, next_at=0.0, paused_until=0.0).on_conflict_do_nothing())

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
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(rate_budgets.c.paused_until).where(rate_budgets.c.budget == self.key)
            ).scalar_one()
