"""Reruns of unchanged windows: a windowed extract whose source can digest a window (`Extract.digest`: how many rows
the window read would return and an order-independent hash of their keys and change stamps, in one call) asks for it
first, and reads nothing when every pair this run loads from the window has loaded that very digest clean before,
under the same fingerprint. Its consumers downstream then have nothing to do.

Why this keeps "polling is the truth … rerunning it is always safe" (DESIGN.md): the digest is a poll of the source,
taken now; nothing is assumed about the window from a previous run but what that run did with the rows the digest
describes. A row added, removed, edited or backdated into the window changes the digest, and the window is read.
What a pair's payloads depend on besides the window's rows is in its fingerprint: the connector's version, the code
versions of the run's assets between the window and the pair's loads, the pair's mapping rules, and the settings of
its source and target resources (secrets left out); a change to any of them reads the window again.

Cross-day effects lose nothing: a pair's payload of a record is built from rows of several tables (a party and its
accounts, sites, supplier rows), re-read whole by key, and those rows change on different days. A row changed on
another day has its change stamp in that other day's window, whose partition syncs the record, whole, then; so
skipping day D's unchanged windows loses no change made on another day, and a change made on day D is in D's windows
and changes their digest. Time-dependent values (a supplier's end date) are covered the same way: the window holding
the end date returns the row, so a digest is recorded only from a read made after its window closed by the source's
clock, never from a partial day whose end dates had not yet passed.

A digest is kept per (pair, extract, partition) in the ledger (`window_digests`) only once every load of the pair
downstream of the window in that run finished with no record left that only a read retries (`Ledger.retry_pending`:
an open transient or auth dead letter of the partition or of the run; a refused record is not re-sent unchanged, and
one waiting for a parent, a quota or an in-doubt write is sent by any load of its object, read or not); a run that
fails or crashes before that leaves it waiting, and the next run reads. A skip also needs no such dead letter open
now. `full_read` in the extract's run config reads regardless.
"""

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata as package_metadata

import dagster as dg
from ml_connector_dagster.assets.dead_letters import PAIR_TAG

from ml_connector_dagster.ledger import Ledger


@dataclass(frozen=True)
class WindowDigest:
    """A source's digest of a window (`value`, compared for equality only) and the source's clock when it answered."""

    value: str
    as_of: datetime


@dataclass(frozen=True)
class Consumer:
    """A pair this run loads from the window: its load assets downstream of it in the run, and the fingerprint of what
    else its payloads depend on (None when it cannot be told here: never skipped for it)."""

    pair: str
    loads: frozenset[str]
    fingerprint: str | None


@dataclass
class Poll:
    """What the digest said of one window in one run: `unchanged_since` the runs that loaded it when the read may be
    skipped, else None; `record()` keeps the digest for the run's consumers once the window has been read."""

    ledger: Ledger
    extract: str
    partition: str
    run_id: str
    digest: WindowDigest | None
    closed: bool
    consumers: list[Consumer]
    unchanged_since: list[str] | None = None
    metadata: dict = field(default_factory=dict)

    def record(self) -> None:
        if self.digest is None or not self.closed:
            return
        for consumer in self.consumers:
            if consumer.fingerprint is not None:
                self.ledger.window_read(
                    consumer.pair,
                    self.extract,
                    self.partition,
                    digest=self.digest.value,
                    fingerprint=consumer.fingerprint,
                    run_id=self.run_id,
                    loads=consumer.loads,
                )


def poll(
    context: dg.AssetExecutionContext,
    extract_name: str,
    digest: Callable[[], WindowDigest | None],
    window_end: datetime,
    *,
    full_read: bool,
    mapping_versions: Mapping[str, str],
) -> Poll:
    """Asks the source for the window's digest (even with `full_read`: a forced read still records what it read) and
    decides whether the read may be skipped."""
    ledger = context.resources.ledger.ledger()
    found = digest()
    result = Poll(
        ledger,
        extract_name,
        context.partition_key,
        context.run.run_id,
        found,
        closed=found is not None and found.as_of >= window_end,
        consumers=run_consumers(context, mapping_versions),
    )
    if found is None:
        result.metadata["window_digest"] = "not available: the window is read"
        return result
    result.metadata["window_digest"] = found.value
    if not full_read:
        result.unchanged_since = _loaded_by_all(ledger, result)
    if result.unchanged_since:
        result.metadata.update(
            skipped="unchanged since its pairs loaded it",
            unchanged_since_runs=", ".join(result.unchanged_since),
            for_pairs=", ".join(consumer.pair for consumer in result.consumers),
        )
    return result


def _loaded_by_all(ledger: Ledger, polled: Poll) -> list[str] | None:
    """The runs that loaded this digest for each consumer, when every consumer did under its current fingerprint and
    none has a record waiting for a retry; else None."""
    if not polled.consumers:
        return None
    runs = set()
    for consumer in polled.consumers:
        loaded = ledger.loaded_window(consumer.pair, polled.extract, polled.partition)
        if (
            consumer.fingerprint is None
            or loaded is None
            or (loaded.digest, loaded.fingerprint) != (polled.digest.value, consumer.fingerprint)
            or ledger.retry_pending(consumer.pair, polled.partition, run_id=loaded.run_id)
        ):
            return None
        runs.add(loaded.run_id)
    return sorted(runs)


def run_consumers(context: dg.AssetExecutionContext, mapping_versions: Mapping[str, str]) -> list[Consumer]:
    """The pairs whose load assets this run executes downstream of the asset (through assets this run executes too:
    a load of a run that does not execute its payloads reads them as stored, not from this window)."""
    graph = context.job_def.asset_layer.asset_graph
    selected = set(context.run.asset_selection or graph.get_all_asset_keys())
    downstream = _walk(graph, [context.asset_key], lambda node: node.child_keys, selected)
    loads: dict[str, set[dg.AssetKey]] = {}
    for key in downstream:
        pair = graph.get(key).tags.get(PAIR_TAG)
        if pair:
            loads.setdefault(pair, set()).add(key)
    consumers = []
    for pair, keys in sorted(loads.items()):
        path = _walk(graph, keys, lambda node: node.parent_keys, downstream) | keys
        versions = sorted((key.to_user_string(), graph.get(key).code_version or "") for key in path)
        consumers.append(
            Consumer(
                pair,
                frozenset(key.to_user_string() for key in keys),
                fingerprint(context, pair, versions, mapping_versions.get(pair)),
            )
        )
    return consumers


def _walk(graph, start: Iterable[dg.AssetKey], neighbours, within: set[dg.AssetKey]) -> set[dg.AssetKey]:
    found: set[dg.AssetKey] = set()
    pending = list(start)
    while pending:
        for key in neighbours(graph.get(pending.pop())):
            if key in within and key not in found:
                found.add(key)
                pending.append(key)
    return found


def fingerprint(
    context: dg.AssetExecutionContext, pair: str, versions: list[tuple[str, str]], mapping_version: str | None
) -> str | None:
    """A hash of what the pair's payloads depend on besides the window's rows; None when a resource of the pair is
    not one this asset was given (the asset's `required_resource_keys`) or its mapping rules are unknown."""
    settings = {}
    for system in pair.split("__"):
        resource = getattr(context.resources, system, None)
        if resource is None:
            return None
        secrets = getattr(resource, "secrets", frozenset())
        settings[system] = {name: value for name, value in resource.model_dump().items() if name not in secrets}
    if mapping_version is None:
        return None
    stated = {
        "pair": pair,
        "connector": package_metadata.version("ml-connector-dagster"),
        "assets": versions,
        "mapping_rules": mapping_version,
        "settings": settings,
    }
    return hashlib.sha256(json.dumps(stated, sort_keys=True, default=str).encode()).hexdigest()
