"""The extract asset every source system shares. A system supplies only how to read (`Extract.read`, given the
partition and the system's session); the factory owns the rest: the session, counting the calls made, the window
with its overlap for late commits, not reading a window its pairs loaded unchanged (where the source can digest one:
unchanged_windows.py), de-duplication by key, and the metadata the UI shows.

A read returns the rows of one table (any iterable: they are spooled PAGE_ROWS at a time, so a read that yields
them as its pages arrive never holds the partition), or for a snapshot (several tables read together) a dict of
table name → rows, or an iterable of such dicts, one per page of the snapshot. The asset's value is a `Spool` of those
pages (ml_connector_dagster/spool.py). Overlapping windows, offset paging over rows edited mid-read, and rows found by
two reads can repeat a row; its last version wins, whichever page it is in.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import dagster as dg
import pandas as pd
from ml_connector_dagster.assets import unchanged_windows
from ml_connector_dagster.assets.unchanged_windows import WindowDigest
from pydantic import Field

from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.parents import KeptAs, OnDemand, Snapshot, never_synced, read_parents, record_not_in_source
from ml_connector_dagster.spool import PAGE_ROWS, Spool, SpoolWriter, batched, pages_of
from ml_connector_dagster.spool_io import PAGES


class WindowConfig(dg.Config):
    overlap_minutes: int = Field(
        default=15,
        ge=0,
        le=24 * 60,
        description="Read this far before the window start too, for rows committed late with an earlier change stamp",
    )


class PolledWindowConfig(WindowConfig):
    """The run config of a windowed extract that asks its window's digest before reading it (unchanged_windows.py)."""

    full_read: bool = Field(
        default=False,
        description="Read the window even when its digest shows every pair of the run loaded it unchanged",
    )


@dataclass(frozen=True)
class Table:
    keys: tuple[str, ...]
    columns: tuple[str, ...] | None = None  # None: whatever columns the rows have

    def frame(self, rows: Iterable[dict] | pd.DataFrame) -> pd.DataFrame:
        data = rows if isinstance(rows, pd.DataFrame) else list(rows)
        frame = pd.DataFrame(data, columns=list(self.columns) if self.columns else None, dtype=object)
        if frame.empty:
            return frame
        return frame.drop_duplicates(subset=list(self.keys), keep="last").reset_index(drop=True)


@dataclass
class Read:
    """What a read is given. `start`/`end`: the partition's window (daily partitions), `start` reaching back by
    the overlap where the extract has one; `inputs`: the upstream frames; `metadata`: what the read adds to the
    asset's metadata (e.g. how many rows were created that day); `ledger`: the sync ledger, for an extract that
    asks it (`Extract.uses_ledger`: parents on demand), else None."""

    resource: Any
    session: Any
    partition_key: str
    start: datetime | None
    end: datetime | None
    inputs: Mapping[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)
    ledger: Ledger | None = None
    run_id: str | None = None


@dataclass(frozen=True)
class Extract:
    """`<system>/<name>`: group, pool (`<system>_api`) and resource are the system's. `table` for one table,
    `parts` for a snapshot; `overlap` gives the asset its WindowConfig (for sources with a change stamp);
    `uses_ledger` gives its read the ledger (what was synced already); `paged_inputs` gives it its inputs as the
    `Spool`s they are (read a page at a time), not whole. `digest` (a windowed extract's) asks the source for the
    window's digest, None where the source cannot answer one: a window its pairs loaded unchanged is not read again
    (unchanged_windows.py), which needs the resources of its pairs' targets (`targets`) for their fingerprints."""

    system: str
    name: str
    read: Callable[[Read], Any]
    description: str
    table: Table | None = None
    parts: Mapping[str, Table] | None = None
    ins: Mapping[str, dg.AssetKey] = field(default_factory=dict)
    kinds: frozenset[str] = frozenset()
    overlap: bool = False
    uses_ledger: bool = False
    paged_inputs: bool = False
    digest: Callable[[Read], WindowDigest | None] | None = None
    targets: frozenset[str] = frozenset()

    @property
    def key(self) -> dg.AssetKey:
        return dg.AssetKey([self.system, self.name])


def extract_asset(
    extract: Extract, partitions_def: dg.PartitionsDefinition, mapping_versions: Mapping[str, str] | None = None
) -> dg.AssetsDefinition:
    """`mapping_versions`: a hash of each pair's mapping rules (pair.Build), for an extract with a `digest`."""
    polled = extract.digest is not None
    resource_keys = {extract.system}
    if extract.uses_ledger or polled:
        resource_keys.add("ledger")
    if polled:
        resource_keys |= extract.targets
    decorate = dg.asset(
        key=extract.key,
        group_name=extract.system,
        partitions_def=partitions_def,
        ins={
            name: dg.AssetIn(key=key, dagster_type=PAGES) if extract.paged_inputs else dg.AssetIn(key=key)
            for name, key in extract.ins.items()
        },
        kinds={*extract.kinds, "pandas"},
        pool=f"{extract.system}_api",
        code_version="1",
        description=extract.description,
        required_resource_keys=resource_keys,
    )

    def run(context: dg.AssetExecutionContext, overlap: timedelta, inputs: dict, full_read: bool = False) -> dg.Output:
        resource = getattr(context.resources, extract.system)
        session = resource.session()
        calls = session.counter.total
        window = (
            context.partition_time_window if isinstance(partitions_def, dg.TimeWindowPartitionsDefinition) else None
        )
        read = Read(
            resource,
            session,
            context.partition_key,
            window and window.start - overlap,
            window and window.end,
            inputs,
            ledger=context.resources.ledger.ledger() if extract.uses_ledger else None,
            run_id=context.run.run_id,
        )
        metadata: dict[str, Any] = {}
        poll = None
        if polled and window is not None:
            poll = unchanged_windows.poll(
                context,
                extract.key.to_user_string(),
                lambda: extract.digest(read),
                window.end,
                full_read=full_read,
                mapping_versions=mapping_versions or {},
            )
            metadata.update(poll.metadata)
        if poll is not None and poll.unchanged_since:
            writer, pages = SpoolWriter(keys={"": extract.table.keys}), iter(())
        elif extract.parts is None:
            writer = SpoolWriter(keys={"": extract.table.keys})
            pages = (extract.table.frame(rows) for rows in _row_pages(extract.read(read)))
        else:
            writer = SpoolWriter(keys={name: table.keys for name, table in extract.parts.items()})
            pages = (
                {name: table.frame(snapshot.get(name, ())) for name, table in extract.parts.items()}
                for snapshot in _snapshot_pages(extract.read(read))
            )
        try:
            for page in pages:
                writer.add(page)
            if not writer.pages:  # an empty partition is one empty page: its consumers see its columns
                writer.add(
                    extract.table.frame([])
                    if extract.parts is None
                    else {name: table.frame([]) for name, table in extract.parts.items()}
                )
        except BaseException:
            writer.discard()
            raise
        value = writer.close()
        if poll is not None and not poll.unchanged_since:
            poll.record()
        if extract.parts is None:
            metadata["source_rows"] = value.rows()
        metadata.update(read.metadata)
        metadata["api_calls"] = session.counter.total - calls
        if window is not None and extract.overlap:
            metadata.update(window_start=read.start.isoformat(), window_end=read.end.isoformat())
        return dg.Output(value, metadata=metadata)

    if polled:

        @decorate
        def _polled(context: dg.AssetExecutionContext, config: PolledWindowConfig, **inputs) -> dg.Output:
            return run(context, timedelta(minutes=config.overlap_minutes), inputs, config.full_read)

        return _polled

    if extract.overlap:

        @decorate
        def _windowed(context: dg.AssetExecutionContext, config: WindowConfig, **inputs) -> dg.Output:
            return run(context, timedelta(minutes=config.overlap_minutes), inputs)

        return _windowed

    @decorate
    def _extract(context: dg.AssetExecutionContext, **inputs) -> dg.Output:
        return run(context, timedelta(0), inputs)

    return _extract


def _row_pages(rows: Iterable[dict] | pd.DataFrame) -> Iterator[Iterable[dict] | pd.DataFrame]:
    if isinstance(rows, pd.DataFrame):
        for start in range(0, len(rows), PAGE_ROWS):
            yield rows.iloc[start : start + PAGE_ROWS]
    else:
        yield from batched(rows, PAGE_ROWS)


def _snapshot_pages(read: Snapshot | Iterable[Snapshot]) -> Iterator[Snapshot]:
    if isinstance(read, Mapping):
        yield read
    else:
        yield from read


def column_values(*frames: pd.DataFrame | Spool, column: str) -> set[str]:
    """The non-empty values of a column across frames or spools (the keys a snapshot re-reads)."""
    return {value for frame in frames for page in pages_of(frame) for value in page_values(page, column)}


def page_values(frame: pd.DataFrame, column: str) -> list[str]:
    """The non-empty values of a column of one page."""
    return [value for value in frame[column].dropna() if value] if not frame.empty and column in frame else []


def with_parents(
    read: Read,
    snapshot: Snapshot,
    kept_as: Sequence[KeptAs],
    read_anyway: Callable[[set[str]], set[str]] = lambda ids: set(),
    **how,
) -> OnDemand:
    """Parents on demand for a snapshot extract (`uses_ledger`): adds to `snapshot` the parents its records and
    `referenced` refer to that a pair in `kept_as` never synced (`parents.read_parents`, given `how` to read them),
    audits those the source lacks, and counts both in the asset's metadata. For a snapshot read page by page,
    `read_anyway` says which ids another page of the partition reads: those are not read on demand. Called once per
    page, the counts add up."""
    on_demand = read_parents(
        snapshot, unsynced=lambda ids: never_synced(read.ledger, ids - read_anyway(ids), kept_as), **how
    )
    record_not_in_source(
        read.ledger, on_demand.not_in_source, kept_as, run_id=read.run_id, partition=read.partition_key
    )
    for name, count in (("parents_on_demand", on_demand.fetched), ("parents_not_in_source", on_demand.not_in_source)):
        read.metadata[name] = read.metadata.get(name, 0) + len(count)
    return on_demand
