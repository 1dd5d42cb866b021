"""The sync ledger: what was sent where (sync_state), what failed (dead_letters), what happened (audit_log and
audit_counts), what arrived by webhook (inbox), who writes a target object now (leases), how far each initial load got
(initial_loads), what both sides of a two-way pair last agreed on (agreed_values), and which source windows each pair
loaded clean (window_digests). One SQL database: SQLite by default, Postgres in production; tables are created on
first use.

A load records its outcomes a batch at a time (`Ledger.record`), at a cost per batch, not per record: one statement
each for the batch's sync state, its deletes, its audit rows and its counts, and dead letters touched only for keys
that have an open one or failed. The audit log keeps a row for every record a run changed or failed (created,
updated, deleted, failed, skipped, not_in_source, ...) and for an unchanged one only when it says something new:
found in the target without a state here (its state is recorded where the target's id is known; a two-way record the
other direction wrote has none, so such a record has a row each run), a two-way conflict's notes, a value cut to fit,
an open dead letter it resolves, or a partition the ledger had not seen it read in (what `heal` reruns to send it
again). Every other unchanged record is counted in `audit_counts`, a row per batch, run, partition, pair, object and
action: the sum over a run's rows is what the run did, unchanged records included, and a rerun that changes nothing
adds a few rows, not one per record.
"""

import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

metadata = sa.MetaData()

sync_state = sa.Table(
    "sync_state",
    metadata,
    sa.Column("pair", sa.String(64), primary_key=True),
    sa.Column("target_object", sa.String(64), primary_key=True),
    sa.Column("source_key", sa.String(200), primary_key=True),
    sa.Column("target_id", sa.String(400)),
    sa.Column("payload_hash", sa.String(64), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("run_id", sa.String(64)),
    # [[object, key], ...] the record referred to when written: what to send again when one of those goes missing;
    # SQL NULL (not JSON null) without any, so that the records with refs are found by `IS NOT NULL`
    sa.Column("refs", sa.JSON(none_as_null=True)),
    # the last partition a run read the record in (written or unchanged); runs without one (initial loads) leave it
    sa.Column("partition", sa.String(100)),
    # an operator asks for a record by the id the target gave it (`ml-connector audit <id>`)
    sa.Index("ix_sync_state_target_id", "target_id"),
)

dead_letters = sa.Table(
    "dead_letters",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("pair", sa.String(64), nullable=False),
    sa.Column("target_object", sa.String(64), nullable=False),
    sa.Column("source_key", sa.String(200), nullable=False),
    sa.Column("payload", sa.JSON),
    sa.Column("error_class", sa.String(20), nullable=False),
    sa.Column("error_code", sa.String(100)),
    sa.Column("error_message", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=1),
    sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("run_id", sa.String(64)),
    sa.Column("partition", sa.String(100)),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    sa.Column("resolved_run_id", sa.String(64)),
    # An in-doubt write is not sent again before this: until then the target may still be processing it.
    sa.Column("resolve_after", sa.DateTime(timezone=True)),
    sa.Index("ix_dead_letters_open", "pair", "target_object", "source_key", "resolved_at"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("audit_id", sa.String(36), nullable=False, unique=True),
    sa.Column("run_id", sa.String(64)),
    sa.Column("partition", sa.String(100)),
    sa.Column("pair", sa.String(64), nullable=False),
    sa.Column("target_object", sa.String(64), nullable=False),
    sa.Column("source_key", sa.String(200), nullable=False),
    sa.Column("target_id", sa.String(400)),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("changes", sa.JSON),
    sa.Column("actor", sa.String(200)),  # who, for what a person did (an edit); runs are named by run_id
    sa.Index("ix_audit_log_run", "run_id"),
    sa.Index("ix_audit_log_key", "pair", "target_object", "source_key"),
    # a record's history, asked for by its key or its target's id whatever the pair (`ml-connector audit <key>`)
    sa.Index("ix_audit_log_source_key", "source_key"),
    sa.Index("ix_audit_log_target_id", "target_id"),
)

# How many records of each action one batch of a run handled: with audit_log's rows, the whole of what a run did (the
# unchanged records without anything new to say have no row of their own there).
audit_counts = sa.Table(
    "audit_counts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64)),
    sa.Column("partition", sa.String(100)),
    sa.Column("pair", sa.String(64), nullable=False),
    sa.Column("target_object", sa.String(64), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("records", sa.Integer, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_audit_counts_run", "run_id"),
)

# One row per `ml-connector audit prune` that removed rows: the audit trail says itself what was taken out of it, and
# no prune removes these.
audit_prunes = sa.Table(
    "audit_prunes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(200)),
    sa.Column("pruned_before", sa.DateTime(timezone=True), nullable=False),
    sa.Column("pair", sa.String(64)),  # null: every pair
    sa.Column("audit_rows", sa.Integer, nullable=False),
    sa.Column("count_rows", sa.Integer, nullable=False),
)

inbox = sa.Table(
    "inbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("dedup_key", sa.String(300), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("source", "dedup_key", name="uq_inbox_dedup"),
)

# One row per (pair, target object) while a run writes it (ml_connector_dagster/lease.py): whoever holds it may write
# the object, everyone else waits, and a holder that stops renewing it loses it at expires_at.
leases = sa.Table(
    "leases",
    metadata,
    sa.Column("pair", sa.String(64), primary_key=True),
    sa.Column("target_object", sa.String(64), primary_key=True),
    sa.Column("token", sa.String(36), nullable=False),  # this holding: only its holder renews or releases it
    sa.Column("run_id", sa.String(64)),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)


# One row per (pair, master object) of a go-live initial load (ml_connector_dagster/initial_load.py): where the next
# page starts, written after each page is loaded, so a killed load goes on after its last complete page.
initial_loads = sa.Table(
    "initial_loads",
    metadata,
    sa.Column("pair", sa.String(64), primary_key=True),
    sa.Column("object", sa.String(64), primary_key=True),
    sa.Column("position", sa.Text),  # the source's own resume point (a key, an entity): null before the first page
    sa.Column("pages", sa.Integer, nullable=False),
    sa.Column("records", sa.Integer, nullable=False),
    sa.Column("run_id", sa.String(64)),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
)


# One row per business record a two-way pair keeps in agreement (mapping/two_way.py): the ERP key and the CRM id of
# the record and the shared field values both held when a run last left them agreeing. A value that differs from it
# on one side is that side's edit; one that equals it is what the connector wrote coming back (an echo), never a
# change.
agreed_values = sa.Table(
    "agreed_values",
    metadata,
    sa.Column("two_way", sa.String(64), primary_key=True),
    sa.Column("object", sa.String(64), primary_key=True),
    sa.Column("erp_key", sa.String(200), primary_key=True),
    sa.Column("crm_key", sa.String(200), nullable=False),
    sa.Column("field_values", sa.JSON, nullable=False),
    sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("run_id", sa.String(64)),
    sa.Index("ix_agreed_values_crm", "two_way", "object", "crm_key"),
)


# One row per (pair, extract, partition) of a source window the pair loads (assets/unchanged_windows.py):
# the digest of the window the pair's run read, with the fingerprint of what else its payloads depended on, waiting
# for the run's loads of the pair until each finished with nothing left to retry (`loaded_at` set); a rerun whose
# digest and fingerprint are the same for every pair it loads skips the read.
window_digests = sa.Table(
    "window_digests",
    metadata,
    sa.Column("pair", sa.String(64), primary_key=True),
    sa.Column("extract", sa.String(200), primary_key=True),
    sa.Column("partition", sa.String(100), primary_key=True),
    sa.Column("digest", sa.String(200), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("waiting_for", sa.JSON, nullable=False),  # the loads of the run, as asset keys, not yet finished clean
    sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("loaded_at", sa.DateTime(timezone=True)),
)


class Action(StrEnum):
    """What happened to one record in one run (audit_log.action)."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    SKIPPED = "skipped"
    DELETED = "deleted"
    EDITED = "edited"  # a person changed a dead letter's stored payload before replaying it
    DRIFTED = "drifted"  # the ledger held it as in the target, the target lacked it: forgotten, to be sent again
    NOT_IN_SOURCE = "not_in_source"  # a record referred to was read by key and the source does not have it


class ErrorClass(StrEnum):
    """Why a record failed (dead_letters.error_class): what a person or a later run can do about it."""

    TRANSIENT = "transient"  # the target could not answer now; the next run sends it again
    VALIDATION = "validation"  # the record itself was refused; fix it at the source or edit it, then replay
    CONFLICT = "conflict"  # the target holds something that contradicts it (a duplicate, a changed order)
    AUTH = "auth"  # the connector may not write it (a missing privilege)
    QUOTA = "quota"  # a limit of the target was reached
    DEPENDENCY = "dependency"  # it waits for a record it references to reach the target
    IN_DOUBT = "in_doubt"  # a write without an answer may have happened; resolved once the target cannot be busy


# The dead letters a load sends again only when its run read the record (loading.py): a record the target could not
# answer for, or that the connector may not write until a privilege is granted. The others need no read: a refusal
# (validation, conflict) is not re-sent unchanged, and the same source rows under the same mapping make the same
# payload, which only a replay sends; a record waiting for a parent, a quota or an in-doubt write comes back by
# itself in any load of its object, whatever the run read.
RETRIED_WHEN_READ = frozenset({ErrorClass.TRANSIENT, ErrorClass.AUTH})
WRITTEN = frozenset({Action.CREATED, Action.UPDATED})
# What an audit row's `changes` holds besides the fields written, each as [before, after]: a failure's error, class and
# code, why a record was left out, the dead letter a replay sent, the values cut to fit, a two-way pair's conflicts.
AUDIT_NOTES = frozenset({"error", "error_class", "error_code", "reason", "replay_of", "truncated", "conflicts"})


def audited_fields(changes: dict | None) -> dict[str, list]:
    """The fields an audit row's `changes` says were written (or deleted, drifted, edited): name → [before, after]."""
    return {name: value for name, value in (changes or {}).items() if name not in AUDIT_NOTES}


def _history_select() -> sa.Select:
    """The `audit_history` view: every audit row with what an operator reads of it in columns of its own (the reason,
    a failure's class and code, the dead letter replayed) and the dead letter open for its record at that moment, with
    what the row did to it: `opened`, `failed_again`, `edited` or `resolved` (docs/operators/audit.md)."""
    row, letter, other = audit_log, dead_letters.alias("letter"), dead_letters.alias("other")
    # The record's dead letter at the row's moment: a failure opens one at the row's `at`, a write resolves it at the
    # same `at` (one transaction, one clock reading), so the row lies between its first failure and its resolution.
    letter_at_row = (
        sa.select(sa.func.max(other.c.id))
        .where(
            other.c.pair == row.c.pair,
            other.c.target_object == row.c.target_object,
            other.c.source_key == row.c.source_key,
            other.c.first_failed_at <= row.c.at,
            sa.or_(other.c.resolved_at.is_(None), other.c.resolved_at >= row.c.at),
        )
        .scalar_subquery()
    )
    failed = row.c.action == Action.FAILED.value
    event = sa.case(
        (letter.c.id.is_(None), sa.null()),
        (sa.and_(failed, row.c.at == letter.c.first_failed_at), "opened"),
        (failed, "failed_again"),
        (row.c.action == Action.EDITED.value, "edited"),
        (row.c.at == letter.c.resolved_at, "resolved"),
    )
    # Rows written before failures named their class in the audit row carry the letter's.
    error_class = sa.case((failed, sa.func.coalesce(row.c.changes["error_class"].as_string(), letter.c.error_class)))
    error_code = sa.case((failed, sa.func.coalesce(row.c.changes["error_code"].as_string(), letter.c.error_code)))
    return sa.select(
        row.c.id,
        row.c.at,
        row.c.pair,
        row.c.target_object,
        row.c.source_key,
        row.c.target_id,
        row.c.run_id,
        row.c.partition,
        row.c.action,
        row.c.actor,
        sa.func.coalesce(row.c.changes["error"].as_string(), row.c.changes["reason"].as_string()).label("reason"),
        error_class.label("error_class"),
        error_code.label("error_code"),
        row.c.changes["replay_of"].as_integer().label("replay_of"),
        letter.c.id.label("dead_letter_id"),
        event.label("dead_letter_event"),
        row.c.changes,
    ).select_from(row.outerjoin(letter, letter.c.id == letter_at_row))


HISTORY_VIEW = "audit_history"
audit_history = sa.table(HISTORY_VIEW, *(sa.column(c.name, c.type) for c in _history_select().selected_columns))


# json.dumps with these arguments makes an encoder per call; one made once writes the same text.
_HASHED_FORM = json.JSONEncoder(sort_keys=True, default=str, ensure_ascii=False)


def payload_hash(payload: Any) -> str:
    return hashlib.sha256(_HASHED_FORM.encode(payload).encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands a datetime back without its zone; every one the ledger writes is UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@dataclass(frozen=True)
class SyncedRecord:
    """What the diff needs of a record's state; the payload sent, larger, is read only where needed (`payloads`)."""

    target_id: str | None
    payload_hash: str


@dataclass(frozen=True)
class Truncated:
    """A value the mapping rules cut to the target's length rather than send its record to dead letters. A cut value
    looks like any other in the target, so every audit row of the record says what was cut."""

    field: str
    value: str  # whole, as the source had it
    length: int  # of `value`, in the target's units (Dataverse: UTF-16 code units)
    kept: int  # of what was sent, in the same units

    def audited(self) -> dict:
        return {"field": self.field, "length": self.length, "kept": self.kept, "value": self.value}


@dataclass(frozen=True)
class Outcome:
    """What happened to one record in one run; the ledger turns it into state, audit and dead-letter rows."""

    source_key: str
    action: Action
    payload: dict | None = None
    target_id: str | None = None
    previous: dict | None = None  # written, deleted: what the target held; None: what the ledger holds
    error_class: ErrorClass | None = None
    error_code: str | None = None
    error_message: str | None = None
    resolve_after: datetime | None = None  # in doubt: when the target can no longer be processing the write
    refs: tuple[tuple[str, str], ...] = ()  # written: the records it refers to, (target object, source key)
    truncated: tuple[Truncated, ...] = ()  # what the mapping cut in the payload this outcome is about
    notes: dict | None = None  # more for the audit row (a two-way conflict and how it was settled)
    # unchanged: found in the target as it should be, where the ledger had no state for it: recorded now at
    # `target_id` (a write whose run died before recording it); without one (a two-way record the other direction
    # wrote), audited, as the ledger holds nothing else of it for this pair
    found: bool = False
    digest: str | None = None  # payload_hash(payload), where the caller has it already (the load's diff)

    def changes(self) -> dict | None:
        """The audit row's `changes`: the fields written or deleted (before → after), a failure's error (with its
        `error_class` and `error_code`), and whatever the mapping cut to make the payload fit (`truncated`: field,
        length, kept, whole value)."""
        if self.action in (*WRITTEN, Action.DELETED):
            changes = changed_fields(self.previous, self.payload)
        elif self.action == Action.FAILED:
            # the class and code too, so that failures can be counted by reason from the audit log alone
            changes = {"error": self.error_message, "error_class": str(self.error_class or ErrorClass.VALIDATION)}
            if self.error_code:
                changes["error_code"] = self.error_code
        else:
            # Why a record was left out is what a record waiting for it has to tell (loading.py reads it back).
            changes = {"reason": self.error_message} if self.error_message else None
        if self.truncated:
            changes = {**(changes or {}), "truncated": [cut.audited() for cut in self.truncated]}
        if self.notes:
            changes = {**(changes or {}), **self.notes}
        return changes


@dataclass(frozen=True)
class DeadLetter:
    """`payload` is what was stored to send again: {"payload": the record's payload, "refs": [[object, key], ...]},
    with a null payload when the mapping rejected the source record (then the source rows are stored instead)."""

    id: int
    pair: str
    target_object: str
    source_key: str
    payload: dict | None
    error_class: str
    error_code: str | None
    error_message: str
    attempts: int
    partition: str | None
    resolved_at: datetime | None = None
    resolve_after: datetime | None = None

    @property
    def record_payload(self) -> dict | None:
        return (self.payload or {}).get("payload")


@dataclass(frozen=True)
class Agreed:
    """What both sides of a two-way pair held for one record when a run last left them agreeing."""

    erp_key: str
    crm_key: str
    values: dict


class NotEditable(ValueError):
    """A dead letter that cannot be edited: resolved already, or without a payload to send."""


@dataclass(frozen=True)
class Forgotten:
    """What `Ledger.forget_drifted` did: whose sync state it forgot, and which records (target object, source key)
    now wait for them as dependency dead letters, to be sent again once they are back."""

    source_keys: list[str]
    dependents: list[tuple[str, str]]


@dataclass(frozen=True)
class LeaseSettings:
    """How long a lease lives without a heartbeat, how often its holder renews it, how long a writer waits for one."""

    ttl_seconds: float = 60.0
    heartbeat_seconds: float = 15.0
    wait_seconds: float = 900.0

    def __post_init__(self):
        if not 0 < self.heartbeat_seconds < self.ttl_seconds:
            raise ValueError("a lease's heartbeat must come more often than it expires (0 < heartbeat < ttl)")
        if self.wait_seconds < 0:
            raise ValueError("the wait for a lease cannot be negative")


@dataclass(frozen=True)
class LeaseHolder:
    token: str
    run_id: str | None
    host: str
    pid: int
    acquired_at: datetime
    expires_at: datetime

    def __str__(self) -> str:
        return (
            f"run {self.run_id or '(none: a command)'} on {self.host}, pid {self.pid}, since "
            f"{self.acquired_at:%Y-%m-%d %H:%M:%S} UTC (expires {self.expires_at:%H:%M:%S} UTC unless renewed)"
        )


@dataclass(frozen=True)
class AuditedRecord:
    """A record `ml-connector audit <key or id>` found: which pair and object, whether by its source key or the id
    its target gave it, and what the ledger holds of it now."""

    pair: str
    target_object: str
    source_key: str
    matched_by: str  # "source key" or "target id"
    target_id: str | None  # where the target holds it, by the ledger; None: not (or no longer) written there
    synced_at: datetime | None
    synced_by_run: str | None
    open_dead_letter: DeadLetter | None


@dataclass(frozen=True)
class Pruned:
    audit_rows: int
    count_rows: int


@dataclass(frozen=True)
class Checkpoint:
    """How far an initial load of one master object got: `position` is where its next page starts (None: at the
    beginning), `finished_at` is set once its last page is loaded."""

    position: str | None
    pages: int
    records: int
    run_id: str | None
    started_at: datetime
    finished_at: datetime | None


def changed_fields(before: dict | None, after: dict | None) -> dict[str, list]:
    before, after = before or {}, after or {}
    if not before:
        # A record created: every field set is a change (most of the audit rows of an initial load).
        return {name: [None, value] for name, value in sorted(after.items()) if value is not None}
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def changed_paths(before: dict | None, after: dict | None) -> dict[str, list]:
    """`changed_fields` of nested payloads, by dotted path (`header.CustomerGroupId`, `lines.0.SalesPrice`)."""
    return changed_fields(dict(_leaves(before or {})), dict(_leaves(after or {})))


def _leaves(value: Any, path: str = "") -> Iterable[tuple[str, Any]]:
    """Every value of a nested payload that is not a non-empty dict or list, by its dotted path."""
    children = list(value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else [])
    if not children and path:
        yield path, value
    for name, child in children:
        yield from _leaves(child, f"{path}.{name}" if path else str(name))


def _state(pair: str, target_object: str, outcome: Outcome, run_id: str | None, partition: str | None, now) -> dict:
    """A sync_state row: where the record is in the target and what was sent (or found) there."""
    return {
        "pair": pair,
        "target_object": target_object,
        "source_key": outcome.source_key,
        "target_id": outcome.target_id,
        "payload_hash": outcome.digest or payload_hash(outcome.payload),
        "payload": outcome.payload,
        "synced_at": now,
        "run_id": run_id,
        "refs": [list(ref) for ref in outcome.refs] or None,
        "partition": partition,
    }


_FAILURE_COLUMNS = (
    "payload", "error_class", "error_code", "error_message", "resolve_after", "last_failed_at", "run_id"
)  # fmt: skip


def _failure(outcome: Outcome, run_id: str | None, now: datetime) -> dict:
    """What a dead letter holds of its record's last failure."""
    return {
        "payload": outcome.payload,
        "error_class": outcome.error_class or ErrorClass.VALIDATION,
        "error_code": outcome.error_code,
        "error_message": outcome.error_message or "rejected",
        "resolve_after": outcome.resolve_after,
        "last_failed_at": now,
        "run_id": run_id,
    }


def _audit(conn, entries: list[dict], **common) -> None:
    """One audit row per entry, each with its own audit id and the values `common` to them all."""
    if entries:
        ids = audit_ids(len(entries))
        conn.execute(audit_log.insert(), [{**common, **entry, "audit_id": next(ids)} for entry in entries])


def audit_ids(count: int) -> Iterator[str]:
    """`count` random (version 4) UUIDs as `str(uuid.uuid4())` writes them, from one read of the system's randomness:
    uuid4 reads it and builds a UUID object per id, a cost an audit row per record made count."""
    raw = bytearray(os.urandom(16 * count))
    for start in range(0, 16 * count, 16):
        raw[start + 6] = raw[start + 6] & 0x0F | 0x40  # version 4
        raw[start + 8] = raw[start + 8] & 0x3F | 0x80  # the RFC 4122 variant
        text = raw[start : start + 16].hex()
        yield f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def engine_url(url: str) -> str:
    """Plain postgres URLs use psycopg2, the driver dagster-postgres already installs, whatever SQLAlchemy's
    default driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


@dataclass(frozen=True)
class LoadedWindow:
    """A source window a pair loaded clean: its digest, the fingerprint of everything else its payloads depended on,
    the run that read it, and when its last load finished."""

    digest: str
    fingerprint: str
    run_id: str
    loaded_at: datetime


class Ledger:
    def __init__(self, url: str, lease: LeaseSettings = LeaseSettings()):
        url = engine_url(url)
        self.url = url
        self.lease_settings = lease
        is_sqlite = url.startswith("sqlite")
        options: dict[str, Any] = {"connect_args": {"timeout": 30}} if is_sqlite else {}
        if url.startswith("postgresql+psycopg2"):
            # A batch's many-row UPDATEs (dead letters failing again) in pages, not one round trip per row; its INSERTs
            # are multi-row VALUES either way (insertmanyvalues).
            options["executemany_mode"] = "values_plus_batch"
        self.engine = sa.create_engine(url, future=True, **options)
        if is_sqlite:
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self._insert = sqlite.insert if is_sqlite else postgresql.insert
        _create_tables(self.engine)
        _upgrade_tables(self.engine)
        _create_history_view(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    # sync state ------------------------------------------------------------------------------------------------
    def synced(self, pair: str, target_object: str, keys: Iterable[str] | None = None) -> dict[str, SyncedRecord]:
        """Each record's state (target id, hash of what was sent), without the payloads: what the diff needs."""
        query = sa.select(sync_state.c.source_key, sync_state.c.target_id, sync_state.c.payload_hash).where(
            sync_state.c.pair == pair, sync_state.c.target_object == target_object
        )
        if keys is not None:
            query = query.where(self._among(sync_state.c.source_key, list(keys)))
        with self.engine.connect() as conn:
            return {row.source_key: SyncedRecord(row.target_id, row.payload_hash) for row in conn.execute(query)}

    def payloads(self, pair: str, target_object: str, keys: Iterable[str]) -> dict[str, dict]:
        """The payloads last sent (or found) of these records, for those the ledger holds."""
        with self.engine.connect() as conn:
            return self._payloads(conn, pair, target_object, list(keys))

    def synced_keys(self, pair: str, target_object: str, keys: Iterable[str]) -> set[str]:
        return set(self.synced(pair, target_object, keys))

    def target_ids(self, pair: str, target_object: str) -> dict[str, str | None]:
        """Every record of a target object the pair wrote: source key → target id (no payloads read)."""
        query = sa.select(sync_state.c.source_key, sync_state.c.target_id).where(
            sync_state.c.pair == pair, sync_state.c.target_object == target_object
        )
        with self.engine.connect() as conn:
            return {row.source_key: row.target_id for row in conn.execute(query)}

    def written_by(
        self, pair: str, target_object: str, keys: Iterable[str]
    ) -> dict[str, tuple[str | None, str | None]]:
        """Source key → (target id, id of the run that last wrote it) of these records the ledger holds as written;
        no payloads read (the agreement check asks this of every record of a partition)."""
        query = sa.select(sync_state.c.source_key, sync_state.c.target_id, sync_state.c.run_id).where(
            sync_state.c.pair == pair, sync_state.c.target_object == target_object
        )
        found: dict[str, tuple[str | None, str | None]] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(keys), 500):
                for row in conn.execute(query.where(sync_state.c.source_key.in_(chunk))):
                    found[row.source_key] = (row.target_id, row.run_id)
        return found

    def target_ids_without(self, pair: str, target_object: str, others: Iterable[str]) -> dict[str, str]:
        """Source key → target id of the records of `target_object` that no record the pair wrote to one of the
        `others` objects under the same key shows (holds as a value of its payload): what a two-way pair made but has
        not yet written back, or made again since under a new id (re-created after it was deleted in the target).
        The records are streamed and the others' payloads read for 1,000 of them at a time (by the primary key, so
        the plan does not hang on the database's statistics): memory holds the answer, not the pair's records."""
        made = sa.select(sync_state.c.source_key, sync_state.c.target_id).where(
            sync_state.c.pair == pair, sync_state.c.target_object == target_object, sync_state.c.target_id != ""
        )
        showing = sa.select(sync_state.c.source_key, sync_state.c.payload).where(
            sync_state.c.pair == pair, sync_state.c.target_object.in_(list(others))
        )
        unshown: dict[str, str] = {}
        with self.engine.connect() as conn:
            for chunk in conn.execution_options(yield_per=1000).execute(made).partitions():
                targets = dict(chunk)
                shown: dict[str, set] = {}
                for row in conn.execute(showing.where(sync_state.c.source_key.in_(list(targets)))):
                    shown.setdefault(row.source_key, set()).update((row.payload or {}).values())
                unshown.update((key, target) for key, target in targets.items() if target not in shown.get(key, ()))
        return unshown

    def keys_of_targets(self, pair: str, target_object: str, target_ids: Iterable[str]) -> dict[str, str]:
        """Target id → source key, for the records of `target_object` the pair wrote under one of these ids."""
        query = sa.select(sync_state.c.source_key, sync_state.c.target_id).where(
            sync_state.c.pair == pair, sync_state.c.target_object == target_object
        )
        found: dict[str, str] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(sorted(set(target_ids)), 500):
                for row in conn.execute(query.where(sync_state.c.target_id.in_(chunk))):
                    found[row.target_id] = row.source_key
        return found

    # two-way agreement -----------------------------------------------------------------------------------------------
    def agreed(
        self,
        two_way: str,
        object: str,
        *,
        erp_keys: Iterable[str] = (),
        crm_keys: Iterable[str] = (),
    ) -> list[Agreed]:
        """The agreements recorded for these ERP keys or CRM ids."""
        table = agreed_values
        base = sa.select(table.c.erp_key, table.c.crm_key, table.c.field_values).where(
            table.c.two_way == two_way, table.c.object == object
        )
        found: dict[str, Agreed] = {}
        with self.engine.connect() as conn:
            for column, keys in ((table.c.erp_key, erp_keys), (table.c.crm_key, crm_keys)):
                for chunk in _chunks(sorted(set(keys)), 500):
                    for row in conn.execute(base.where(column.in_(chunk))):
                        found[row.erp_key] = Agreed(row.erp_key, row.crm_key, row.field_values)
        return list(found.values())

    def agree(self, two_way: str, object: str, agreements: Iterable[Agreed], *, run_id: str | None) -> None:
        """Records what both sides now hold; one transaction, so a killed run leaves the earlier agreement."""
        rows = [
            {
                "two_way": two_way,
                "object": object,
                "erp_key": a.erp_key,
                "crm_key": a.crm_key,
                "field_values": a.values,
                "agreed_at": _now(),
                "run_id": run_id,
            }
            for a in agreements
        ]
        if not rows:
            return
        stmt = self._insert(agreed_values)
        with self.engine.begin() as conn:
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["two_way", "object", "erp_key"],
                    set_={k: stmt.excluded[k] for k in ("crm_key", "field_values", "agreed_at", "run_id")},
                ),
                rows,
            )

    def record(
        self, *, pair: str, target_object: str, outcomes: Sequence[Outcome], run_id: str | None, partition: str | None
    ) -> None:
        """Writes one batch of outcomes in one transaction, so a run killed mid-load leaves whole batches; a key the
        batch names twice ends as its last outcome leaves it. A written or deleted outcome without `previous` is
        audited against the payload the ledger held for it (read here, only for those). Statements per batch: one
        each for its open dead letters, its stored payloads, its sync state, its deletes, its audit rows and its
        counts, whatever its size; dead letters are written only for keys with one open or a failure."""
        if not outcomes:
            return
        now = _now()
        with self.engine.begin() as conn:
            letters = self._open_letters(conn, pair, target_object, {o.source_key for o in outcomes})
            unknown = [o.source_key for o in outcomes if o.action in (*WRITTEN, Action.DELETED) and o.previous is None]
            stored = self._payloads(conn, pair, target_object, unknown) if unknown else {}
            moved = self._read_in(conn, pair, target_object, outcomes, partition)
            self._write_state(conn, pair, target_object, outcomes, run_id, partition, now)
            self._dead_letters(conn, pair, target_object, outcomes, letters, run_id, partition, now)
            audited = [
                replace(o, previous=stored.get(o.source_key)) if o.previous is None and o.source_key in stored else o
                for o in outcomes
                if o.action != Action.UNCHANGED
                or o.found
                or o.changes()
                or o.source_key in letters
                or o.source_key in moved
            ]
            _audit(
                conn,
                [
                    {
                        "target_object": target_object,
                        "source_key": o.source_key,
                        "target_id": o.target_id,
                        "action": o.action,
                        "changes": o.changes(),
                    }
                    for o in audited
                ],
                run_id=run_id,
                partition=partition,
                pair=pair,
                at=now,
            )
            counts: Counter[str] = Counter()
            for action, n in Counter(o.action for o in outcomes).items():  # an Action and its text count as one
                counts[Action(action).value] += n
            conn.execute(
                audit_counts.insert(),
                [
                    {
                        "run_id": run_id,
                        "partition": partition,
                        "pair": pair,
                        "target_object": target_object,
                        "action": action,
                        "records": n,
                        "at": now,
                    }
                    for action, n in sorted(counts.items())
                ],
            )

    def _among(self, column: sa.ColumnElement, values: Collection) -> sa.ColumnElement[bool]:
        """`column IN values`, bound as one value (an array on PostgreSQL, a JSON array on SQLite): one statement and
        one compiled form however many they are, where `in_` binds each (and SQLite takes at most 32,766)."""
        if self.engine.dialect.name == "postgresql":
            return column == sa.any_(sa.bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
        return column.in_(sa.select(sa.func.json_each(json.dumps(list(values))).table_valued("value").c.value))

    def _open_letters(self, conn, pair: str, target_object: str, keys: Collection[str]) -> dict[str, Any]:
        """Source key → (id, partition) of the open dead letter of each of these keys that has one."""
        rows = conn.execute(
            sa.select(dead_letters.c.id, dead_letters.c.source_key, dead_letters.c.partition).where(
                dead_letters.c.pair == pair,
                dead_letters.c.target_object == target_object,
                dead_letters.c.resolved_at.is_(None),
                self._among(dead_letters.c.source_key, keys),
            )
        )
        return {row.source_key: row for row in rows}

    def _payloads(self, conn, pair: str, target_object: str, keys: Collection[str]) -> dict[str, dict]:
        rows = conn.execute(
            sa.select(sync_state.c.source_key, sync_state.c.payload).where(
                sync_state.c.pair == pair,
                sync_state.c.target_object == target_object,
                self._among(sync_state.c.source_key, keys),
            )
        )
        return {row.source_key: row.payload for row in rows}

    def _read_in(self, conn, pair: str, target_object: str, outcomes: Sequence[Outcome], partition: str | None) -> set:
        """Notes the partition each unchanged record was read in; answers the keys it is new for (read before in
        another partition, or in none): their audit rows say where they are read now, which is what `heal` reruns.
        A rerun of the same partition matches no row and writes nothing."""
        keys = [o.source_key for o in outcomes if o.action == Action.UNCHANGED and not o.found]
        if partition is None or not keys:
            return set()
        stmt = (
            sync_state.update()
            .where(
                sync_state.c.pair == pair,
                sync_state.c.target_object == target_object,
                self._among(sync_state.c.source_key, keys),
                sa.or_(sync_state.c.partition.is_(None), sync_state.c.partition != partition),
            )
            .values(partition=partition)
            .returning(sync_state.c.source_key)
        )
        return set(conn.execute(stmt).scalars())

    def _write_state(self, conn, pair, target_object, outcomes: Sequence[Outcome], run_id, partition, now) -> None:
        """Written records upserted, found ones inserted where the ledger lacked them (one another run recorded
        meanwhile is left as it is), deleted ones removed: one statement each."""
        last = {
            o.source_key: o
            for o in outcomes
            if o.action in (*WRITTEN, Action.DELETED) or (o.found and o.target_id is not None)
        }
        rows = {
            action: [_state(pair, target_object, o, run_id, partition, now) for o in last.values() if o.action in kinds]
            for action, kinds in (("write", WRITTEN), ("find", {Action.UNCHANGED}))
        }
        keys = ("pair", "target_object", "source_key")
        if rows["write"]:
            stmt = self._insert(sync_state)
            written = ("target_id", "payload_hash", "payload", "synced_at", "run_id", "refs")
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=keys,
                    set_={
                        **{k: stmt.excluded[k] for k in written},
                        # a run without a partition (an initial load, a replay) leaves the last one a run read it in
                        "partition": sa.func.coalesce(stmt.excluded.partition, sync_state.c.partition),
                    },
                ),
                rows["write"],
            )
        if rows["find"]:
            conn.execute(self._insert(sync_state).on_conflict_do_nothing(index_elements=keys), rows["find"])
        deleted = [key for key, o in last.items() if o.action == Action.DELETED]
        if deleted:
            conn.execute(
                sync_state.delete().where(
                    sync_state.c.pair == pair,
                    sync_state.c.target_object == target_object,
                    self._among(sync_state.c.source_key, deleted),
                )
            )

    def _dead_letters(
        self, conn, pair, target_object, outcomes: Sequence[Outcome], letters: dict, run_id, partition, now
    ) -> None:
        """Failures open a dead letter or count one more attempt on the open one; any other outcome of a record
        that goes on (written, unchanged, deleted) resolves its open letter. `letters`: the open ones before the
        batch. Keys with neither cost nothing; the rest one statement per kind of change."""
        open_now = {key: {"id": row.id, "partition": row.partition, "more": 0} for key, row in letters.items()}
        failed, resolved = [], []  # letters failed again or opened (written whole); open ones only resolved (ids)
        for outcome in outcomes:
            key, letter = outcome.source_key, open_now.get(outcome.source_key)
            if outcome.action == Action.FAILED:
                if letter is None:
                    letter = open_now[key] = {"id": None, "partition": None, "more": 0, "first_failed_at": now}
                if not letter["more"]:
                    failed.append(letter)
                letter.update(_failure(outcome, run_id, now), source_key=key, more=letter["more"] + 1)
                letter["partition"] = partition or letter["partition"]
            elif outcome.action in (*WRITTEN, Action.UNCHANGED, Action.DELETED) and letter is not None:
                letter.update(resolved_at=now, resolved_run_id=run_id)
                if not letter["more"]:
                    resolved.append(letter["id"])
                del open_now[key]
        if resolved:
            conn.execute(
                dead_letters.update()
                .where(self._among(dead_letters.c.id, resolved))
                .values(resolved_at=now, resolved_run_id=run_id)
            )
        again = [letter for letter in failed if letter["id"] is not None]
        if again:
            conn.execute(
                dead_letters.update()
                .where(dead_letters.c.id == sa.bindparam("letter_id"))
                .values(attempts=dead_letters.c.attempts + sa.bindparam("more")),
                [
                    {
                        "letter_id": letter["id"],
                        "more": letter["more"],
                        **{k: letter.get(k) for k in _FAILURE_COLUMNS},
                        "partition": letter["partition"],
                        "resolved_at": letter.get("resolved_at"),
                        "resolved_run_id": letter.get("resolved_run_id"),
                    }
                    for letter in again
                ],
            )
        new = [letter for letter in failed if letter["id"] is None]
        if new:
            conn.execute(
                dead_letters.insert(),
                [
                    {
                        "pair": pair,
                        "target_object": target_object,
                        "source_key": letter["source_key"],
                        "attempts": letter["more"],
                        "first_failed_at": letter["first_failed_at"],
                        "partition": letter["partition"],
                        "resolved_at": letter.get("resolved_at"),
                        "resolved_run_id": letter.get("resolved_run_id"),
                        **{k: letter[k] for k in _FAILURE_COLUMNS},
                    }
                    for letter in new
                ],
            )

    # drift -----------------------------------------------------------------------------------------------------
    def forget_drifted(
        self,
        pair: str,
        target_object: str,
        source_keys: Iterable[str],
        *,
        run_id: str | None,
        partition: str | None,
        actor: str | None = None,
    ) -> "Forgotten":
        """Forgets the sync state of records the ledger held as in the target but the target lacks (deleted there by
        a user, a refreshed sandbox), so the next load of them sends them again; each gets a `drifted` audit row with
        what the ledger believed the target held. The records that refer to one of them (the contacts of a deleted
        account) are sent again too, once it is back: a target that links by row id gives the re-created record a new
        one. They wait as `dependency` dead letters with their stored payload, which any later load of their object
        carries, and their hash is cleared so that the payload, unchanged, is still sent."""
        keys = list(dict.fromkeys(source_keys))
        if not keys:
            return Forgotten([], [])
        gone = {(target_object, key) for key in keys}
        now = _now()
        with self.engine.begin() as conn:
            forgotten = []
            for chunk in _chunks(keys, 500):
                where = sa.and_(
                    sync_state.c.pair == pair,
                    sync_state.c.target_object == target_object,
                    sync_state.c.source_key.in_(chunk),
                )
                forgotten += conn.execute(
                    sa.select(sync_state.c.source_key, sync_state.c.target_id, sync_state.c.payload).where(where)
                ).all()
                conn.execute(sync_state.delete().where(where))
            dependents = [
                row
                for row in conn.execute(
                    sa.select(
                        sync_state.c.target_object, sync_state.c.source_key, sync_state.c.payload, sync_state.c.refs
                    ).where(sync_state.c.pair == pair, sync_state.c.refs.is_not(None))
                )
                if (row.target_object, row.source_key) not in gone and any(tuple(ref) in gone for ref in row.refs)
            ]
            audit = [
                {
                    "target_object": target_object,
                    "source_key": row.source_key,
                    "target_id": row.target_id,
                    "action": Action.DRIFTED,
                    "changes": changed_fields(row.payload, None),
                }
                for row in forgotten
            ]
            for row in dependents:
                conn.execute(
                    sync_state.update()
                    .where(
                        sync_state.c.pair == pair,
                        sync_state.c.target_object == row.target_object,
                        sync_state.c.source_key == row.source_key,
                    )
                    .values(payload_hash="")
                )
                waiting_for = ", ".join(f"{obj} {key}" for obj, key in row.refs if (obj, key) in gone)
                message = f"waiting for {waiting_for} to be back in the target (it was missing there), to link to it"
                waiting = Outcome(
                    row.source_key,
                    Action.FAILED,
                    {"payload": row.payload, "refs": row.refs},
                    error_class=ErrorClass.DEPENDENCY,
                    error_message=message,
                )
                letters = self._open_letters(conn, pair, row.target_object, [row.source_key])
                self._dead_letters(conn, pair, row.target_object, [waiting], letters, run_id, None, now)
                audit.append(
                    {
                        "target_object": row.target_object,
                        "source_key": row.source_key,
                        "target_id": None,
                        "action": Action.FAILED,
                        "changes": waiting.changes(),
                    }
                )
            _audit(conn, audit, run_id=run_id, partition=partition, pair=pair, at=now, actor=actor)
            if forgotten:
                # The records go out again with the next read of their days (heal reruns them): no window the pair
                # loaded may be skipped as loaded while they are not in the target.
                conn.execute(window_digests.delete().where(window_digests.c.pair == pair))
        return Forgotten(
            [row.source_key for row in forgotten], [(row.target_object, row.source_key) for row in dependents]
        )

    def last_actions(self, pair: str, target_object: str, source_keys: Iterable[str]) -> dict[str, tuple[str, dict]]:
        """What the audit log last says happened to each of these records: (action, changes); absent for a record it
        never names. A record read unchanged with nothing new to say has no row for that run: this is then what last
        happened to it that said something (its write, its failure, why it was left out)."""
        found: dict[str, tuple[str, dict]] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(dict.fromkeys(source_keys)), 500):
                rows = conn.execute(
                    sa.select(audit_log.c.source_key, audit_log.c.action, audit_log.c.changes)
                    .where(
                        audit_log.c.pair == pair,
                        audit_log.c.target_object == target_object,
                        audit_log.c.source_key.in_(chunk),
                    )
                    .order_by(audit_log.c.id)
                )
                found.update({row.source_key: (row.action, row.changes or {}) for row in rows})
        return found

    def partitions_of(self, pair: str, target_object: str, source_keys: Iterable[str]) -> dict[str, str | None]:
        """The partition each record was last handled in by a run (the audit log); None for one no run names. A run
        that reads a record unchanged in a partition other than the last it was read in audits it there, so this is
        also the last partition that read it, which a rerun reads it again in."""
        found: dict[str, str | None] = dict.fromkeys(source_keys)
        with self.engine.connect() as conn:
            for chunk in _chunks(list(found), 500):
                rows = conn.execute(
                    sa.select(audit_log.c.source_key, audit_log.c.partition)
                    .where(
                        audit_log.c.pair == pair,
                        audit_log.c.target_object == target_object,
                        audit_log.c.source_key.in_(chunk),
                        audit_log.c.partition.is_not(None),
                    )
                    .order_by(audit_log.c.id)
                )
                found.update({row.source_key: row.partition for row in rows})
        return found

    # dead letters ----------------------------------------------------------------------------------------------
    def open_dead_letters(
        self,
        pair: str | None = None,
        target_object: str | None = None,
        error_class: str | None = None,
        ids: Collection[int] | None = None,
        source_keys: Collection[str] | None = None,
        run_id: str | None = None,
        limit: int | None = None,
        error_classes: Collection[str] | None = None,
    ) -> list[DeadLetter]:
        """Open dead letters, oldest first; each filter given narrows them (`ids`, `source_keys`: only these;
        `error_classes`: of any of these; `run_id`: those whose last failure was in this run), `limit` says how many
        at most."""
        query = sa.select(dead_letters).where(dead_letters.c.resolved_at.is_(None)).order_by(dead_letters.c.id)
        if run_id:
            query = query.where(dead_letters.c.run_id == run_id)
        if limit is not None:
            query = query.limit(limit)
        if pair:
            query = query.where(dead_letters.c.pair == pair)
        if target_object:
            query = query.where(dead_letters.c.target_object == target_object)
        if error_class:
            query = query.where(dead_letters.c.error_class == error_class)
        if error_classes is not None:
            query = query.where(dead_letters.c.error_class.in_(list(error_classes)))
        if ids:
            query = query.where(dead_letters.c.id.in_(list(ids)))
        if source_keys is not None:
            query = query.where(self._among(dead_letters.c.source_key, list(source_keys)))
        with self.engine.connect() as conn:
            return [_dead_letter_of(row) for row in conn.execute(query)]

    def dead_letter(self, letter_id: int) -> DeadLetter | None:
        """One dead letter, open or resolved."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(dead_letters).where(dead_letters.c.id == letter_id)).first()
        return _dead_letter_of(row) if row is not None else None

    def edit_dead_letter(self, letter_id: int, payload: dict, by: str) -> DeadLetter:
        """Replaces what an open dead letter will send (its refs stay as stored) and writes who changed what, when,
        to the audit log. The letter stays open: a replay, or a run that sends the record, resolves it."""
        with self.engine.begin() as conn:
            # Locked (PostgreSQL) so a run resolving the letter meanwhile waits for the edit, or the edit for it.
            row = conn.execute(sa.select(dead_letters).where(dead_letters.c.id == letter_id).with_for_update()).first()
            if row is None:
                raise LookupError(f"no dead letter #{letter_id}")
            letter = _dead_letter_of(row)
            if letter.resolved_at is not None:
                raise NotEditable(
                    f"dead letter #{letter_id} was resolved at {letter.resolved_at:%Y-%m-%d %H:%M} "
                    "UTC: there is nothing left to send"
                )
            if letter.record_payload is None:
                raise NotEditable(
                    f"dead letter #{letter_id} has no payload: the mapping rejected the source record "
                    f"({letter.error_message}); fix it at the source and rerun its partition"
                )
            changes = changed_paths(letter.record_payload, payload)
            if not changes:
                return letter
            stored = {**letter.payload, "payload": payload}
            if "truncated" in stored:
                # a value a person set is no longer the one the mapping cut
                stored["truncated"] = [cut for cut in stored["truncated"] if cut["field"] not in changes]
            conn.execute(dead_letters.update().where(dead_letters.c.id == letter_id).values(payload=stored))
            _audit(
                conn,
                [{"target_object": letter.target_object, "source_key": letter.source_key, "changes": changes}],
                run_id=None,
                partition=letter.partition,
                pair=letter.pair,
                action=Action.EDITED,
                at=_now(),
                actor=by,
            )
        return replace(letter, payload=stored)

    def dead_letter_counts(self, pair: str, target_object: str, *, run_id: str | None = None) -> dict[str, int]:
        """Open dead letters of one object by error class (a record has one open at most); `run_id`: only those whose
        last failure was in this run."""
        query = (
            sa.select(dead_letters.c.error_class, sa.func.count())
            .where(
                dead_letters.c.pair == pair,
                dead_letters.c.target_object == target_object,
                dead_letters.c.resolved_at.is_(None),
            )
            .group_by(dead_letters.c.error_class)
        )
        if run_id:
            query = query.where(dead_letters.c.run_id == run_id)
        with self.engine.connect() as conn:
            return {error_class: count for error_class, count in conn.execute(query)}

    def dead_letter_keys(self, pair: str, target_object: str) -> set[str]:
        with self.engine.connect() as conn:
            return set(
                conn.execute(
                    sa.select(dead_letters.c.source_key).where(
                        dead_letters.c.pair == pair,
                        dead_letters.c.target_object == target_object,
                        dead_letters.c.resolved_at.is_(None),
                    )
                ).scalars()
            )

    # audit -----------------------------------------------------------------------------------------------------
    def audit(
        self,
        *,
        run_id: str | None = None,
        source_key: str | None = None,
        pair: str | None = None,
        target_object: str | None = None,
        action: str | None = None,
        latest: int | None = None,
    ) -> list[dict]:
        """Audit rows, oldest first; each filter given narrows them, `latest` keeps only the last so many."""
        query = sa.select(audit_log).order_by(audit_log.c.id.desc())
        for column, value in (
            (audit_log.c.run_id, run_id),
            (audit_log.c.source_key, source_key),
            (audit_log.c.pair, pair),
            (audit_log.c.target_object, target_object),
            (audit_log.c.action, action),
        ):
            if value:
                query = query.where(column == value)
        if latest:
            query = query.limit(latest)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)][::-1]

    def audit_counts(
        self, *, run_id: str | None = None, pair: str | None = None, target_object: str | None = None
    ) -> list[dict]:
        """How many records each run handled, by partition, pair, object and action (unchanged ones included, which
        the audit log names only when they say something new); each filter given narrows them."""
        total = sa.func.sum(audit_counts.c.records).label("records")
        group = (audit_counts.c.run_id, audit_counts.c.partition, audit_counts.c.pair, audit_counts.c.target_object)
        query = (
            sa.select(*group, audit_counts.c.action, total)
            .group_by(*group, audit_counts.c.action)
            .order_by(sa.func.min(audit_counts.c.id), audit_counts.c.action)
        )
        for column, value in (
            (audit_counts.c.run_id, run_id),
            (audit_counts.c.pair, pair),
            (audit_counts.c.target_object, target_object),
        ):
            if value:
                query = query.where(column == value)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def find_records(
        self, key_or_id: str, *, pair: str | None = None, target_object: str | None = None
    ) -> list["AuditedRecord"]:
        """Every record whose source key or target id this is, in any pair and object (a two-way record is two: each
        direction's), whether the ledger holds it now or only remembers it (deleted, drifted, refused); each filter
        given narrows them. With what the ledger holds of each now: where it is in the target, its open dead letter."""
        found: dict[tuple[str, str, str], str] = {}
        searches = [(table, table.c.target_id, "target id") for table in (sync_state, audit_log)]
        searches += [(table, table.c.source_key, "source key") for table in (sync_state, audit_log, dead_letters)]
        with self.engine.connect() as conn:
            for table, column, matched_by in searches:
                query = sa.select(table.c.pair, table.c.target_object, table.c.source_key).where(column == key_or_id)
                if pair:
                    query = query.where(table.c.pair == pair)
                if target_object:
                    query = query.where(table.c.target_object == target_object)
                for row in conn.execute(query.distinct()):
                    found[tuple(row)] = matched_by
            if not found:
                return []
            states = {
                (row.pair, row.target_object, row.source_key): row
                for row in conn.execute(sa.select(sync_state).where(self._records_among(sync_state, found)))
            }
            letters = {
                (row.pair, row.target_object, row.source_key): _dead_letter_of(row)
                for row in conn.execute(
                    sa.select(dead_letters).where(
                        dead_letters.c.resolved_at.is_(None), self._records_among(dead_letters, found)
                    )
                )
            }
        records = []
        for record, matched_by in sorted(found.items()):
            state = states.get(record)
            records.append(
                AuditedRecord(
                    *record,
                    matched_by=matched_by,
                    target_id=state.target_id if state else None,
                    synced_at=_utc(state.synced_at) if state else None,
                    synced_by_run=state.run_id if state else None,
                    open_dead_letter=letters.get(record),
                )
            )
        return records

    def history(self, records: Iterable["AuditedRecord"]) -> list[dict]:
        """The `audit_history` rows of these records, oldest first: every audit row with the dead letter it opened,
        failed again, edited or resolved."""
        wanted = {(r.pair, r.target_object, r.source_key): None for r in records}
        if not wanted:
            return []
        query = (
            sa.select(audit_history)
            .where(self._records_among(audit_history, wanted))
            .order_by(audit_history.c.at, audit_history.c.id)
        )
        with self.engine.connect() as conn:
            return [{**row._mapping, "at": _utc(row.at)} for row in conn.execute(query)]

    def recent_history(self, pair: str, *, actions: Collection[str], limit: int) -> list[dict]:
        """The pair's last `limit` `audit_history` rows with one of these actions, newest first."""
        query = (
            sa.select(audit_history)
            .where(audit_history.c.pair == pair, audit_history.c.action.in_(list(actions)))
            .order_by(audit_history.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [{**row._mapping, "at": _utc(row.at)} for row in conn.execute(query)]

    def action_counts(self, pair: str, *, since: datetime | None = None) -> dict[str, int]:
        """How many records the pair's runs handled, by action (unchanged ones included), since a moment or in the
        whole audit trail kept."""
        query = (
            sa.select(audit_counts.c.action, sa.func.sum(audit_counts.c.records))
            .where(audit_counts.c.pair == pair)
            .group_by(audit_counts.c.action)
        )
        if since is not None:
            query = query.where(audit_counts.c.at >= since)
        with self.engine.connect() as conn:
            return {action: int(records) for action, records in conn.execute(query)}

    @staticmethod
    def _records_among(table, records: Collection[tuple[str, str, str]]) -> sa.ColumnElement[bool]:
        return sa.tuple_(table.c.pair, table.c.target_object, table.c.source_key).in_(list(records))

    def prune_audit(self, before: datetime, *, by: str, pair: str | None = None, dry_run: bool = False) -> "Pruned":
        """Removes the audit rows and counts older than `before` (of one pair, if given), in one transaction, and
        records that it did (`audit_prunes`); `dry_run` only counts them. Each record's last audit row, and its last
        that names a partition, are kept whatever their age: the connector reads them (why a parent was left out,
        which partition `heal` reruns). Nothing else ever removes audit rows."""
        kept = sa.union(
            *(
                sa.select(sa.func.max(audit_log.c.id))
                .where(*where)
                .group_by(audit_log.c.pair, audit_log.c.target_object, audit_log.c.source_key)
                for where in ((), (audit_log.c.partition.is_not(None),))
            )
        )
        rows = [audit_log.c.at < before, audit_log.c.id.not_in(kept)]
        counts = [audit_counts.c.at < before]
        if pair:
            rows.append(audit_log.c.pair == pair)
            counts.append(audit_counts.c.pair == pair)
        with self.engine.begin() as conn:
            if dry_run:
                return Pruned(
                    conn.execute(sa.select(sa.func.count()).select_from(audit_log).where(*rows)).scalar_one(),
                    conn.execute(sa.select(sa.func.count()).select_from(audit_counts).where(*counts)).scalar_one(),
                )
            pruned = Pruned(
                conn.execute(audit_log.delete().where(*rows)).rowcount,
                conn.execute(audit_counts.delete().where(*counts)).rowcount,
            )
            conn.execute(
                audit_prunes.insert().values(
                    at=_now(),
                    actor=by,
                    pruned_before=before,
                    pair=pair,
                    audit_rows=pruned.audit_rows,
                    count_rows=pruned.count_rows,
                )
            )
        return pruned

    def prunes(self, pairs: Collection[str] | None = None) -> list[dict]:
        """The prunes that took rows of these pairs (or of any) out of the audit trail, oldest first."""
        query = sa.select(audit_prunes).order_by(audit_prunes.c.id)
        if pairs is not None:
            query = query.where(sa.or_(audit_prunes.c.pair.is_(None), audit_prunes.c.pair.in_(list(pairs))))
        with self.engine.connect() as conn:
            return [
                {**row._mapping, "at": _utc(row.at), "pruned_before": _utc(row.pruned_before)}
                for row in conn.execute(query)
            ]

    # inbox -----------------------------------------------------------------------------------------------------
    def inbox_put(self, source: str, dedup_key: str, payload: dict) -> bool:
        """Stores a delivery once; returns False when the same (source, dedup key) was already stored. A value the
        inbox can never hold raises UnstorableValue, the same on every database; any other error is the store's
        (unreachable, locked, failing) and may pass."""
        _storable_text(source=source, dedup_key=dedup_key)
        _storable_json(payload)
        stmt = self._insert(inbox).values(source=source, dedup_key=dedup_key, received_at=_now(), payload=payload)
        try:
            with self.engine.begin() as conn:
                result = conn.execute(stmt.on_conflict_do_nothing(index_elements=["source", "dedup_key"]))
        except (sa.exc.DataError, sa.exc.IntegrityError) as error:
            # The database refused the values themselves (a character its encoding lacks, say): so it will again.
            raise UnstorableValue(f"the ledger refused the event: {_first_line(error.orig)}") from error
        except ValueError as error:  # the driver could not even send them (psycopg2 encodes to the database's charset)
            raise UnstorableValue(f"the ledger refused the event: {_first_line(error)}") from error
        return result.rowcount == 1

    def inbox_after(self, source: str, after_id: int, limit: int = 1000) -> list[dict]:
        query = (
            sa.select(inbox).where(inbox.c.source == source, inbox.c.id > after_id).order_by(inbox.c.id).limit(limit)
        )
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def inbox_mark_processed(self, ids: Iterable[int]) -> None:
        with self.engine.begin() as conn:
            conn.execute(inbox.update().where(inbox.c.id.in_(list(ids))).values(processed_at=_now()))

    # initial loads (ml_connector_dagster/initial_load.py) --------------------------------------------------------
    def checkpoint(self, pair: str, object: str) -> Checkpoint | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(initial_loads).where(initial_loads.c.pair == pair, initial_loads.c.object == object)
            ).first()
        if row is None:
            return None
        return Checkpoint(row.position, row.pages, row.records, row.run_id, _utc(row.started_at), _utc(row.finished_at))

    def start_initial_load(self, pair: str, object: str, *, run_id: str | None) -> None:
        """From the first page again: a finished load read anew, or one restarted on purpose."""
        now = _now()
        values = dict(
            position=None, pages=0, records=0, run_id=run_id, started_at=now, updated_at=now, finished_at=None
        )
        stmt = self._insert(initial_loads).values(pair=pair, object=object, **values)
        with self.engine.begin() as conn:
            conn.execute(stmt.on_conflict_do_update(index_elements=["pair", "object"], set_=values))

    def advance_initial_load(self, pair: str, object: str, *, position: str, records: int, run_id: str | None) -> None:
        """One more page loaded: the next starts at `position`."""
        self._initial_load_row(
            pair,
            object,
            position=position,
            pages=initial_loads.c.pages + 1,
            records=initial_loads.c.records + records,
            run_id=run_id,
        )

    def finish_initial_load(self, pair: str, object: str, *, run_id: str | None) -> None:
        self._initial_load_row(pair, object, run_id=run_id, finished_at=_now())

    def _initial_load_row(self, pair: str, object: str, **values) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                initial_loads.update()
                .where(initial_loads.c.pair == pair, initial_loads.c.object == object)
                .values(updated_at=_now(), **values)
            )

    # window digests (assets/unchanged_windows.py) ---------------------------------------------------
    def window_read(
        self,
        pair: str,
        extract: str,
        partition: str,
        *,
        digest: str,
        fingerprint: str,
        run_id: str,
        loads: Collection[str],
    ) -> None:
        """The run read the window whose digest this is, for the pair's `loads` (asset keys) of this run; until each
        of them has finished clean (`window_loaded`), no run may skip it for this pair."""
        values = dict(
            digest=digest,
            fingerprint=fingerprint,
            run_id=run_id,
            waiting_for=sorted(loads),
            read_at=_now(),
            loaded_at=None,
        )
        stmt = self._insert(window_digests).values(pair=pair, extract=extract, partition=partition, **values)
        with self.engine.begin() as conn:
            conn.execute(stmt.on_conflict_do_update(index_elements=["pair", "extract", "partition"], set_=values))

    def window_loaded(self, pair: str, partition: str, *, run_id: str, load: str) -> None:
        """The pair's `load` of this run and partition finished: it no longer waits on the windows the run read for
        it, unless a record of the pair waits for a retry only a read sends (`retry_pending`), in which case nothing is
        recorded and the next run reads those windows again. A window no load waits on any more is loaded."""
        if self.retry_pending(pair, partition, run_id=run_id):
            return
        where = sa.and_(
            window_digests.c.pair == pair,
            window_digests.c.partition == partition,
            window_digests.c.run_id == run_id,
            window_digests.c.loaded_at.is_(None),
        )
        with self.engine.begin() as conn:
            for row in conn.execute(sa.select(window_digests).where(where)).all():
                waiting = [name for name in row.waiting_for if name != load]
                conn.execute(
                    window_digests.update()
                    .where(
                        window_digests.c.pair == row.pair,
                        window_digests.c.extract == row.extract,
                        window_digests.c.partition == row.partition,
                        window_digests.c.run_id == run_id,
                    )
                    .values(waiting_for=waiting, loaded_at=None if waiting else _now())
                )

    def loaded_window(self, pair: str, extract: str, partition: str) -> LoadedWindow | None:
        """The digest of the window the pair last loaded clean, with its fingerprint and run; None when none was."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(window_digests).where(
                    window_digests.c.pair == pair,
                    window_digests.c.extract == extract,
                    window_digests.c.partition == partition,
                    window_digests.c.loaded_at.is_not(None),
                )
            ).first()
        return None if row is None else LoadedWindow(row.digest, row.fingerprint, row.run_id, _utc(row.loaded_at))

    def retry_pending(self, pair: str, partition: str, *, run_id: str | None = None) -> bool:
        """Whether an open dead letter of the pair that only a read of its record retries (RETRIED_WHEN_READ) was
        opened in this partition or last failed in this run: a rerun must read the partition again to send it."""
        letter = dead_letters.c
        of_run = letter.partition == partition
        if run_id is not None:
            of_run = sa.or_(of_run, letter.run_id == run_id)
        query = sa.select(letter.id).where(
            letter.pair == pair,
            letter.resolved_at.is_(None),
            letter.error_class.in_([error_class.value for error_class in RETRIED_WHEN_READ]),
            of_run,
        )
        with self.engine.connect() as conn:
            return conn.execute(query.limit(1)).first() is not None

    # leases (ml_connector_dagster/lease.py holds them) ----------------------------------------------------------
    def clock(self) -> datetime:
        """Now by the database's clock, which every host sharing a PostgreSQL ledger reads alike (their own clocks may
        disagree by more than a lease lives); a SQLite ledger is a file on this machine, whose clock is the one."""
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect() as conn:
                return conn.execute(sa.select(sa.func.clock_timestamp())).scalar_one()
        return _now()

    def take_lease(
        self, pair: str, target_object: str, *, token: str, run_id: str | None, host: str, pid: int, ttl_seconds: float
    ) -> bool:
        """One statement, atomic on SQLite and PostgreSQL alike: inserts the lease, or takes over one whose holder let
        it expire; False while another holds it."""
        now = self.clock()
        stmt = self._insert(leases).values(
            pair=pair,
            target_object=target_object,
            token=token,
            run_id=run_id,
            host=host,
            pid=pid,
            acquired_at=now,
            expires_at=now + timedelta(seconds=ttl_seconds),
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["pair", "target_object"],
            set_={k: stmt.excluded[k] for k in ("token", "run_id", "host", "pid", "acquired_at", "expires_at")},
            where=leases.c.expires_at <= stmt.excluded.acquired_at,
        )
        with self.engine.begin() as conn:
            return conn.execute(stmt).rowcount == 1

    def renew_lease(self, pair: str, target_object: str, token: str, ttl_seconds: float) -> bool:
        """Moves the expiry on; False when the lease is no longer this holder's (it expired and was taken over)."""
        expires = self.clock() + timedelta(seconds=ttl_seconds)
        with self.engine.begin() as conn:
            return conn.execute(self._lease_row(pair, target_object, token).values(expires_at=expires)).rowcount == 1

    def release_lease(self, pair: str, target_object: str, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                leases.delete().where(
                    leases.c.pair == pair, leases.c.target_object == target_object, leases.c.token == token
                )
            )

    def lease_holder(self, pair: str, target_object: str) -> LeaseHolder | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(leases).where(leases.c.pair == pair, leases.c.target_object == target_object)
            ).first()
        if row is None:
            return None
        # PostgreSQL answers in the session's time zone, which need not be UTC.
        acquired, expires = (_utc(value).astimezone(UTC) for value in (row.acquired_at, row.expires_at))
        return LeaseHolder(row.token, row.run_id, row.host, row.pid, acquired, expires)

    @staticmethod
    def _lease_row(pair: str, target_object: str, token: str):
        return leases.update().where(
            leases.c.pair == pair, leases.c.target_object == target_object, leases.c.token == token
        )


def _dead_letter_of(row) -> DeadLetter:
    return DeadLetter(
        row.id,
        row.pair,
        row.target_object,
        row.source_key,
        row.payload,
        row.error_class,
        row.error_code,
        row.error_message,
        row.attempts,
        row.partition,
        row.resolved_at,
        _utc(row.resolve_after),
    )


class UnstorableValue(ValueError):
    """A value the ledger will never store, however often it is sent: a string longer than its column or that
    PostgreSQL cannot hold, a payload that is not JSON."""


def _storable_text(**values: str) -> None:
    for name, value in values.items():
        length = inbox.c[name].type.length
        if len(value) > length:
            raise UnstorableValue(f"the ledger keeps at most {length} characters of {name}, not {len(value)}")
        if "\x00" in value:
            raise UnstorableValue(f"the ledger cannot keep {name}: it holds a NUL character, which PostgreSQL cannot")
        _utf8(name, value)


def _storable_json(payload: Any) -> None:
    """RFC 8259 JSON in UTF-8: no NaN or Infinity, which RFC 8259 has no form for (PostgreSQL refuses them, SQLite
    would keep them as written), and no lone surrogate, which has no UTF-8 form."""
    try:
        text = json.dumps(payload, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as error:
        raise UnstorableValue(f"the ledger keeps only JSON payloads: {error}") from None
    _utf8("payload", text)


def _utf8(name: str, text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        problem = "it holds a lone surrogate, which has no UTF-8 form"
        raise UnstorableValue(f"the ledger cannot keep {name}: {problem}") from None


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _create_tables(engine: sa.Engine) -> None:
    """create_all checks for each table, then creates it: two processes opening a new ledger at once (two runs, two
    deployments) both find one missing, and the second CREATE fails. Each such failure means the other made a table,
    so checking again gets further, and there are only so many tables."""
    for attempt in range(len(metadata.tables) + 1):
        try:
            metadata.create_all(engine)
            return
        except sa.exc.DBAPIError:
            if attempt == len(metadata.tables):
                raise


def _create_history_view(engine: sa.Engine) -> None:
    """The `audit_history` view, made where it is missing (a new ledger, or one an older version made), in each
    database's own SQL (the JSON reads differ). A later version that changes it must drop the older one first."""
    if HISTORY_VIEW in sa.inspect(engine).get_view_names():
        return
    body = _history_select().compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE VIEW {HISTORY_VIEW} AS {body}")
    except sa.exc.DBAPIError:
        # Another process starting at the same moment may have made it first.
        if HISTORY_VIEW not in sa.inspect(engine).get_view_names():
            raise


def _upgrade_tables(engine: sa.Engine) -> None:
    """metadata.create_all makes missing tables but never adds a column or an index to a table an older version
    made. Columns added since a table first shipped are nullable, so adding them and the new indexes is the whole
    upgrade."""
    for table in metadata.sorted_tables:
        present = _columns(engine, table.name)
        for column in (column for column in table.columns if column.name not in present):
            ddl = f"ALTER TABLE {table.name} ADD COLUMN {column.name} {column.type.compile(engine.dialect)}"
            _add(engine, sa.DDL(ddl), table.name, column.name, _columns)
        present = _indexes(engine, table.name)
        for index in (index for index in table.indexes if index.name not in present):
            _add(engine, sa.schema.CreateIndex(index), table.name, index.name, _indexes)


def _add(
    engine: sa.Engine,
    ddl: sa.schema.ExecutableDDLElement,
    table: str,
    name: str,
    present: Callable[[sa.Engine, str], set[str]],
) -> None:
    try:
        with engine.begin() as conn:
            conn.execute(ddl)
    except sa.exc.DBAPIError:
        # Another process (webserver, daemon, a run) starting at the same moment may have added it first.
        if name not in present(engine, table):
            raise


def _columns(engine: sa.Engine, table: str) -> set[str]:
    return {column["name"] for column in sa.inspect(engine).get_columns(table)}


def _indexes(engine: sa.Engine, table: str) -> set[str]:
    return {index["name"] for index in sa.inspect(engine).get_indexes(table)}


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # A ledger row acknowledges a write to a target that may not be idempotent: losing it re-sends the record. With
    # NORMAL, "a transaction committed in WAL mode ... might roll back following a power loss or system crash"; FULL
    # syncs the WAL after each commit, so a commit that returned survives one
    # (https://www.sqlite.org/pragma.html#pragma_synchronous, https://www.sqlite.org/wal.html#performance_considerations).
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]
