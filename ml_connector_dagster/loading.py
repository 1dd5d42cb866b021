"""The load loop every target shares: diff against the ledger, order by dependency, batch, upsert, record.

A target system plugs in through `TargetWriter`: it upserts one batch of records idempotently (by external id) and
answers per record, says which records exist, and counts its calls; one that also deletes is a
`DeletingTargetWriter`. Everything else (what changed, what waits for a parent, what goes to dead letters, what the
audit log says) happens here once.
"""

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol, TypeGuard

from ml_connector_dagster.http import CallCounter
from ml_connector_dagster.ledger import (
    WRITTEN,
    Action,
    DeadLetter,
    ErrorClass,
    Ledger,
    Outcome,
    SyncedRecord,
    Truncated,
    payload_hash,
)

Ref = tuple[str, str]  # (target object, source key) that must exist in the target before this record


@dataclass(frozen=True)
class TargetRecord:
    source_key: str
    payload: dict
    refs: tuple[Ref, ...] = ()
    truncated: tuple[Truncated, ...] = ()  # what the mapping cut to make the payload fit, for the audit log
    # Why this payload may only update a record the connector wrote earlier, never create one (an account inactive
    # at the source: Dataverse creates every record active, and nobody needs a new record that is already retired).
    # A record the ledger never saw written is skipped with this reason.
    update_only: str | None = None
    # What the target holds now of the payload's fields, read just before, where people edit the target too (a
    # two-way pair): the record is unchanged when the target holds every value, whatever was sent before, and its
    # audit row shows the target's values before → after.
    current: dict | None = None
    # Where the target holds it, when the mapping found it there (with `current`): a record that agrees with its
    # target but that the ledger never saw written (the write landed, then the run died before recording it) is
    # recorded at that id, so the ledger knows what the target holds.
    target_id: str | None = None
    # Facts its audit rows carry besides the changes (a two-way conflict with both sides' values).
    notes: dict | None = None
    # The source record as its source names it (`LIFNR 0000000042`), where `source_key` normalised it: what a key
    # conflict names (ml_connector_dagster/key_conflicts.py).
    origin: str | None = None

    def dead_letter_payload(self) -> dict:
        stored = {"payload": self.payload, "refs": [list(ref) for ref in self.refs]}
        if self.truncated:
            stored["truncated"] = [cut.audited() for cut in self.truncated]
        return stored

    def agrees_with_target(self) -> bool:
        return self.current is not None and all(self.current.get(name) == value for name, value in self.payload.items())

    @classmethod
    def from_dead_letter(cls, letter: DeadLetter) -> "TargetRecord | None":
        stored = letter.payload or {}
        if stored.get("payload") is None:
            return None
        return cls(
            letter.source_key,
            stored["payload"],
            tuple(tuple(ref) for ref in stored.get("refs", [])),
            tuple(Truncated(**cut) for cut in stored.get("truncated", [])),
        )


@dataclass(frozen=True)
class WriteResult:
    source_key: str
    ok: bool
    target_id: str | None = None
    created: bool | None = None  # None when the API does not say (Dataverse upserts answer 204 either way)
    error_class: ErrorClass | None = None
    error_code: str | None = None
    error_message: str | None = None
    resolve_after: datetime | None = None  # in doubt: when the target can no longer be processing the write


def not_sent(record: TargetRecord, stopped: Exception) -> WriteResult:
    """A record a writer did not send because a limit stopped the run (a daily allocation, spent credits, an hourly
    limit): a QUOTA result, which the next run of any partition sends."""
    return WriteResult(
        record.source_key,
        False,
        error_class=ErrorClass.QUOTA,
        error_code=getattr(stopped, "code", None),
        error_message=f"not sent: {stopped}",
    )


class TargetWriter(Protocol):
    """A writer may also say how many batches it takes at once (`parallelism`, see `parallelism()`): one that does
    is called from several threads and must be safe so."""

    counter: CallCounter  # every request the writer sends, for the load's call counts

    def upsert(self, target_object: str, records: Sequence[TargetRecord]) -> list[WriteResult]:
        """Upserts one batch; returns one result per record, in any order. Raises only for systemic failures."""

    def existing_keys(self, target_object: str, known: Mapping[str, str | None]) -> set[str]:
        """Which of these source keys have their record in the target; `known` gives each the target id the ledger
        holds for it (None where it has none), for a target that finds records by what it was written under."""


class DeletingTargetWriter(TargetWriter, Protocol):
    def delete(self, target_object: str, source_keys: Sequence[str]) -> list[WriteResult]:
        """Deletes one batch by external id (one already gone counts as deleted); one result per key."""


def deletes(writer: TargetWriter) -> TypeGuard[DeletingTargetWriter]:
    """Whether this target deletes records: deleting is optional, and a writer that cannot has no `delete`."""
    return callable(getattr(writer, "delete", None))


@dataclass
class LoadSummary:
    records: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0
    deleted: int = 0
    batches: int = 0
    failures_by_class: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: Outcome) -> None:
        setattr(self, outcome.action, getattr(self, outcome.action) + 1)
        if outcome.action == Action.FAILED:
            self.failures_by_class[outcome.error_class] = self.failures_by_class.get(outcome.error_class, 0) + 1

    def include(self, other: "LoadSummary") -> None:
        """Adds every count of `other` (the failures by class too), whatever counts LoadSummary has."""
        for name in (f.name for f in fields(LoadSummary)):
            value = getattr(other, name)
            if isinstance(value, dict):
                counts = getattr(self, name)
                for key, count in value.items():
                    counts[key] = counts.get(key, 0) + count
            else:
                setattr(self, name, getattr(self, name) + value)

    def as_metadata(self) -> dict[str, int]:
        return {
            "records": self.records,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "skipped": self.skipped,
            "deleted": self.deleted,
            "write_batches": self.batches,
        }


# A record that failed for one of these reasons is not re-sent unchanged: it would fail again the same way.
# Replay sends it on purpose, after someone fixed the cause at the target.
_STICKY_CLASSES = frozenset({ErrorClass.VALIDATION, ErrorClass.CONFLICT})
# Classes of an open letter whose record a load may send though its run did not read it (see `load`).
_COME_BACK = (ErrorClass.DEPENDENCY, ErrorClass.QUOTA, ErrorClass.IN_DOUBT)


def load(
    records: Iterable[TargetRecord],
    *,
    writer: TargetWriter,
    ledger: Ledger,
    pair: str,
    target_object: str,
    batch_size: int,
    run_id: str | None = None,
    partition: str | None = None,
    force: bool = False,
) -> LoadSummary:
    """Loads `records` into `target_object`. Records waiting on a parent from an earlier run are retried too, and so
    are writes in doubt once the target can no longer be processing them (before that, not even `force` sends them).

    `force` re-sends records even when their payload is unchanged or dead-lettered with the same payload (replay).
    """
    pending = {record.source_key: record for record in records}
    summary = LoadSummary(records=len(pending))
    now = datetime.now(UTC)
    # The open letters the diff consults, not every one of the object's: those of these records, and those that may
    # come back by themselves. An initial load meets a bad record on most pages, and reading them all each time
    # cost time and memory growing with the load.
    open_letters = {
        letter.source_key: letter
        for letters in (
            ledger.open_dead_letters(pair, target_object, error_classes=_COME_BACK),
            ledger.open_dead_letters(pair, target_object, source_keys=pending),
        )
        for letter in letters
    }
    carried: set[str] = set()
    for letter in open_letters.values():
        # An in-doubt write comes back by itself too, once the target can no longer be processing it.
        settled_doubt = letter.error_class == ErrorClass.IN_DOUBT and not _may_be_in_flight(letter, now)
        # A record a target's quota stopped is sent by the next run of any partition, once the quota allows.
        comes_back = letter.error_class in (ErrorClass.DEPENDENCY, ErrorClass.QUOTA) or settled_doubt
        if comes_back and letter.source_key not in pending:
            waiting = TargetRecord.from_dead_letter(letter)
            if waiting is not None:
                pending[waiting.source_key] = waiting
                carried.add(waiting.source_key)

    synced = ledger.synced(pair, target_object, pending)
    to_send: dict[str, TargetRecord] = {}
    digests: dict[str, str] = {}  # each payload's hash, computed once: the ledger records the one the diff compared
    settled: list[Outcome] = []
    for key, record in pending.items():
        digest = digests[key] = payload_hash(record.payload)
        previous = synced.get(key)
        letter = open_letters.get(key)
        if _may_be_in_flight(letter, now):
            # Not even replay sends it: the write may still land, and a second one would be applied too.
            settled.append(
                Outcome(
                    key,
                    Action.SKIPPED,
                    record.payload,
                    error_message=f"an earlier write may still be in progress in the target (dead letter #{letter.id}: "
                    f"{letter.error_message}); not sent before {letter.resolve_after:%Y-%m-%d %H:%M:%S} UTC",
                    truncated=record.truncated,
                )
            )
        elif record.update_only and previous is None:
            settled.append(Outcome(key, Action.SKIPPED, None, error_message=record.update_only))
        elif record.agrees_with_target() or (
            not force and record.current is None and previous is not None and previous.payload_hash == digest
        ):
            settled.append(
                Outcome(
                    key,
                    Action.UNCHANGED,
                    record.payload,
                    previous.target_id if previous else record.target_id,
                    refs=record.refs,
                    truncated=record.truncated,
                    notes=record.notes,
                    found=previous is None,
                    digest=digest,
                )
            )
        elif (
            not force
            and letter is not None
            and letter.error_class in _STICKY_CLASSES
            and letter.payload
            and payload_hash(letter.payload.get("payload")) == digest
        ):
            settled.append(
                Outcome(
                    key,
                    Action.SKIPPED,
                    record.payload,
                    error_message=f"unchanged since the target refused it (dead letter #{letter.id}, "
                    f"{letter.error_class}: {letter.error_message}); sent again when the source changes or by replay",
                    truncated=record.truncated,
                )
            )
        else:
            to_send[key] = record
    _record(ledger, summary, pair, target_object, settled, run_id, partition)

    available = _available_refs(ledger, pair, to_send.values())
    for level in _levels(to_send, target_object):
        ready, waiting = [], []
        for record in level:
            missing = [ref for ref in record.refs if ref not in available]
            (waiting if missing else ready).append((record, missing))
        # A record carried over from an earlier run that still waits is that run's failure, already recorded:
        # counting it again would make every later run of any partition report it.
        waiting = [(record, missing) for record, missing in waiting if record.source_key not in carried]
        why = parents_missing(ledger, pair, {ref for _, missing in waiting for ref in missing})
        _record(
            ledger,
            summary,
            pair,
            target_object,
            [_waiting(record, [(ref, why[ref]) for ref in missing]) for record, missing in waiting],
            run_id,
            partition,
        )
        batch_records = [record for record, _ in ready]

        def answered(batch: list[TargetRecord], written: list[WriteResult]) -> None:
            results = {result.source_key: result for result in written}
            summary.batches += 1
            outcomes = [
                _outcome(
                    record, results.get(record.source_key), synced.get(record.source_key), digests[record.source_key]
                )
                for record in batch
            ]
            _record(ledger, summary, pair, target_object, outcomes, run_id, partition)
            available.update((target_object, o.source_key) for o in outcomes if o.action in WRITTEN)

        batches = [batch_records[start : start + batch_size] for start in range(0, len(batch_records), batch_size)]
        _upsert_batches(writer, target_object, batches, answered)
    return summary


# No vendor recommends more requests in flight than Dataverse's concurrency limit (52, microsoft.md §2.11).
MAX_PARALLEL_BATCHES = 52


def parallelism(writer: TargetWriter) -> int:
    """How many batches the writer may have in flight at once: its `parallelism` (the vendor's hint where it gives
    one, a setting otherwise), 1 for a writer that does not say, which is then only ever called from one thread."""
    return max(1, min(MAX_PARALLEL_BATCHES, getattr(writer, "parallelism", 1)))


def _upsert_batches(
    writer: TargetWriter,
    target_object: str,
    batches: list[list[TargetRecord]],
    answered: Callable[[list[TargetRecord], list[WriteResult]], None],
) -> None:
    """Sends the batches, up to `parallelism(writer)` at once (asked again before each send, so a hint learned from
    the first answers applies from then on), and hands each answer to `answered` in this thread as it arrives, so the
    ledger hears of every batch written while others are in flight. A batch that raises stops further sends; those
    in flight are waited for and recorded, then the error is raised."""
    queue = deque(batches)
    failure: BaseException | None = None
    with ThreadPoolExecutor(MAX_PARALLEL_BATCHES, thread_name_prefix=f"upsert {target_object}") as pool:
        in_flight: dict[Future, list[TargetRecord]] = {}
        while queue or in_flight:
            if not in_flight and parallelism(writer) == 1 and queue:
                batch = queue.popleft()
                answered(batch, writer.upsert(target_object, batch))
                continue
            while queue and len(in_flight) < parallelism(writer):
                batch = queue.popleft()
                in_flight[pool.submit(writer.upsert, target_object, batch)] = batch
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                batch = in_flight.pop(future)
                try:
                    written = future.result()
                except Exception as error:  # noqa: BLE001 (raised once the batches in flight are recorded)
                    failure = failure or error
                    queue.clear()
                    continue
                answered(batch, written)
    if failure is not None:
        raise failure


def _outcome(record: TargetRecord, result: WriteResult | None, previous: SyncedRecord | None, digest: str) -> Outcome:
    if result is None:
        return Outcome(
            record.source_key,
            Action.FAILED,
            record.dead_letter_payload(),
            error_class=ErrorClass.TRANSIENT,
            error_message="the target returned no result for this record",
            truncated=record.truncated,
            notes=record.notes,
        )
    if not result.ok:
        return Outcome(
            record.source_key,
            Action.FAILED,
            record.dead_letter_payload(),
            error_class=result.error_class or ErrorClass.VALIDATION,
            error_code=result.error_code,
            error_message=result.error_message or "rejected by the target",
            resolve_after=result.resolve_after,
            truncated=record.truncated,
            notes=record.notes,
        )
    created = result.created if result.created is not None else previous is None
    return Outcome(
        record.source_key,
        Action.CREATED if created else Action.UPDATED,
        record.payload,
        result.target_id or (previous.target_id if previous else None),
        previous=record.current,  # where None, the ledger audits against the payload it holds
        refs=record.refs,
        truncated=record.truncated,
        notes=record.notes,
        digest=digest,
    )


class ParentMissing(StrEnum):
    """Why a referenced record is not in the target: the error code of the dependency dead letter waiting for it,
    most actionable first (a letter waiting for several parents carries the first that applies)."""

    REFUSED = "parent_refused"  # the target or the mapping refused it: fix it there, then replay
    NOT_IN_SOURCE = "parent_not_in_source"  # read from the source by key, and the source does not have it
    EXCLUDED = "parent_excluded"  # the mapping rules leave it out (inactive, not a customer)
    WAITING = "parent_waiting"  # it waits itself (for its own parent, a retry, a write in doubt)
    NOT_LOADED = "parent_not_loaded"  # nothing says why yet: not read, or not sent by any run so far


# Classes of a parent's own dead letter under which it comes back by itself; the others are refusals.
_RETRIED_CLASSES = frozenset({ErrorClass.DEPENDENCY, ErrorClass.TRANSIENT, ErrorClass.QUOTA, ErrorClass.IN_DOUBT})


def parents_missing(ledger: Ledger, pair: str, refs: Iterable[Ref]) -> dict[Ref, tuple[ParentMissing, str]]:
    """Why each referenced record is not in the target, from what the ledger holds of it: its open dead letter,
    else the last thing the audit log says happened to it."""
    wanted: dict[str, set[str]] = {}
    for obj, key in refs:
        wanted.setdefault(obj, set()).add(key)
    found: dict[Ref, tuple[ParentMissing, str]] = {}
    for obj, keys in wanted.items():
        letters = {letter.source_key: letter for letter in ledger.open_dead_letters(pair, obj, source_keys=keys)}
        last = ledger.last_actions(pair, obj, keys - letters.keys())
        for key in keys:
            letter = letters.get(key)
            action, changes = last.get(key, (None, {}))
            if letter is not None and letter.error_class in _RETRIED_CLASSES:
                found[obj, key] = (ParentMissing.WAITING, f"it waits itself: {letter.error_message}")
            elif letter is not None:
                refuser = "the mapping" if letter.record_payload is None else "the target"
                code = f" {letter.error_code}" if letter.error_code else ""
                found[obj, key] = (
                    ParentMissing.REFUSED,
                    f"refused by {refuser} ({letter.error_class}{code}: {letter.error_message})",
                )
            elif action == Action.NOT_IN_SOURCE:
                found[obj, key] = (ParentMissing.NOT_IN_SOURCE, "the source does not have it: read by key, not found")
            elif action == Action.SKIPPED:
                found[obj, key] = (ParentMissing.EXCLUDED, f"left out by the mapping rules: {changes.get('reason')}")
            else:
                found[obj, key] = (ParentMissing.NOT_LOADED, "not in the target yet")
    return found


def _waiting(record: TargetRecord, missing: list[tuple[Ref, tuple[ParentMissing, str]]]) -> Outcome:
    order = list(ParentMissing)
    code = min((why for _, (why, _) in missing), key=order.index)
    return Outcome(
        record.source_key,
        Action.FAILED,
        record.dead_letter_payload(),
        error_class=ErrorClass.DEPENDENCY,
        error_code=code,
        error_message="waiting for " + ", ".join(f"{obj} {key} ({text})" for (obj, key), (_, text) in missing),
        truncated=record.truncated,
        notes=record.notes,
    )


def _may_be_in_flight(letter: DeadLetter | None, now: datetime) -> bool:
    """An in-doubt write the target may still be processing: sending the record now could apply it twice."""
    return (
        letter is not None
        and letter.error_class == ErrorClass.IN_DOUBT
        and letter.resolve_after is not None
        and letter.resolve_after > now
    )


def _record(
    ledger: Ledger,
    summary: LoadSummary,
    pair: str,
    target_object: str,
    outcomes: list[Outcome],
    run_id: str | None,
    partition: str | None,
) -> None:
    if not outcomes:
        return
    ledger.record(pair=pair, target_object=target_object, outcomes=outcomes, run_id=run_id, partition=partition)
    for outcome in outcomes:
        summary.add(outcome)


def _available_refs(ledger: Ledger, pair: str, records: Iterable[TargetRecord]) -> set[Ref]:
    """The referenced records already in the target, by the ledger, one query per referenced object."""
    wanted: dict[str, set[str]] = {}
    for record in records:
        for obj, key in record.refs:
            wanted.setdefault(obj, set()).add(key)
    return {(obj, key) for obj, keys in wanted.items() for key in ledger.synced_keys(pair, obj, keys)}


def _levels(records: dict[str, TargetRecord], target_object: str) -> list[list[TargetRecord]]:
    """Parents before children when both are in this load (account hierarchies): level = depth within the load."""
    depth: dict[str, int] = {}

    def level_of(key: str, seen: frozenset[str]) -> int:
        if key in depth:
            return depth[key]
        parents = [
            ref_key
            for obj, ref_key in records[key].refs
            if obj == target_object and ref_key in records and ref_key not in seen
        ]
        depth[key] = 0 if not parents else 1 + max(level_of(parent, seen | {key}) for parent in parents)
        return depth[key]

    levels: dict[int, list[TargetRecord]] = {}
    for key in records:
        levels.setdefault(level_of(key, frozenset({key})), []).append(records[key])
    return [levels[n] for n in sorted(levels)]
