"""Parents on demand: the records a partition's records refer to that the ledger has never synced are read from the
source by key in the same run, so they load first (the load sends parents before children).

At go-live most master records predate the start date and do not change for months: no day's window reads them,
and a new record referring to one (a contact's organisation, a child account's parent, an order's vendor) would wait
for it forever. A snapshot extract reads its window's records by key anyway; it hands this module that by-key read
and what its records refer to, and gets back the parents it had to read too, their parents, and so on. A parent
already synced for every pair reading the source costs no read. One the source does not have is recorded in the
audit log as `not_in_source`, which is what the dependency dead letter of a record waiting for it then says
(loading.parents_missing).
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ml_connector_dagster.ledger import Action, Ledger, Outcome

Snapshot = dict[str, list[dict]]  # table → rows, as a snapshot extract reads them


@dataclass(frozen=True)
class KeptAs:
    """Where one pair keeps a source record in the ledger: its target object, and its ledger key from the source's
    own id (e.g. a PARTY_ID → `oracle_ebs.party.<id>` in account)."""

    pair: str
    target_object: str
    key: Callable[[str], str]


def never_synced(ledger: Ledger, ids: Iterable[str], kept_as: Sequence[KeptAs]) -> set[str]:
    """The ids that some pair reading them has never synced (one ledger query per pair and object)."""
    ids = {value for value in ids if value}
    unsynced: set[str] = set()
    for kept in kept_as:
        keys = {kept.key(value): value for value in ids}
        synced = ledger.synced_keys(kept.pair, kept.target_object, keys)
        unsynced |= {value for key, value in keys.items() if key not in synced}
    return unsynced


@dataclass(frozen=True)
class OnDemand:
    """What `read_parents` read: the parents fetched on demand, and those of them the source does not have."""

    fetched: frozenset[str]
    not_in_source: frozenset[str]


def read_parents(
    snapshot: Snapshot,
    *,
    read_keys: Callable[[set[str]], Snapshot],
    holds: Callable[[Snapshot], set[str]],
    refers_to: Callable[[Snapshot], set[str]] = lambda _: set(),
    unsynced: Callable[[set[str]], set[str]],
    referenced: Iterable[str] = (),
) -> OnDemand:
    """Adds to `snapshot` (the window's records, read by key) the parents they refer to that `unsynced` keeps, read
    with `read_keys` (ids → their snapshot), then those parents' own, until none is left. `holds` gives the ids of the
    records a snapshot holds, `refers_to` the parent ids its records refer to (none by default); `referenced` are
    parents other records of the partition refer to (a contact's organisation: contacts are not in the snapshot)."""
    asked = holds(snapshot)
    fetched: set[str] = set()
    wanted = unsynced((set(referenced) | refers_to(snapshot)) - asked)
    while wanted:
        more = read_keys(wanted)
        for table, rows in more.items():
            snapshot.setdefault(table, []).extend(rows)
        asked |= wanted
        fetched |= wanted
        wanted = unsynced(refers_to(more) - asked)
    return OnDemand(frozenset(fetched), frozenset(fetched - holds(snapshot)))


def record_not_in_source(
    ledger: Ledger, ids: Iterable[str], kept_as: Sequence[KeptAs], *, run_id: str | None, partition: str | None
) -> None:
    """Audits the parents the source does not have as `not_in_source` for every pair that would keep them, so a
    record waiting for one says why rather than waiting for a parent that will never come."""
    ids = sorted(ids)
    for kept in kept_as if ids else ():
        ledger.record(
            pair=kept.pair,
            target_object=kept.target_object,
            outcomes=[
                Outcome(
                    kept.key(value),
                    Action.NOT_IN_SOURCE,
                    error_message="referred to by a record of this run, read by key: the source does not have it",
                )
                for value in ids
            ],
            run_id=run_id,
            partition=partition,
        )
