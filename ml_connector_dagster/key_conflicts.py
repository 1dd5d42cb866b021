"""Source records whose keys normalise to one target key (SAP's `0000000042` and `42` both become
`sap_ecc.vendor.42`): a target record can be only one of them, and writing both makes the last one win silently. So
none of them is written; each such key becomes one `conflict` dead letter naming every source record behind it, and
stays one until the source is corrected (a replay cannot choose for it: the letter holds no payload to send)."""

from collections import Counter, defaultdict
from dataclasses import dataclass

from ml_connector_dagster.ledger import Action, ErrorClass, Outcome
from ml_connector_dagster.loading import TargetRecord
from ml_connector_dagster.mapping.common import Excluded, MappingResult, Rejected

ERROR_CODE = "key_conflict"

Entry = TargetRecord | Rejected | Excluded


@dataclass(frozen=True)
class KeyConflict:
    source_key: str  # the target key they share
    entries: tuple[Entry, ...]

    @property
    def origins(self) -> list[str]:
        """Each record as its source names it (`LIFNR 0000000042`), else by its position among them."""
        return [entry.origin or f"record {n} of {len(self.entries)}" for n, entry in enumerate(self.entries, 1)]

    def outcome(self) -> Outcome:
        return Outcome(
            self.source_key,
            Action.FAILED,
            {"payload": None, "conflicting": [_stored(entry) for entry in self.entries]},
            error_class=ErrorClass.CONFLICT,
            error_code=ERROR_CODE,
            error_message=f"key conflict: {', '.join(self.origins)} map to {self.source_key}, which is one record "
            "in the target: none of them is written; correct the key at the source",
        )


def key_conflicts(result: MappingResult) -> list[KeyConflict]:
    """The target keys more than one record of `result` maps to (written, rejected or left out alike)."""
    entries = (*result.records, *result.rejected, *result.excluded)
    # Counted first: a conflict is rare, and grouping every entry of a large load cost more than the rest of this.
    shared = {key for key, n in Counter(entry.source_key for entry in entries).items() if n > 1}
    groups: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        if entry.source_key in shared:
            groups[entry.source_key].append(entry)
    return [KeyConflict(key, tuple(found)) for key, found in groups.items()]


def without(result: MappingResult, conflicts: list[KeyConflict]) -> MappingResult:
    """`result` less every record of a conflicting key."""
    keys = {conflict.source_key for conflict in conflicts}
    return MappingResult(
        records=[r for r in result.records if r.source_key not in keys],
        rejected=[r for r in result.rejected if r.source_key not in keys],
        excluded=[e for e in result.excluded if e.source_key not in keys],
    )


def _stored(entry: Entry) -> dict:
    if isinstance(entry, TargetRecord):
        return {"origin": entry.origin, "payload": entry.payload}
    if isinstance(entry, Rejected):
        return {"origin": entry.origin, "source": entry.source, "rejected": entry.reason}
    return {"origin": entry.origin, "excluded": entry.reason}
