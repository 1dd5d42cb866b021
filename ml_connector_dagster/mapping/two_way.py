"""Two-way pairs, where people edit the same records on both sides (JD Edwards ↔ Zoho CRM): which side's value of a
shared field stands, decided field by field against what both sides last agreed on.

Each shared field has an owner: one of the two systems, whose value always stands (an edit on the other side is
put back), or `last_writer`, where an edit on either side stands and, when both sides edited it since they last
agreed, the side whose record changed later wins. Against the agreed value (the ledger's `agreed_values`), a value
that differs on one side is that side's edit; a value that equals it is unchanged, which is also what a value the
connector wrote looks like when it comes back: so echoes never count as changes, and the two directions never
chase each other. Records that have never agreed (first linked by a duplicate match) fill each other's blanks and
count every other differing field as edited on both sides, for the owner rule to decide.

Pure functions; the ledger and both systems are read by the assets that call them.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ml_connector_dagster.loading import TargetRecord

LAST_WRITER = "last_writer"


def check_ownership(
    owners: Mapping[str, Mapping[str, str]], systems: tuple[str, str], fields: Mapping[str, tuple[str, ...]]
) -> None:
    """A pair's ownership rules (object → shared field → `<erp system>`, `<crm system>` or `last_writer`) name every
    shared field of every shared object and nothing else; raises ValueError naming each field that does not."""
    allowed = {*systems, LAST_WRITER}
    problems = []
    for object, names in fields.items():
        given = owners.get(object, {})
        problems += [f"{object}.{name}: no owner (one of {sorted(allowed)})" for name in names if name not in given]
        problems += [f"{object}.{name}: not a shared field of {object}" for name in given if name not in names]
        problems += [
            f"{object}.{name}: owner {owner!r} is not one of {sorted(allowed)}"
            for name, owner in given.items()
            if owner not in allowed
        ]
    problems += [f"{object}: not a shared object" for object in owners if object not in fields]
    if problems:
        raise ValueError("; ".join(problems))


@dataclass(frozen=True)
class Side:
    """One system's view of a record: its name, the shared fields' values and when the record last changed there."""

    system: str
    values: Mapping[str, Any]
    changed_at: datetime | None


@dataclass(frozen=True)
class Conflict:
    """A field both sides edited since they last agreed (or never agreed), with both values and who won."""

    field: str
    values: dict[str, Any]  # system → its value
    agreed: Any
    winner: str
    rule: str

    def audited(self) -> dict:
        return {
            "field": self.field,
            **self.values,
            "agreed": self.agreed,
            "winner": self.winner,
            "rule": self.rule,
        }


@dataclass(frozen=True)
class Merged:
    """What both sides should hold (`values`), what each must be sent (`to`: system → fields), the conflicts
    settled, and the agreement each side's write leaves (`agreed_after`)."""

    values: dict[str, Any]
    to: dict[str, dict[str, Any]]
    conflicts: tuple[Conflict, ...] = ()
    agreed: Mapping[str, Any] | None = field(default=None, repr=False)

    def agreed_after(self, source: Side) -> dict[str, Any]:
        """Once the other side holds `values`, both hold what `source` already holds of them; a field `source` still
        has to be sent keeps its earlier agreement (or none)."""
        earlier = self.agreed or {}
        kept = {name: earlier[name] for name in self.values if name in earlier}
        kept.update({name: value for name, value in self.values.items() if source.values.get(name) == value})
        return kept

    def notes(self) -> dict | None:
        return {"conflicts": [conflict.audited() for conflict in self.conflicts]} if self.conflicts else None


def merge(a: Side, b: Side, *, agreed: Mapping[str, Any] | None, owners: Mapping[str, str], tie: str) -> Merged:
    """Field by field, the value that stands (see the module's docstring). A tie in time under `last_writer` goes
    to the system named `tie` (the ERP, the system of record, when nothing else decides)."""
    values: dict[str, Any] = {}
    conflicts: list[Conflict] = []
    for name, owner in owners.items():
        va, vb = a.values.get(name), b.values.get(name)
        if va == vb:
            values[name] = va
            continue
        known = agreed is not None and name in agreed
        if not known and (va is None or vb is None):
            # Never agreed on (the first link of records both sides had): a blank fills in, it does not clear.
            values[name] = vb if va is None else va
            continue
        a_edited = not known or va != agreed[name]
        b_edited = not known or vb != agreed[name]
        if owner == a.system or owner == b.system:
            winner = a if owner == a.system else b
        elif a_edited and b_edited:
            winner = _later(a, b, tie)
        else:
            winner = a if a_edited else b
        values[name] = winner.values.get(name)
        if a_edited and b_edited:
            conflicts.append(
                Conflict(
                    name,
                    {a.system: va, b.system: vb},
                    agreed[name] if known else None,
                    winner.system,
                    f"owned by {owner}" if owner != LAST_WRITER else f"{LAST_WRITER}: {winner.system} changed later",
                )
            )
    to = {
        side.system: {name: value for name, value in values.items() if side.values.get(name) != value}
        for side in (a, b)
    }
    return Merged(values, to, tuple(conflicts), agreed)


def _later(a: Side, b: Side, tie: str) -> Side:
    if a.changed_at is not None and b.changed_at is not None and a.changed_at != b.changed_at:
        return a if a.changed_at > b.changed_at else b
    return a if a.system == tie else b


@dataclass(frozen=True)
class Counterpart:
    """The other side's copy of a record: its key there, its shared values, what its identifying fields hold now
    (`ident`, in the target's payload form) and what both sides last agreed on (None: never)."""

    key: str
    side: Side
    ident: Mapping[str, Any]
    agreed: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Counterparts:
    """For the records being mapped, by source key: the other side's linked or uniquely matched copy, or why the
    match is ambiguous (a dead letter, never a guess).

    What the partition's other pages may still change (a partition is matched a page at a time, `settled`): the
    source records looked for by their duplicate keys (`unlinked`), the one record of the other side each of them
    alone matches (`alone`: record id, ambiguous once another source record matches it too) and the other side's
    records found by duplicate keys that cannot be read (`unreadable`: key → why; any of them makes every such match
    a guess)."""

    found: Mapping[str, Counterpart] = field(default_factory=dict)
    ambiguous: Mapping[str, str] = field(default_factory=dict)
    alone: Mapping[str, str] = field(default_factory=dict)
    unlinked: tuple[str, ...] = ()
    unreadable: Mapping[str, str] = field(default_factory=dict)


def settled(
    counterparts: Counterparts,
    claimants: Callable[[set[str]], Mapping[str, list[str]]] | None = None,
    unreadable: list[str] | None = None,
    *,
    other: str = "record",
) -> Counterparts:
    """`counterparts` once every page of the partition was matched: `claimants` (record ids → the source keys of the
    partition that alone match each, in order) and `unreadable` (why each unreadable record of the other side found
    in the partition is so) are the partition's; by default `counterparts`' own (a page matched on its own). A record
    two source records alone match is ambiguous for both; while an unreadable `other` stands, every source record
    looked for by its duplicate keys is refused."""
    claims = claimants(set(counterparts.alone.values())) if claimants else _claims(counterparts.alone)
    found, ambiguous = dict(counterparts.found), dict(counterparts.ambiguous)
    for key, record_id in counterparts.alone.items():
        keys = claims.get(record_id, [key])
        if len(keys) > 1:
            found.pop(key, None)
            ambiguous[key] = _claimed(record_id, key, keys)
    why = list(counterparts.unreadable.values()) if unreadable is None else unreadable
    if why:
        # an unreadable record that may be one of these: matching without it could make it twice
        reason = f"a {other} it may match holds a value that cannot be read ({'; '.join(why)})"
        for key in counterparts.unlinked:
            found.pop(key, None)
            ambiguous[key] = reason
    return replace(counterparts, found=found, ambiguous=ambiguous)


def _claims(alone: Mapping[str, str]) -> dict[str, list[str]]:
    claims: dict[str, list[str]] = {}
    for key, record_id in alone.items():
        claims.setdefault(record_id, []).append(key)
    return claims


def _claimed(record_id: str, key: str, keys: list[str]) -> str:
    others = ", ".join(k for k in keys if k != key)
    return f"ambiguous duplicate match: {record_id} matches this record and {others} too"


@dataclass(frozen=True)
class Reconciled:
    """What one direction's run does with one record: `record` for the target, what both sides hold once it is
    written (`agreed`), and `back`: the source's own record, when the rules say it must take the other side's value
    of a field (a field the target owns edited on the source side, or a later edit on the target side), so an owner's
    value stands without waiting for the other direction to read the record again."""

    record: TargetRecord
    agreed: dict[str, Any]
    back: TargetRecord | None = None


def reconcile(
    key: str,
    source: Side,
    counterpart: Counterpart | None,
    *,
    ident: Mapping[str, Any],
    payload_of: Callable[[Mapping[str, Any]], dict],
    owners: Mapping[str, str],
    tie: str,
    back_ident: Mapping[str, Any],
    back_of: Callable[[Mapping[str, Any]], dict],
    refs: tuple = (),
) -> Reconciled:
    """The record one direction writes for `source` (identified in the target by `ident`; in the source, for `back`,
    by `back_ident`). Without a counterpart every shared value goes (a create); with one, the merged values, each with
    `current` (the side's values in payload form) so the load writes only where a side holds something else."""
    if counterpart is None:
        return Reconciled(TargetRecord(key, {**ident, **payload_of(source.values)}, refs=refs), dict(source.values))
    merged = merge(source, counterpart.side, agreed=counterpart.agreed, owners=owners, tie=tie)
    record = TargetRecord(
        key,
        {**ident, **payload_of(merged.values)},
        refs=refs,
        current={**counterpart.ident, **payload_of(counterpart.side.values)},
        notes=merged.notes(),
    )
    back = None
    if merged.to[source.system]:
        back = TargetRecord(
            key,
            {**back_ident, **back_of(merged.values)},
            current={**back_ident, **back_of(source.values)},
            notes=merged.notes(),
        )
    return Reconciled(record, merged.agreed_after(source), back)


@dataclass(frozen=True)
class Matches:
    """`unique`: source key → the record it is; `ambiguous`: source key → why not; `alone`: source key → id of the one
    record it matches, before asking whether another source record matches that record too (`settled` asks the
    partition's other pages)."""

    unique: dict[str, Mapping[str, Any]]
    ambiguous: dict[str, str]
    alone: dict[str, str]


def unique_matches(
    wanted: Mapping[str, Mapping[str, Any]], candidates: Iterable[Mapping[str, Any]], *, key_field: str
) -> Matches:
    """Records of the other side that are the same business record as a source record never linked before (both
    systems were in use before the first sync). `wanted`: source key → {field: value} of its duplicate keys (e-mail,
    tax id); `candidates`: the other side's records holding one of those values. A record already carrying a key
    (`key_field`) is that source record's outright, or another's and no candidate. Two different records matching
    one source record, or one record matching two, is ambiguous: never a guess. Values are compared trimmed and
    case-blind."""
    pool = list(candidates)
    matches: dict[str, list[Mapping[str, Any]]] = {}
    for key, keys in wanted.items():
        own = [record for record in pool if record.get(key_field) == key]
        if own:
            matches[key] = own[:1]
            continue
        found: dict[str, Mapping[str, Any]] = {}
        for name, value in keys.items():
            if not comparable(value):
                continue
            for record in pool:
                if not record.get(key_field) and comparable(record.get(name)) == comparable(value):
                    found.setdefault(str(record["id"]), record)
        matches[key] = list(found.values())
    alone = {key: str(records[0]["id"]) for key, records in matches.items() if len(records) == 1}
    claimed = _claims(alone)
    unique: dict[str, Mapping[str, Any]] = {}
    ambiguous: dict[str, str] = {}
    for key, records in matches.items():
        if len(records) > 1:
            ambiguous[key] = "ambiguous duplicate match: " + "; ".join(
                f"{record['id']} matches on "
                + ", ".join(
                    n for n, v in wanted[key].items() if comparable(v) and comparable(record.get(n)) == comparable(v)
                )
                for record in records
            )
        elif records and len(claimed[alone[key]]) > 1:
            ambiguous[key] = _claimed(alone[key], key, claimed[alone[key]])
        elif records:
            unique[key] = records[0]
    return Matches(unique, ambiguous, alone)


def comparable(value: Any) -> str:
    """A duplicate key's value as matches compare it: trimmed and case-blind (empty: no value)."""
    return str(value).strip().casefold() if value not in (None, "") else ""
