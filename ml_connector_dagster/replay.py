"""Replay: open dead letters re-sent from their stored payloads, for any pair, target object and target, without
re-extracting. One implementation behind every target's replay job and `ml-connector replay`.

A letter goes back the way it first went: through the LoadTarget of its (pair, target object), i.e. the same target
writer and the same load loop (`load(..., force=True)`), so it is diffed, batched, recorded and resolved like any
load. Records refused for a sticky reason (validation, conflict) are sent although their payload is unchanged;
letters the mapping rejected have no payload and are only counted (they are fixed at the source and rerun). Objects
go after the objects their letters' refs point to, and letters waiting on a replayed record follow it into the same
replay, so a customer and the order that waited for it land together.

Edits: `edited()` applies an operator's changes (dotted paths) to a stored payload, for `Ledger.edit_dead_letter`.
"""

import copy
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from graphlib import TopologicalSorter
from typing import TYPE_CHECKING, Any

from ml_connector_dagster.lease import Lease
from ml_connector_dagster.ledger import DeadLetter, ErrorClass, Ledger
from ml_connector_dagster.loading import LoadSummary, TargetRecord, TargetWriter, load

if TYPE_CHECKING:
    from ml_connector_dagster.assets.load import LoadTarget

Group = tuple[str, str]  # (pair, target object): one load


@dataclass(frozen=True)
class ReplayFilter:
    """Which open dead letters to replay; each one given narrows the selection."""

    pair: str | None = None
    target_object: str | None = None
    error_class: ErrorClass | None = None
    ids: Collection[int] = ()
    target: str | None = None  # the target system (resource key), e.g. dynamics_fo


@dataclass(frozen=True)
class Plan:
    """The letters a replay will send, by the load they go back through, in the order they go; the target systems
    of every letter selected that a LoadTarget routes (whether or not it has a payload to send)."""

    groups: list[tuple["LoadTarget", list[DeadLetter]]]
    without_payload: list[DeadLetter]
    without_load_target: list[DeadLetter]
    targets: set[str]


@dataclass
class ReplayTotals:
    loaded: LoadSummary = field(default_factory=LoadSummary)
    api_calls: dict[str, int] = field(default_factory=dict)  # per target system
    write_calls: dict[str, int] = field(default_factory=dict)  # per target system
    without_payload: int = 0
    without_load_target: list[int] = field(default_factory=list)  # ids of letters no LoadTarget routes


def plan(ledger: Ledger, loads: Iterable["LoadTarget"], only: ReplayFilter = ReplayFilter()) -> Plan:
    routes = {(load.pair, load.target_object): load for load in loads}
    chosen = ledger.open_dead_letters(only.pair, only.target_object, only.error_class, only.ids)
    unrouted = [letter for letter in chosen if (letter.pair, letter.target_object) not in routes]
    routed = [
        letter
        for letter in chosen
        if (letter.pair, letter.target_object) in routes
        and only.target in (None, routes[(letter.pair, letter.target_object)].target)
    ]
    without_payload = [letter for letter in routed if letter.record_payload is None]
    sending = [letter for letter in routed if letter.record_payload is not None]
    targets = {routes[(letter.pair, letter.target_object)].target for letter in routed}
    sending += _followers(ledger, sending, {group for group, load in routes.items() if load.target in targets})
    groups: dict[Group, list[DeadLetter]] = {}
    for letter in sending:
        groups.setdefault((letter.pair, letter.target_object), []).append(letter)
    return Plan(
        [(routes[group], groups[group]) for group in _parents_first(groups)], without_payload, unrouted, targets
    )


def replay(
    ledger: Ledger,
    loads: Iterable["LoadTarget"],
    writer: Callable[["LoadTarget"], TargetWriter],
    batch_sizes: Mapping[str, int],
    *,
    only: ReplayFilter = ReplayFilter(),
    run_id: str | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> ReplayTotals:
    """Re-sends the letters `only` selects, each (pair, object) through `writer(load_target)` in batches of its
    target's size (`batch_sizes`, by target system)."""
    chosen = plan(ledger, loads, only)
    totals = ReplayTotals(
        without_payload=len(chosen.without_payload),
        without_load_target=[letter.id for letter in chosen.without_load_target],
    )
    for target, letters in chosen.groups:
        # The loads' lease: a replay and a run writing the same object would both send what neither has recorded.
        with Lease(ledger, target.pair, target.target_object, run_id=run_id, log=log) as lease:
            client = lease.guard(writer(target))
            calls, writes = client.counter.total, client.counter.writes
            summary = load(
                # each audit row of a replay names the dead letter it sent again
                [replace(TargetRecord.from_dead_letter(letter), notes={"replay_of": letter.id}) for letter in letters],
                writer=client,
                ledger=ledger,
                pair=target.pair,
                target_object=target.target_object,
                batch_size=batch_sizes[target.target],
                run_id=run_id,
                force=True,
            )
        log(f"replayed {len(letters)} dead letters of {target.pair} {target.target_object}: {summary.as_metadata()}")
        totals.loaded.include(summary)
        totals.api_calls[target.target] = totals.api_calls.get(target.target, 0) + client.counter.total - calls
        totals.write_calls[target.target] = totals.write_calls.get(target.target, 0) + client.counter.writes - writes
    return totals


def _followers(ledger: Ledger, letters: Sequence[DeadLetter], groups: Collection[Group]) -> list[DeadLetter]:
    """Letters of `groups` waiting (dependency) on a record being replayed, and on those, and so on."""
    waiting = [
        letter
        for letter in ledger.open_dead_letters(error_class=ErrorClass.DEPENDENCY)
        if (letter.pair, letter.target_object) in groups and letter.record_payload is not None
    ]
    sent = {(letter.pair, letter.target_object, letter.source_key) for letter in letters}
    ids = {letter.id for letter in letters}
    followers: list[DeadLetter] = []
    while follow := [
        letter
        for letter in waiting
        if letter.id not in ids and any((letter.pair, obj, key) in sent for obj, key in _refs(letter))
    ]:
        followers += follow
        ids |= {letter.id for letter in follow}
        sent |= {(letter.pair, letter.target_object, letter.source_key) for letter in follow}
    return followers


def _parents_first(groups: Mapping[Group, Sequence[DeadLetter]]) -> list[Group]:
    """Each (pair, object) after the objects its letters refer to; refs within one object are load's to order."""
    graph = {
        group: {
            (group[0], obj)
            for letter in letters
            for obj, _ in _refs(letter)
            if obj != group[1] and (group[0], obj) in groups
        }
        for group, letters in sorted(groups.items())
    }
    return list(TopologicalSorter(graph).static_order())


def _refs(letter: DeadLetter) -> list[tuple[str, str]]:
    return [tuple(ref) for ref in (letter.payload or {}).get("refs", [])]


# edits -------------------------------------------------------------------------------------------------------------
def edited(payload: Any, assignments: Mapping[str, Any], removals: Iterable[str]) -> Any:
    """A copy of `payload` with each dotted path (`header.CustomerGroupId`, `lines.0.SalesPrice`) of `assignments`
    set (made where missing) and each of `removals` taken out; raises ValueError for a path the payload cannot have."""
    result = copy.deepcopy(payload)
    path = ""
    try:
        for path, value in assignments.items():
            container, name = _parent(result, path, create=True)
            container[name] = value
        for path in removals:
            container, name = _parent(result, path, create=False)
            del container[name]
    except (KeyError, IndexError):
        raise ValueError(f"{path}: not in the payload") from None
    return result


def _parent(payload: Any, path: str, *, create: bool) -> tuple[Any, str | int]:
    """The dict or list holding the last part of a dotted path, and that part as its key or index."""
    *names, last = path.split(".")
    container = payload
    for name in names:
        if create and isinstance(container, dict) and name not in container:
            container[name] = {}
        container = container[_key(container, name, path)]
    return container, _key(container, last, path)


def _key(container: Any, name: str, path: str) -> str | int:
    if isinstance(container, dict):
        return name
    if isinstance(container, list) and name.isdigit():
        return int(name)
    raise ValueError(f"{path}: {name!r} names neither a field nor a list position here")
