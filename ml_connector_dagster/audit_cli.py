"""`ml-connector audit`: the ledger's audit trail for an operator. Without a record, the audit rows that match the
filters (or, with --counts, every run's counts); with one, given by its source key or the id its target gave it, that
record's history across runs, dead letters included; `audit prune --before DATE` is the only way rows leave it
(docs/operators/audit.md). cli.py wires it."""

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING

import httpx

from ml_connector_dagster.http import ApiError
from ml_connector_dagster.ledger import Action, AuditedRecord, Ledger, audited_fields

if TYPE_CHECKING:  # target_ids brings the pairs (and Dagster) in, which only a lookup by a target's id needs
    from ml_connector_dagster.target_ids import FoundInTarget

PRUNE = "prune"
SHOWN = 120  # characters of a value shown on a line; --json has them whole
# (id, pair, object) → the records the targets give that id, for an id the ledger does not hold (target_ids.py)
InTargets = Callable[[str, str | None, str | None], list["FoundInTarget"]]


def add_parser(
    command: Callable[..., argparse.ArgumentParser],
    pairs: list[str],
    ledger: Callable[[], Ledger],
    in_targets: InTargets,
):
    """The `audit` command, made by cli.py's `command` factory, run against the ledger `ledger()` opens; a record's
    id the ledger does not hold is asked of the targets, `in_targets(id, pair, object)` (target_ids.py)."""
    audit = command(
        "audit",
        "A record's history across runs, or what happened to records run by run; `audit prune` removes old rows",
        "Given a record (its source key, e.g. sap_ecc.vendor.100001, or the id its target gave it: a Dynamics 365 "
        "Sales GUID the ledger does not hold is asked of Dataverse), its history oldest "
        "first: each run and partition, the action, the fields before -> after, its dead letters opened, edited, "
        "replayed and resolved. Without one, the audit log's rows that match the filters, newest last; every skipped "
        "row says why. A record read unchanged has a row only when it says something new (found in the target, a "
        "conflict, a cut value, a dead letter resolved, a new partition); --counts shows every run's counts, "
        "unchanged records included. Rows stay until `ml-connector audit prune --before DATE` removes them.",
    )
    audit.add_argument(
        "record",
        nargs="?",
        metavar="KEY_OR_ID",
        help="a record's source key or its target id (a Salesforce or Zoho id, an F&O key, a Procore id, a Dynamics "
        f"365 Sales GUID, ...): its history; or `{PRUNE}` with --before",
    )
    audit.add_argument("--pair", choices=pairs, help="only this pair")
    audit.add_argument("--object", help="only this target object, e.g. account")
    audit.add_argument("--key", help="only this source key (external id), e.g. sap_ecc.vendor.100001")
    audit.add_argument("--run", dest="run_id", help="only this Dagster run id")
    audit.add_argument("--action", type=Action, choices=list(Action), help="only rows with this action")
    audit.add_argument("--latest", type=int, default=100, help="the last N rows that match (default 100; 0: all)")
    audit.add_argument("--json", action="store_true", help="whole rows, with every changed field, as JSON")
    audit.add_argument(
        "--counts",
        action="store_true",
        help="how many records each run handled per object and action instead (unchanged ones included: the log has a "
        "row for one only when it says something new)",
    )
    prune = audit.add_argument_group(f"ml-connector audit {PRUNE} --before DATE [--pair P] [--dry-run]")
    prune.add_argument(
        "--before",
        type=moment,
        metavar="DATE",
        help="remove the rows and counts older than this (YYYY-MM-DD, midnight UTC, or an ISO date-time); each "
        "record's last rows are kept, as the connector reads them",
    )
    prune.add_argument("--dry-run", action="store_true", help="only count what would be removed")
    prune.add_argument("--by", help="who prunes, for the record of the prune (default: the OS user)")
    audit.set_defaults(run=lambda args: run(args, ledger, in_targets))


def moment(text: str) -> datetime:
    """A date (its midnight, UTC) or an ISO date-time (UTC unless it says otherwise)."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), UTC)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither a date (YYYY-MM-DD) nor an ISO date-time") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def run(args: argparse.Namespace, ledger: Callable[[], Ledger], in_targets: InTargets) -> int:
    pruning = args.record == PRUNE
    if pruning != (args.before is not None) or (args.dry_run and not pruning):
        return _refuse(f"--before DATE goes with `audit {PRUNE}` (and `audit {PRUNE}` needs it); --dry-run too")
    if pruning:
        if args.object or args.key or args.run_id or args.action or args.counts or args.json:
            return _refuse(f"`audit {PRUNE}` takes only --before, --pair, --dry-run and --by")
        return _prune(args, ledger())
    if args.record:
        if args.key or args.run_id or args.action or args.counts:
            return _refuse("a record's history takes only --pair, --object and --json")
        return _history(args, ledger(), in_targets)
    if args.counts:
        return _counts(args, ledger())
    return _rows(args, ledger())


def _refuse(message: str) -> int:
    print(f"ml-connector: {message}", file=sys.stderr)
    return 2


def _rows(args: argparse.Namespace, ledger: Ledger) -> int:
    rows = ledger.audit(
        run_id=args.run_id,
        source_key=args.key,
        pair=args.pair,
        target_object=args.object,
        action=args.action,
        latest=args.latest,
    )
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return 0
    for row in rows:
        print(
            f"{row['at']:%Y-%m-%d %H:%M:%S} {row['pair']} {row['target_object']} {row['source_key']} "
            f"{row['action']}{_why(row['changes'] or {})}"
        )
    print(f"{len(rows)} audit rows")
    return 0


def _counts(args: argparse.Namespace, ledger: Ledger) -> int:
    """A line per run, partition, pair and object: how many records of each action, unchanged ones included."""
    counted = ledger.audit_counts(run_id=args.run_id, pair=args.pair, target_object=args.object)
    if args.json:
        print(json.dumps(counted, indent=2, default=str))
        return 0
    lines: dict[tuple, list[str]] = {}
    for row in counted:
        where = (row["run_id"] or "(no run)", row["partition"] or "(no partition)", row["pair"], row["target_object"])
        lines.setdefault(where, []).append(f"{row['action']} {row['records']}")
    for where, actions in lines.items():
        print(f"{' '.join(where)}: {', '.join(actions)}")
    print(f"{len(lines)} runs and objects")
    return 0


def _why(changes: dict) -> str:
    """What an audit row says beyond its action: why it was skipped or failed, else the fields it changed."""
    reason = changes.get("reason") or changes.get("error")
    if reason:
        return f": {reason}"
    fields = [name for name in changes if name not in ("truncated", "conflict")]
    return f" ({', '.join(fields)})" if fields else ""


# a record's history ------------------------------------------------------------------------------------------------
def _history(args: argparse.Namespace, ledger: Ledger, in_targets: InTargets) -> int:
    records = ledger.find_records(args.record, pair=args.pair, target_object=args.object)
    found: list[FoundInTarget] = []
    if not records:
        try:
            found = in_targets(args.record, args.pair, args.object)
        except (ApiError, httpx.TransportError) as failed:
            print(
                f"ml-connector: no record has {args.record!r} as its source key or its target id in the ledger, and "
                f"the target that gives such ids could not be asked: {failed}",
                file=sys.stderr,
            )
            return 1
        records = _records_found_in_targets(found, args.pair, ledger)
    if found and not records:
        for where in found:
            print(
                f"ml-connector: {args.record} is the {where.id_name} of {where.system} {where.target_object} "
                f"{where.source_key}, which no record of the ledger has as its source key (another environment's "
                "row, or its rows were pruned)",
                file=sys.stderr,
            )
        return 1
    if not records:
        narrowed = " of " + " ".join(filter(None, (args.pair, args.object))) if args.pair or args.object else ""
        print(
            f"ml-connector: no record{narrowed} has {args.record!r} as its source key or its target id in the ledger, "
            "nor as the id a target shows (a GUID is asked of Dynamics 365 Sales). A source key looks like "
            "sap_ecc.vendor.100001 (`ml-connector audit --pair P` lists some)",
            file=sys.stderr,
        )
        return 1
    rows = ledger.history(records)
    prunes = ledger.prunes({record.pair for record in records})
    if args.json:
        answer = {"record": args.record, "records": [asdict(r) for r in records], "history": rows, "pruned": prunes}
        print(json.dumps(answer, indent=2, default=str, ensure_ascii=False))
        return 0
    print(f"{args.record}: {len(records)} record{'s' if len(records) > 1 else ''}")
    for record in records:
        print(
            f"  {record.pair} {record.target_object} {record.source_key} (by its {record.matched_by}): {_now(record)}"
        )
    for prune in prunes:
        print(
            f"  rows before {prune['pruned_before']:%Y-%m-%d %H:%M} UTC of {prune['pair'] or 'every pair'} were pruned "
            f"on {prune['at']:%Y-%m-%d} by {prune['actor']} (each record's last rows kept)"
        )
    several = len(records) > 1
    for row in rows:
        print(_event(row, several))
        for line in _details(row):
            print(f"    {line}")
    print(f"{len(rows)} events")
    return 0


def _records_found_in_targets(found: list["FoundInTarget"], pair: str | None, ledger: Ledger) -> list[AuditedRecord]:
    """The ledger's records of the source keys the targets gave for an id (Dataverse holds its rows' GUIDs, the
    ledger their alternate keys), each said to be found by that id."""
    return [
        replace(record, matched_by=f"{where.id_name} in {where.system}")
        for where in found
        for record in ledger.find_records(where.source_key, pair=pair, target_object=where.target_object)
        if record.pair in where.pairs
    ]


def _now(record: AuditedRecord) -> str:
    where = (
        f"in the target as {record.target_id}, last written or found by run {record.synced_by_run or '(none)'} on "
        f"{record.synced_at:%Y-%m-%d %H:%M:%S} UTC"
        if record.synced_at
        else "not in the target by the ledger"
    )
    letter = record.open_dead_letter
    if letter is None:
        return where
    code = f" {letter.error_code}" if letter.error_code else ""
    return (
        f"{where}; open dead letter #{letter.id} [{letter.error_class}{code}] x{letter.attempts}: "
        f"{letter.error_message}"
    )


def _event(row: dict, several: bool) -> str:
    who = f"run {row['run_id']}" if row["run_id"] else f"by {row['actor']}" if row["actor"] else "(no run)"
    where = f" partition {row['partition']}" if row["partition"] else ""
    record = f"  {row['pair']} {row['target_object']} {row['source_key']}" if several else ""
    return f"{row['at']:%Y-%m-%d %H:%M:%S}  {who}{where}  {row['action']}{record}"


def _details(row: dict) -> list[str]:
    """A row's lines below its heading: the dead letter it sent again, each changed field before -> after, what was
    cut to fit and a two-way conflict, why it failed or was left out, and what it did to the record's dead letter."""
    changes = row["changes"] or {}
    lines = [f"replay of dead letter #{row['replay_of']}"] if row["replay_of"] else []
    lines += [f"{name}: {_change(value)}" for name, value in audited_fields(changes).items()]
    lines += [f"{note}: {_shown(changes[note])}" for note in ("truncated", "conflicts") if note in changes]
    if row["reason"]:
        code = " ".join(filter(None, (row["error_class"], row["error_code"])))
        label = "error" if row["action"] == Action.FAILED else "why"
        lines.append(f"{label}: {row['reason']}" + (f" [{code}]" if code else ""))
    if row["dead_letter_event"]:
        lines.append(f"dead letter #{row['dead_letter_id']} {row['dead_letter_event'].replace('_', ' ')}")
    return lines


def _change(value) -> str:
    """[before, after] as `before -> after`; anything else (a note a later version adds) as it is."""
    if isinstance(value, list) and len(value) == 2:
        return f"{_shown(value[0])} -> {_shown(value[1])}"
    return _shown(value)


def _shown(value) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


# retention -------------------------------------------------------------------------------------------------------
def _prune(args: argparse.Namespace, ledger: Ledger) -> int:
    by = args.by or getpass.getuser()
    pruned = ledger.prune_audit(args.before, by=by, pair=args.pair, dry_run=args.dry_run)
    scope = f"of {args.pair}" if args.pair else "of every pair"
    what = (
        f"{pruned.audit_rows} audit rows and {pruned.count_rows} count rows {scope} older than "
        f"{args.before:%Y-%m-%d %H:%M:%S %Z}"
    )
    if args.dry_run:
        print(f"dry run: would remove {what}; nothing removed")
    else:
        print(f"removed {what}; recorded in audit_prunes (by {by})")
    return 0
