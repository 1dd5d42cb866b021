"""What every load asset and its checks report, the same way for every pair: counts, API calls, and the two
agreement checks (every source record accounted for; no two source records on one external id), with the drift the
first one finds (records the ledger holds as written that the target lacks) and how much of it a run heals."""

import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import TypeVar

import dagster as dg
import pandas as pd
from pydantic import BaseModel

from ml_connector_dagster.key_conflicts import KeyConflict, key_conflicts
from ml_connector_dagster.ledger import DeadLetter, ErrorClass, Ledger
from ml_connector_dagster.loading import LoadSummary, ParentMissing
from ml_connector_dagster.mapping.common import MappingResult
from ml_connector_dagster.redaction import redact

Model = TypeVar("Model", bound=BaseModel)


def load_metadata(summary: LoadSummary, *, api_calls: int, write_calls: int, check_calls: int = 0) -> dict:
    """`api_calls` is every call the load made to its target; of them, `write_calls` wrote and `check_calls` read it
    back for the agreement check; the rest read for the writes (a lookup before a create, a capability probe)."""
    return {
        **summary.as_metadata(),
        "api_calls": api_calls,
        "write_calls": write_calls,
        "check_calls": check_calls,
        **{f"failed_{name}": count for name, count in sorted(summary.failures_by_class.items())},
    }


def source_keys(result: MappingResult) -> list[str]:
    return (
        [r.source_key for r in result.records]
        + [r.source_key for r in result.rejected]
        + [e.source_key for e in result.excluded]
    )


def duplicate_keys_check(check_name: str, result: MappingResult) -> dg.AssetCheckResult:
    """Fails while source records share an external id; the load made each such id a conflict dead letter and wrote
    none of its records (key_conflicts.py), and the examples name the source records behind it."""
    return duplicate_keys_result(check_name, key_conflicts(result), len(set(source_keys(result))))


def duplicate_keys_result(check_name: str, conflicts: Sequence[KeyConflict], records: int) -> dg.AssetCheckResult:
    """`duplicate_keys_check` of the conflicts found among `records` distinct source keys."""
    conflicts = sorted(conflicts, key=lambda conflict: conflict.source_key)
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=not conflicts,
        metadata={
            "records": records,
            "duplicate_external_ids": len(conflicts),
            "conflict_dead_letters": len(conflicts),
            "examples": "; ".join(f"{c.source_key} ({', '.join(c.origins)})" for c in conflicts[:10]) or "none",
        },
    )


@dataclass(frozen=True)
class Accounting:
    """Where each source record of a partition is: in the target, an open dead letter (`dead`, by key), excluded by
    the mapping, or missing. `drifted` are the missing ones the ledger holds as written: deleted in the target by
    someone else, or the whole target refreshed; `written` is how many the ledger holds as written. What `present`
    rests on: `vouched` records a write of this run answered for, `read` records asked of the target and found or
    not, the rest (`unread`) the ledger's word, which a later run's sample reads (ReadBack)."""

    expected: list[str]
    written: int
    present: set[str]
    dead: dict[str, DeadLetter]
    excluded: set[str]
    missing: list[str]
    drifted: list[str]
    vouched: int = 0
    read: int = 0
    unread: int = 0


@dataclass
class Tally:
    """A partition's Accountings as counts, added up group by group as the load syncs them (paged_sync.py): what the
    checks report, without holding the partition's keys (a few examples only)."""

    expected: int = 0
    written: int = 0
    present: int = 0
    excluded: int = 0
    missing: int = 0
    drifted: int = 0
    vouched: int = 0
    read: int = 0
    unread: int = 0
    dead_classes: Counter = field(default_factory=Counter)
    waiting: Counter = field(default_factory=Counter)  # dependency dead letters by why the parent is missing
    missing_examples: list[str] = field(default_factory=list)
    waiting_examples: list[str] = field(default_factory=list)

    def add(self, accounting: Accounting) -> None:
        for name in ("expected", "present", "excluded", "missing", "drifted"):
            setattr(self, name, getattr(self, name) + len(getattr(accounting, name)))
        for name in ("written", "vouched", "read", "unread"):
            setattr(self, name, getattr(self, name) + getattr(accounting, name))
        self.dead_classes.update(letter.error_class for letter in accounting.dead.values())
        waiting = {
            key: letter for key, letter in accounting.dead.items() if letter.error_class == ErrorClass.DEPENDENCY
        }
        self.waiting.update(letter.error_code or ParentMissing.NOT_LOADED for letter in waiting.values())
        self.missing_examples.extend(accounting.missing[: 10 - len(self.missing_examples)])
        self.waiting_examples.extend(
            f"{key}: {letter.error_message}" for key, letter in list(waiting.items())[: 5 - len(self.waiting_examples)]
        )

    @property
    def dead(self) -> int:
        return sum(self.dead_classes.values())

    def dead_letter_counts(self) -> dict[str, int]:
        """The partition's dead letters as an operator acts on them: waiting for a parent (dependency), refused
        (validation, conflict, auth: someone must act), or coming back by themselves (transient, quota, in doubt)."""
        waiting = self.dead_classes[ErrorClass.DEPENDENCY]
        refused = sum(self.dead_classes[c] for c in (ErrorClass.VALIDATION, ErrorClass.CONFLICT, ErrorClass.AUTH))
        return {"waiting_for_parent": waiting, "refused": refused, "retrying": self.dead - waiting - refused}


@dataclass(frozen=True)
class DriftLimit:
    """How much drift a run heals by itself. A target that lacks more than `share` of the records the ledger holds
    as written, and at least `minimum` of them, is not missing a few records a user deleted but no longer knows the
    ledger (a refreshed sandbox, a restore, another environment behind the URL): re-creating all of it is for a
    person to decide (`ml-connector heal`)."""

    share: float = 0.5
    minimum: int = 20

    def heals(self, missing: int, written: int) -> bool:
        return missing < self.minimum or missing <= self.share * written


def drift_evidence(
    accounting: Accounting,
    limit: DriftLimit,
    *,
    ledger: Ledger,
    pair: str,
    target_object: str,
    in_target: Callable[[dict[str, str | None]], set[str]],
) -> tuple[int, int]:
    """(missing, written) to judge the partition's drift by. A partition with fewer written records than the limit's
    minimum cannot tell on its own (two of two missing is a user's deletion as much as an emptied target), so as many
    more written records of the object are asked of the target too."""
    missing, written = len(accounting.drifted), accounting.written
    if not missing or written >= limit.minimum:
        return missing, written
    partition = set(accounting.expected)
    written_ids = ledger.target_ids(pair, target_object)
    elsewhere = ((key, target_id) for key, target_id in written_ids.items() if key not in partition)
    others = dict(islice(elsewhere, limit.minimum))
    present = in_target(others) if others else set()
    return missing + len(others) - len(present), written + len(others)


@dataclass(frozen=True)
class ReadBack:
    """Which written records of a partition the agreement check reads back from the target: the answer a write of
    this run gave is evidence enough, so what is read is the rest where reading adds evidence. Each record the ledger
    holds as written by an earlier run falls in one of `runs` shares (by a hash of its key) and the run of `turn` reads
    one share, so every record is read at least once in any `runs` successive runs of its partition; `runs=1` reads
    all of them every run. Written records with an open dead letter (the last write in doubt, unanswered or refused)
    are read every run: no answer of this run says what the target holds of them. A share that finds drift has the
    whole partition read (of a partition synced in groups of pages, the whole group: paged_sync.py), so the drift is
    judged (DriftLimit) and healed whole."""

    runs: int = 10
    turn: int = 0

    def samples(self, source_key: str) -> bool:
        return self.runs <= 1 or zlib.crc32(source_key.encode()) % self.runs == self.turn % self.runs


def account_for(
    result: MappingResult,
    *,
    ledger: Ledger,
    pair: str,
    target_object: str,
    in_target: Callable[[dict[str, str | None]], set[str]],
    run_id: str | None,
    read_back: ReadBack,
) -> Accounting:
    """`in_target` is given each record to read back with the target id the ledger holds for it. A record that may
    only update (inactive at the source) and was never written is left out as an excluded one is. A record the ledger
    holds as written by `run_id` got an answer from the target saying so (loading.WriteResult.ok), so it is not read.
    """
    keys = list(dict.fromkeys(source_keys(result)))
    written = ledger.written_by(pair, target_object, keys)
    excluded = {e.source_key for e in result.excluded} | {
        r.source_key for r in result.records if r.update_only and r.source_key not in written
    }
    expected = [key for key in keys if key not in excluded]
    dead = {letter.source_key: letter for letter in ledger.open_dead_letters(pair, target_object, source_keys=expected)}
    vouched = {key for key, (_, by) in written.items() if run_id is not None and by == run_id}
    earlier = {key: target_id for key, (target_id, _) in sorted(written.items()) if key not in vouched}
    sample = {key: target_id for key, target_id in earlier.items() if key in dead or read_back.samples(key)}
    found = in_target(sample) if sample else set()
    if any(key not in found and key not in dead for key in sample):
        rest = {key: target_id for key, target_id in earlier.items() if key not in sample}
        found |= in_target(rest) if rest else set()
        sample.update(rest)
    unread = set(earlier) - set(sample)
    present = vouched | found | unread
    missing = [key for key in expected if key not in dead and key not in present]
    return Accounting(
        expected,
        len(written),
        present,
        dead,
        excluded,
        missing,
        [key for key in missing if key in written],
        vouched=len(vouched),
        read=len(sample),
        unread=len(unread),
    )


def accounted_for_check(check_name: str, tally: Tally, *, heal_command: str | None = None) -> dg.AssetCheckResult:
    """Every record of this partition is in the target, a dead letter, or excluded. `heal_command` says how to heal
    drift the run did not heal by itself."""
    description = None
    if tally.drifted and heal_command:
        description = (
            f"The target lacks {tally.drifted} of the {tally.written} records the ledger holds as written for this "
            "partition: it no longer knows the ledger's records (a refreshed sandbox, a restored or a different "
            f"environment?). Nothing was re-sent. If the target is the right one, run `{heal_command}`: it forgets "
            "what the target lacks and reruns the partitions, which re-create it."
        )
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=not tally.missing,
        description=description,
        metadata={
            "expected": tally.expected,
            "in_target": tally.present,
            "vouched_by_writes": tally.vouched,
            "read_back": tally.read,
            "by_ledger": tally.unread,
            "dead_letters": tally.dead,
            **tally.dead_letter_counts(),
            "excluded": tally.excluded,
            "missing": tally.missing,
            "drifted": tally.drifted,
            "examples": ", ".join(tally.missing_examples) or "none",
        },
    )


def waiting_for_parents_check(check_name: str, tally: Tally) -> dg.AssetCheckResult:
    """Warns while records of this partition wait for a parent (dependency dead letters). They are accounted for, so
    the agreement check passes, but they are not in the target, and some never will be unless someone acts: the
    metadata says how many wait for a parent the source lacks, the target or the mapping refused, or the mapping
    leaves out, and the examples name each record's parent and why."""
    waiting = sum(tally.waiting.values())
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=not waiting,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "waiting_for_parent": waiting,
            **{reason.value: tally.waiting[reason] for reason in ParentMissing},
            "examples": " | ".join(tally.waiting_examples) or "none",
        },
    )


def frame_models(frame: pd.DataFrame, model: type[Model]) -> list[Model]:
    """DataFrame rows as pydantic models; pandas' NaN for a missing value becomes None."""
    if frame.empty:
        return []
    cleaned = frame.astype(object).where(frame.notna(), None)
    return [model.model_validate(row) for row in cleaned.to_dict("records")]


SAMPLE_SIZE = 20  # dead letters a load's metadata and its dead-letter check name, of however many there are
_REASON_LENGTH = 200


def dead_letter_table(letters: Sequence[DeadLetter], total: int) -> dg.MetadataValue:
    """Dead letters as a table the UI renders (`total`: how many there are, of which these are the first): source
    key, error class and code, and the reason, redacted (a vendor may quote what it was sent), on one line and cut
    short; `ml-connector dead-letters` has the whole of it."""
    if not letters:
        return dg.MetadataValue.md("none")
    rows = [
        *([f"The first {len(letters)} of {total}.", ""] if total > len(letters) else []),
        "| source key | error class | code | reason |",
        "|---|---|---|---|",
        *(
            f"| {_cell(letter.source_key)} | {letter.error_class} | {_cell(letter.error_code or '')} | "
            f"{_cell(one_line(redact(letter.error_message)))} |"
            for letter in letters
        ),
    ]
    return dg.MetadataValue.md("\n".join(rows))


def one_line(text: str) -> str:
    """A vendor's message on one line, cut short for a table cell."""
    text = " ".join(text.split())
    return text if len(text) <= _REASON_LENGTH else text[: _REASON_LENGTH - 1] + "…"


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def dead_letters_command(pair: str, target_object: str) -> str:
    return f"ml-connector dead-letters --pair {pair} --object {target_object}"


def failed_records_metadata(ledger: Ledger, pair: str, target_object: str, *, run_id: str) -> dict:
    """What a load says about its failures besides the count: the records this run left in dead letters (up to
    SAMPLE_SIZE, with why), and how many records of the object are in dead letters now, whatever run put them there."""
    failed = ledger.open_dead_letters(pair, target_object, run_id=run_id, limit=SAMPLE_SIZE)
    in_run = sum(ledger.dead_letter_counts(pair, target_object, run_id=run_id).values())
    return {
        "failed_records": dead_letter_table(failed, in_run),
        "open_dead_letters": sum(ledger.dead_letter_counts(pair, target_object).values()),
    }


def dead_letters_check(check_name: str, ledger: Ledger, pair: str, target_object: str) -> dg.AssetCheckResult:
    """Warns while any record of the load's target object is in dead letters, from any run or partition: the run was
    green, but these records are not in the target as the source has them until someone acts (or, for the classes
    that come back by themselves, a later run sends them)."""
    counts = ledger.dead_letter_counts(pair, target_object)
    total = sum(counts.values())
    command = dead_letters_command(pair, target_object)
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=not total,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{total} records of {target_object} are in dead letters: `{command}` lists them; what to do per error "
            "class: docs/operators/dead_letters.md"
            if total
            else None
        ),
        metadata={
            "open_dead_letters": total,
            **{f"open_{name}": counts.get(name, 0) for name in ErrorClass},
            "sample": dead_letter_table(ledger.open_dead_letters(pair, target_object, limit=SAMPLE_SIZE), total),
            "list_them": dg.MetadataValue.text(command),
        },
    )
