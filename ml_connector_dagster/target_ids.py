"""A record found by the id a target system's UI shows when the ledger holds another (`ml-connector audit <id>`).

Dynamics 365 Sales rows are held in the ledger by their alternate key, while its UI shows their GUID. A system whose
resource declares such ids (`shown_ids`) answers `source_key_of(target_object, id)` on its session; this asks each
one whose ids look like the value, for each object a pair writes there, so a new system only declares its own.
"""

from collections.abc import Callable
from dataclasses import dataclass

from ml_connector_dagster.code_location import build_pairs
from ml_connector_dagster.connections import SYSTEM_RESOURCES
from ml_connector_dagster.session_resource import SessionResource
from ml_connector_dagster.settings import Settings


@dataclass(frozen=True)
class FoundInTarget:
    system: str
    id_name: str  # what the system calls the id, e.g. "Dataverse id"
    target_object: str
    source_key: str  # the record's external id in the target
    pairs: frozenset[str]  # the pairs that write this object to this system


def source_keys_of(
    config: Settings,
    value: str,
    *,
    target: Callable[[str], SessionResource],
    pair: str | None = None,
    target_object: str | None = None,
) -> list[FoundInTarget]:
    """The records whose target gave them the id `value`, asked of each target (its resource: `target(system)`)
    whose shown ids look like it, object by object of those the pairs (or `pair`) write there. Raises what the
    target's session raises when it cannot answer (ApiError, CannotConnect)."""
    names = {
        kind.system: kind.shown_ids.name
        for kind in SYSTEM_RESOURCES
        if kind.shown_ids is not None and kind.shown_ids.form.fullmatch(value)
    }
    if not names:
        return []
    written: dict[tuple[str, str], set[str]] = {}
    for part in build_pairs(config):
        for load in part.loads:
            if load.target in names and pair in (None, load.pair) and target_object in (None, load.target_object):
                written.setdefault((load.target, load.target_object), set()).add(load.pair)
    found = []
    for system in sorted({system for system, _ in written}):
        with target(system).open() as session:
            for (where, obj), pairs in sorted(written.items()):
                if where == system and (key := session.source_key_of(obj, value)):
                    found.append(FoundInTarget(system, names[system], obj, key, frozenset(pairs)))
    return found
