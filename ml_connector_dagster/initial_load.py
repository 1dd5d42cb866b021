"""The go-live initial load (docs/operators/go_live.md): every master record a pair's source holds, whatever its change
stamp, into the target, object after object in dependency order (accounts before the contacts that bind to them).

The daily partitions read what changed; at go-live most masters last changed long before the start date and would
never be read. So a pair declares its master objects, each as how to read the source page by page in key order from a
stored position (`MasterObject.pages`) and how to map one page (`MasterObject.map`, around the pair's pure mapping).
Consecutive pages, as many as fill the batches the target takes at once (its batch size times the batches it may have
in flight), go through the same `sync` as a daily load, under the same lease, and the ledger's `initial_loads` row
then moves to their last page's position. While they are written, a thread reads the next pages from the source.
A two-way pair's object matches the source's records never linked to records people entered in the target before
the first sync (by e-mail, tax id): whether such a match stands depends on the whole load (two records pages apart
matching one target record are both refused), so its pages are read and matched first, kept on disk with what they
matched (duplicate_matches.py, as a daily partition's), then mapped with the matches settled and loaded (`Matched`).
So:

- memory holds those pages and the ones read ahead, never the table (a `Matched` object's pages wait on disk);
- the target gets full batches side by side, and the source's reads overlap the target's writes (a `Matched`
  object's overlap its mapping and matching): a large load goes as fast as the slower of the two allows;
- a load killed mid-way goes on after its last complete page (a `Matched` object's writes begin once every page was
  matched); the records of the pages it was killed in are unchanged for the ledger by then, or written again by
  external id (upserts), never twice;
- a load that finished reads everything again next time, and on a synced target that costs reads only (the diff).
"""

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import dagster as dg
from pydantic import Field

from ml_connector_dagster.assets.dead_letters import load_tags
from ml_connector_dagster.assets.load import LoadTarget
from ml_connector_dagster.duplicate_matches import matched_pages
from ml_connector_dagster.key_upgrade import refuse_first_format
from ml_connector_dagster.lease import Lease
from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.loading import LoadSummary, parallelism
from ml_connector_dagster.mapping.common import MappingResult
from ml_connector_dagster.mapping.two_way import Counterparts
from ml_connector_dagster.materialize import failed_records_metadata, load_metadata
from ml_connector_dagster.spool import Page, together
from ml_connector_dagster.sync import SyncTarget, sync

T = TypeVar("T")


@dataclass(frozen=True)
class SourceRead:
    """What a source's pages are read with: its resource and session, the stored position to go on after (None: from
    the first record) and how many source records a page holds."""

    resource: Any
    session: Any
    after: str | None
    page_size: int


@dataclass(frozen=True)
class MapInput:
    """What a page's mapping may consult besides the page: the source's resource (its server's time zone), the
    target's (its key column, its currencies) and the ledger. Reading them is the caller's I/O; the mapping it hands
    them to stays pure."""

    source: Any
    target: Any
    ledger: Ledger


@dataclass(frozen=True)
class Matched:
    """A page's mapping whose duplicate matches are settled over the whole load: `read` gives a page's input to the
    mapping and what the target holds of it (its calls, made once, in the first pass), `map` maps that
    input with those counterparts settled against every page's."""

    read: Callable[[Any, MapInput], tuple[Any, Counterparts]]
    map: Callable[[Any, Counterparts, MapInput], MappingResult]


@dataclass(frozen=True)
class MasterObject:
    """`name` names the checkpoint and the job's step (`<pair>__<name>`); several objects may load one target object
    (SAP vendors and customers are both accounts). `map` maps a page on its own, or is `Matched`."""

    name: str
    load: LoadTarget
    pages: Callable[[SourceRead], Iterator[Page]]
    map: Callable[[Any, MapInput], MappingResult] | Matched
    description: str


def read_ahead(items: Iterator[T], depth: int) -> Iterator[T]:
    """`items`, read by a thread of their own up to `depth` ahead of the caller, so the source's reads overlap what the
    caller does with each; an error of the read is raised where its item would have come. Leaving early stops the
    thread at its next item."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
        except Exception as error:  # handed to the caller, which raises it
            put((end, error))
            return
        put((end, None))

    reader = threading.Thread(target=read, name="initial-load-read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            item, error = ready.get()
            if item is end:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        reader.join()


@contextmanager
def mapped_pages(obj: MasterObject, pages: Iterator[Page], given: MapInput, held: int) -> Iterator[Iterator[Page]]:
    """`pages` with their rows mapped, one at a time: each on its own, or (`Matched`) once every page was read and
    matched, from the disk that holds them meanwhile (removed on leaving) but for the first `held` pages."""
    how = obj.map
    if not isinstance(how, Matched):
        yield (Page(how(page.rows, given), page.position, page.count) for page in pages)
        return

    def first(page: Page) -> tuple[Page, Counterparts]:
        read, counterparts = how.read(page.rows, given)
        return Page(read, page.position, page.count), counterparts

    with matched_pages(pages, first, held=held) as (spool, matches):
        yield (
            Page(how.map(page.rows, matches.settled(counterparts), given), page.position, page.count)
            for page, counterparts in spool
        )


@dataclass
class Progress:
    pages: int = 0
    read: int = 0
    summary: LoadSummary = field(default_factory=LoadSummary)
    resumed_after: int = 0  # pages an earlier, interrupted run had loaded


def load_object(
    obj: MasterObject,
    *,
    source: SourceRead,
    target: Any,
    ledger: Ledger,
    run_id: str | None,
    restart: bool,
    log: Callable[[str], None],
    warn: Callable[[str], None],
) -> Progress:
    """Loads one master object page by page from its checkpoint (or from the beginning when it finished before, never
    started, or `restart`)."""
    pair = obj.load.pair
    checkpoint = ledger.checkpoint(pair, obj.name)
    progress = Progress()
    if restart or checkpoint is None or checkpoint.finished_at is not None or checkpoint.position is None:
        ledger.start_initial_load(pair, obj.name, run_id=run_id)
        after = None
    else:
        after, progress.resumed_after = checkpoint.position, checkpoint.pages
        log(f"{pair} {obj.name}: going on after page {checkpoint.pages} ({checkpoint.records} records, {after})")
    writer = obj.load.writer(target.session())

    def at_once() -> int:
        return target.batch_size * parallelism(writer)

    pages = obj.pages(SourceRead(source.resource, source.session, after, source.page_size))
    # Two groups' worth of pages ahead: the next group is read while this one is written.
    ahead = max(2, 2 * -(-at_once() // source.page_size))
    # The pages of a group are held to sync them: as many wait in memory for the first group of a `Matched` object.
    given = MapInput(source.resource, target, ledger)
    with mapped_pages(obj, read_ahead(pages, ahead), given, held=ahead // 2) as mapped:
        for group in together(mapped, at_once):
            result = type(group[0].rows).joined([page.rows for page in group])
            count = sum(page.count for page in group)
            with Lease(ledger, pair, obj.load.target_object, run_id=run_id, log=warn) as lease:
                refuse_first_format(ledger, pair, obj.load.target, obj.load.target_object)
                sync_target = SyncTarget(pair, obj.load.target_object, lease.guard(writer), target.batch_size)
                summary = sync(result, sync_target, ledger, run_id=run_id, partition=None, source_rows=count)
                if obj.load.settle is not None:
                    obj.load.settle(ledger, result, run_id)
                for page in group:
                    ledger.advance_initial_load(
                        pair, obj.name, position=page.position, records=page.count, run_id=run_id
                    )
            progress.summary.include(summary)
            for page in group:
                progress.pages += 1
                progress.read += page.count
                log(
                    f"{pair} {obj.name}: page {progress.resumed_after + progress.pages} loaded, {progress.read} "
                    f"records read by this run (created {progress.summary.created}, updated "
                    f"{progress.summary.updated}, unchanged {progress.summary.unchanged}, failed "
                    f"{progress.summary.failed})"
                )
    ledger.finish_initial_load(pair, obj.name, run_id=run_id)
    return progress


class InitialLoadConfig(dg.Config):
    restart: bool = Field(
        default=False, description="read from the first record again, even when an interrupted load could go on"
    )
    page_size: int = Field(
        default=500,
        ge=1,
        le=1000,
        description="source records per page (one read of the source); pages are written together to fill the batches "
        "the target takes at once",
    )


def job_name(pair: str) -> str:
    return f"{pair}__initial_load"


def op_name(obj: MasterObject) -> str:
    """Unique in the code location (Dagster wants op names unique across jobs): the pair's, then the object's."""
    return f"{obj.load.pair}__{obj.name}"


def run_config(job: dg.JobDefinition, **config) -> dict:
    """Run config giving each step of an initial-load job the same `InitialLoadConfig` (restart, page size)."""
    return {"ops": {name: {"config": config} for name in job.graph.node_names()}}


def initial_load_job(pair: str, objects: Sequence[MasterObject], *, description: str) -> dg.JobDefinition:
    """`<pair>__initial_load`: one step per master object, each after the one before it (the declared order is the
    dependency order); it runs on the deployment's executor (executor.py), as a pair's job does."""
    source = pair.split("__")[0]
    steps = [_object_op(source, obj) for obj in objects]

    @dg.job(name=job_name(pair), description=description)
    def _job():
        done = None
        for step in steps:
            done = step(done) if done is not None else step()

    return _job


def _object_op(source: str, obj: MasterObject) -> dg.OpDefinition:
    target_system = obj.load.target

    @dg.op(
        name=op_name(obj),
        ins={"after": dg.In(dg.Nothing)},
        pool=f"{target_system}_api",
        required_resource_keys={source, target_system, "ledger"},
        description=obj.description,
        tags=load_tags(obj.load.pair, obj.load.target_object),
    )
    def _load(context: dg.OpExecutionContext, config: InitialLoadConfig) -> dict:
        source_resource = getattr(context.resources, source)
        target = getattr(context.resources, target_system)
        session = source_resource.session()
        writer_counter = target.session().counter
        calls = session.counter.total + writer_counter.total
        writes = writer_counter.writes
        progress = load_object(
            obj,
            source=SourceRead(source_resource, session, None, config.page_size),
            target=target,
            ledger=context.resources.ledger.ledger(),
            run_id=context.run.run_id,
            restart=config.restart,
            log=context.log.info,
            warn=context.log.warning,
        )
        totals = {
            **load_metadata(
                progress.summary,
                api_calls=session.counter.total + writer_counter.total - calls,
                write_calls=writer_counter.writes - writes,
            ),
            "read": progress.read,
            "pages": progress.pages,
            "resumed_after_pages": progress.resumed_after,
        }
        failures = failed_records_metadata(
            context.resources.ledger.ledger(), obj.load.pair, obj.load.target_object, run_id=context.run.run_id
        )
        context.add_output_metadata({**totals, **failures})
        return totals

    return _load
