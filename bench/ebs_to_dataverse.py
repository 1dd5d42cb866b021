"""Benchmark: EBS parties → Dataverse accounts, the connector against the strongest naive loaders, at scale, beside
dlt, and two runs at once under one rate limit.

For each size of `--sizes`, the EBS emulator is seeded with N organizations changed on one day (with their customer
accounts, sites, contacts, hierarchies and one supplier for every eighth; a tenth of them with the mess real EBS data
has, which the mapping refuses). Every connector run and every loader runs in a process of its own (its peak memory is
that process's own high-water mark, VmHWM) against the same Dataverse emulator over real HTTP; the emulators serve from
threads of this process. Printed, all measured in this one run:

1. loaders, at the first size, Dataverse at `--latency-ms` per call and its service-protection limit lifted (so a
   per-record loader is measured, not throttled): the connector's initial load of accounts (extract page by page, the
   pair's mapping, the ledger's diff, UpsertMultiple) against loaders that read and map the same pages and then write
   with no ledger and no ordering: UpsertMultiple of 1,000 (plain bulk), one PATCH per record from 16 threads, and one
   PATCH per record in sequence (these two on a sample: `--threaded-sample`, `--sequential-sample`);
2. extraction of those accounts back from Dataverse: the connector's client beside dlt's `rest_api` source on the
   same endpoint and paging, record for record (skipped, saying so, when dlt is not installed: `pip install
   -e '.[bench]'`);
3. two connector runs at once, each syncing half of `--concurrent-parties` parties into one Dataverse user whose
   service-protection limit is `--concurrent-limit` requests per `--concurrent-window` seconds: the 429s and the share
   of that ceiling the two used together;
4. scale, Dataverse at `--scale-latency-ms` per call under its real limit (6,000 requests per 300 s): at each of
   `--daily-sizes`, the pair's daily job for the day's partition (accounts and contacts, with their agreement checks),
   then again over unchanged data (a no-op rerun); at each of `--sizes`, the initial load of every party's account;
   each pass in a fresh process, into an empty Dataverse and ledger: seconds, write and read calls, peak memory (the
   memory curve), and the share of the request ceiling used;

then the goals of issue #15, each with its measured value and pass or fail.

    python bench/ebs_to_dataverse.py [--sizes 10000,100000] [--daily-sizes 2000,10000] [--latency-ms 25]
        [--scale-latency-ms 100] [--threaded-sample 10000] [--sequential-sample 2000] [--concurrent-parties 2000]
        [--concurrent-limit 20] [--concurrent-window 4] [--concurrent-batch 10] [--scale-only]

A daily partition takes about 15 s per 1,000 organizations today (both passes), hence the default daily sizes; the
goals' sizes are `--daily-sizes 10000,100000,1000000` and `--sizes 10000,1000000` (hours on 2 cores today; add
`--scale-only`: the loaders, dlt and the two runs need no million). Each section prints its figures when measured, and
a long initial load a line every 100,000 records with its peak so far.
"""

import argparse
import gc
import hashlib
import itertools
import json
import math
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import harness
import httpx
from ml_connector_dagster.assets.dynamics_sales.oracle_ebs import (
    ACCOUNTS,
    account_payloads,
    as_of,
    initial_load_objects,
)
from ml_connector_dagster.assets.oracle_ebs import extracts as oracle_ebs
from ml_connector_dagster.resources.dynamics_sales.client import MAX_PAGE_SIZE

from ml_connector_dagster.code_location import build_definitions
from ml_connector_dagster.connections import sandbox_resources
from ml_connector_dagster.initial_load import MapInput, MasterObject, SourceRead, load_object
from ml_connector_dagster.loading import TargetRecord, WriteResult
from ml_connector_dagster.mapping import oracle_ebs_dynamics_sales as mapping
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.dynamics_sales import DynamicsSalesEmulator
from ml_connector_dagster.sandbox.oracle_ebs import OracleEbsEmulator
from ml_connector_dagster.settings import Settings
from ml_connector_dagster.spool import batched
from ml_connector_dagster.sync import SyncTarget, sync

START = date(2026, 10, 1)
PAGE = 500  # source records per page: the initial load's default
PROGRESS_PAGES = 200  # a progress line every 100,000 source records
UNLIMITED = 10**9  # a service-protection limit lifted, in the emulator and in the client's own budget
DATAVERSE_CEILING = (6000, 300)  # requests per user per window of seconds (microsoft.md §2.11)
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}  # the runs' own log, off the bench's output
PATHS = {  # the scale runs: what each path runs, and its passes
    "daily": ("daily partition", ("first sync", "rerun")),
    "initial": ("initial load", ("first sync",)),
}
EXTRACTED = ["accountid", "name", "mlc_externalid", "accountnumber", "address1_city", "statecode"]


# In the loaders' processes -----------------------------------------------------------------------------------------
def _resources(home: str, ledger_url: str, urls: dict[str, str], dataverse: dict) -> dict:
    config = Settings(home=Path(home), ledger_url=ledger_url, start_date=START)
    return sandbox_resources(config, urls, dynamics_sales=dataverse)


def _accounts() -> MasterObject:
    return initial_load_objects(mapping.load_pair_rules())[0]


def _progress(pages: int):
    """The initial load's line for every `pages`-th page, with the time and this process's peak so far: a long case
    stopped before its end still shows its curve."""
    count, started = itertools.count(1), time.perf_counter()

    def log(line: str) -> None:
        if next(count) % pages == 0:
            print(f"  {time.perf_counter() - started:.0f} s: {line}; peak {harness.peak_mb():.0f} MB", flush=True)

    return log


def connector_initial_load(home: str, ledger_url: str, urls: dict[str, str], dataverse: dict) -> dict:
    """The pair's initial load of accounts, as its job step runs it (ml_connector_dagster.initial_load)."""
    resources = _resources(home, ledger_url, urls, dataverse)
    source, target = resources["oracle_ebs"], resources["dynamics_sales"]
    session, counter = source.session(), target.session().counter
    with harness.Stopwatch() as clock, harness.CpuClock() as cpu:
        progress = load_object(
            _accounts(),
            source=SourceRead(source, session, None, PAGE),
            target=target,
            ledger=resources["ledger"].ledger(),
            run_id=uuid.uuid4().hex,
            restart=False,
            log=_progress(PROGRESS_PAGES),
            warn=print,
        )
    summary = progress.summary
    return {
        "seconds": clock.seconds,
        "cpu_seconds": cpu.seconds,
        "read": progress.read,
        "written": summary.created + summary.updated,
        "unchanged": summary.unchanged,
        "failed": summary.failed,
        "write_calls": counter.writes,
        "read_calls": counter.total - counter.writes,
    }


def connector_daily(home: str, ledger_url: str, urls: dict[str, str], partition: str) -> dict:
    """The pair's daily job for one partition, as Dagster runs it: the extract assets, the payloads, the loads of
    accounts and contacts with their agreement checks."""
    config = Settings(home=Path(home), ledger_url=ledger_url, start_date=START)
    job = build_definitions(config, sandbox_resources(config, urls)).resolve_job_def(mapping.PAIR)
    with dg.DagsterInstance.ephemeral() as instance, harness.Stopwatch() as clock, harness.CpuClock() as cpu:
        result = job.execute_in_process(partition_key=partition, instance=instance, run_config=QUIET)
    totals = dict.fromkeys(("created", "updated", "unchanged", "failed", "write_calls", "records"), 0)
    for event in result.get_asset_materialization_events():
        values = {key: value.value for key, value in event.materialization.metadata.items()}
        if "write_calls" in values:
            for name in totals:
                totals[name] += values.get(name, 0)
    return {
        "seconds": clock.seconds,
        "cpu_seconds": cpu.seconds,
        "read": totals["records"],
        "written": totals["created"] + totals["updated"],
        "unchanged": totals["unchanged"],
        "failed": totals["failed"],
        "write_calls": totals["write_calls"],
    }


def connector_sync(home: str, ledger_url: str, urls: dict[str, str], dataverse: dict, party_ids: list[str]) -> dict:
    """These parties synced page by page as a daily run syncs its partition: read, the pair's mapping, `sync`."""
    resources = _resources(home, ledger_url, urls, dataverse)
    source, target = resources["oracle_ebs"], resources["dynamics_sales"]
    session, client = source.session(), target.session()
    ledger, rules, run_id = resources["ledger"].ledger(), mapping.load_pair_rules(), uuid.uuid4().hex
    written = 0
    with harness.Stopwatch() as clock:
        for page in batched(party_ids, PAGE):
            frames = oracle_ebs.snapshot_frames(oracle_ebs.read_parties(session, source, page))
            result = account_payloads(frames, rules, target.external_id_column, as_of(source))
            sync_target = SyncTarget(ACCOUNTS.pair, ACCOUNTS.target_object, ACCOUNTS.writer(client), target.batch_size)
            summary = sync(result, sync_target, ledger, run_id=run_id, partition=None)
            written += summary.created + summary.updated
    return {
        "written": written,
        "started_at": clock.started_at,
        "ended_at": clock.ended_at,
        "calls": client.counter.total,
    }


def _mapped(resources: dict, session, limit: int | None) -> Iterator[list[TargetRecord]]:
    """The pages the initial load reads, mapped by the pair's mapping; records that may only update (an inactive
    account never written) left out, as the connector skips them; `limit` records at most."""
    obj, source, target, left = _accounts(), resources["oracle_ebs"], resources["dynamics_sales"], limit
    for page in obj.pages(SourceRead(source, session, None, PAGE)):
        records = [r for r in obj.map(page.rows, MapInput(source, target, None)).records if not r.update_only]
        if left is not None:
            records, left = records[:left], left - len(records[:left])
        yield records
        if left == 0:
            return


def _patch(client, record: TargetRecord) -> WriteResult:
    path = client.key_path("account", record.source_key)
    response = client.http.patch(path, json=record.payload, headers={"Content-Type": "application/json"})
    return WriteResult(record.source_key, response.status_code < 300, path)


def naive_load(mode: str, home: str, urls: dict[str, str], dataverse: dict, limit: int | None) -> dict:
    """A hand-written loader with no ledger: the same reads and mapping, then `bulk` (UpsertMultiple of the
    resource's batch size), `threaded` (one PATCH per record from 16 threads) or `sequential` (one PATCH at a time)."""
    resources = _resources(home, f"sqlite:///{home}/unused.sqlite", urls, dataverse)
    session, client = resources["oracle_ebs"].session(), resources["dynamics_sales"].session()
    batch = resources["dynamics_sales"].batch_size
    written = failed = 0
    with harness.Stopwatch() as clock:
        for records in _mapped(resources, session, limit):
            if mode == "bulk":
                results = [r for part in batched(records, batch) for r in client.upsert("account", part)]
            elif mode == "threaded":
                results = harness.threaded(lambda record: _patch(client, record), records)
            else:
                results = [_patch(client, record) for record in records]
            written += sum(r.ok for r in results)
            failed += sum(not r.ok for r in results)
    return {
        "seconds": clock.seconds,
        "written": written,
        "failed": failed,
        "write_calls": client.counter.writes,
        "read_calls": client.counter.total - client.counter.writes,
    }


def _digest(rows: Iterator[dict]) -> dict:
    """How many rows, and one hash of them all (the extracted columns, in accountid order): equal digests, the same
    records with the same values."""
    held = sorted(json.dumps([row.get(c) for c in EXTRACTED], default=str) for row in rows)
    return {"rows": len(held), "digest": hashlib.sha256("\n".join(held).encode()).hexdigest()[:16]}


def connector_extract(home: str, urls: dict[str, str], dataverse: dict) -> dict:
    target = _resources(home, f"sqlite:///{home}/unused.sqlite", urls, dataverse)["dynamics_sales"]
    client = target.session()  # `target` kept: the session closes with its resource
    with harness.Stopwatch() as clock:
        found = _digest(client.rows("account", EXTRACTED))
    return {**found, "seconds": clock.seconds, "calls": client.counter.total}


def dlt_extract(urls: dict[str, str], page_size: int) -> dict:
    """dlt's `rest_api` source on the Web API's accounts: the bearer token from the same Entra tenant, Dataverse's
    paging (`Prefer: odata.maxpagesize`, then `@odata.nextLink` verbatim) and the rows under `value`."""
    from dlt.sources.rest_api import rest_api_source

    environment = urls["dynamics_sales"]
    token = httpx.post(
        f"{urls['entra']}/{SANDBOX.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": SANDBOX.client_id,
            "client_secret": SANDBOX.client_secret,
            "scope": f"{environment}/.default",
        },
    ).json()["access_token"]
    source = rest_api_source(
        {
            "client": {
                "base_url": f"{environment}/api/data/v9.2/",
                "auth": {"type": "bearer", "token": token},
                "headers": {"Prefer": f"odata.maxpagesize={page_size}"},
                "paginator": {"type": "json_link", "next_url_path": "['@odata.nextLink']"},
            },
            "resources": [
                {
                    "name": "accounts",
                    "endpoint": {
                        "path": "accounts",
                        "params": {"$select": ",".join(EXTRACTED)},
                        "data_selector": "value",
                    },
                }
            ],
        }
    )
    with harness.Stopwatch() as clock:
        found = _digest(iter(source.resources["accounts"]))
    return {**found, "seconds": clock.seconds}


# In this process ---------------------------------------------------------------------------------------------------
def seed(parties: int) -> OracleEbsEmulator:
    started = time.perf_counter()
    ebs = OracleEbsEmulator(parties=parties, vendors=parties // 8, start_date=START, days=1, purchase_orders=0)
    print(f"seeded {parties:,} EBS organizations in {time.perf_counter() - started:.0f} s", flush=True)
    return ebs


def organizations(ebs: OracleEbsEmulator, count: int) -> list[str]:
    rows = ebs.rows("HZ_PARTIES", PARTY_TYPE="ORGANIZATION")
    return sorted((str(row["PARTY_ID"]) for row in rows), key=int)[:count]


def rate(figures: dict) -> float:
    return harness.ratio(figures["written"], figures["seconds"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="EBS organizations, initial load; the first also 1.-3.")
    parser.add_argument("--daily-sizes", default="2000,10000", help="EBS organizations, daily partition ('': none)")
    parser.add_argument("--latency-ms", type=int, default=25, help="per Dataverse call, loaders and extraction")
    parser.add_argument("--scale-latency-ms", type=int, default=100, help="per Dataverse call, scale runs")
    parser.add_argument("--threaded-sample", type=int, default=10000, help="records the 16-thread loader sends")
    parser.add_argument("--sequential-sample", type=int, default=2000, help="records the sequential loader sends")
    parser.add_argument("--concurrent-parties", type=int, default=2000, help="parties the two runs share")
    parser.add_argument("--concurrent-limit", type=int, default=20, help="requests per window, two-run case")
    parser.add_argument("--concurrent-window", type=int, default=4, help="seconds, two-run case")
    parser.add_argument("--concurrent-batch", type=int, default=10, help="records per write call, two-run case")
    parser.add_argument(
        "--scale-only", action="store_true", help="only the scale runs (4.), not the loaders, dlt or the two runs"
    )
    args = parser.parse_args()
    paths = {"initial": _sizes(args.sizes), "daily": _sizes(args.daily_sizes)}
    print(f"machine: {harness.machine()}", flush=True)
    entra, sales = harness.behind_entra(DynamicsSalesEmulator)
    goals: list[harness.Goal] = []
    scale: dict[str, dict[int, dict]] = {path: {} for path in paths}
    lifted = {"requests_per_window": UNLIMITED}
    with tempfile.TemporaryDirectory() as home, harness.served([entra, sales]) as target_server:
        for size in sorted(set(paths["initial"]) | set(paths["daily"])):
            ebs = seed(size)
            with harness.served([ebs]) as source_server:
                urls = {**target_server.urls, "oracle_ebs": source_server.urls["oracle_ebs"]}
                if paths["initial"] and size == paths["initial"][0] and not args.scale_only:
                    for lines, found in (
                        compare_loaders(args, home, urls, sales, lifted, size),
                        two_runs(args, home, urls, sales, organizations(ebs, args.concurrent_parties)),
                    ):
                        print("\n".join(lines), flush=True)  # said when measured: a run stopped later keeps it
                        goals += found
                for path, sizes in paths.items():
                    if size in sizes:
                        scale[path][size] = scale_runs(args, home, urls, sales, ebs, size, path)
            del ebs
            gc.collect()
    lines, found = render_scale(args, scale)
    print("\n".join(["", f"machine: {harness.machine()}", *lines, "", harness.goals([*goals, *found])]))
    return 0


def _sizes(text: str) -> list[int]:
    return [int(size) for size in text.split(",") if size.strip()]


def compare_loaders(args, home: str, urls: dict, sales, lifted: dict, size: int) -> list[str]:
    sales.update_settings(lifted)
    sales.faults.latency_ms = args.latency_ms
    loaders = {
        "connector (initial load)": lambda: harness.in_child(
            connector_initial_load, home, f"sqlite:///{home}/compare.sqlite", urls, lifted
        ),
        "plain bulk, no ledger": lambda: harness.in_child(naive_load, "bulk", home, urls, lifted, None),
        f"{harness.THREADS} threads, one PATCH each": lambda: harness.in_child(
            naive_load, "threaded", home, urls, lifted, args.threaded_sample
        ),
        "sequential, one PATCH each": lambda: harness.in_child(
            naive_load, "sequential", home, urls, lifted, args.sequential_sample
        ),
    }
    results, extraction = {}, []
    for name, run in loaders.items():
        sales.reset()
        print(f"{size:,} organizations: {name} ...", flush=True)
        results[name] = run()
        if name.startswith("plain bulk"):
            extraction = compare_extraction(args, home, urls, lifted)
    connector, bulk, threaded, sequential = results.values()
    report = [
        "",
        f"1. loaders: {size:,} EBS organizations, Dataverse at {args.latency_ms} ms per call, its limit lifted; "
        "records/s = accounts written per second, end to end (read, map, write)",
        harness.table(
            [
                ("loader", 30),
                ("accounts", 10),
                ("failed", 8),
                ("s", 8),
                ("records/s", 11),
                ("write calls", 13),
                ("read calls", 12),
                ("peak MB", 9),
                ("of which start", 16),
            ],
            [
                (
                    name,
                    r["written"],
                    r["failed"],
                    r["seconds"],
                    rate(r),
                    r["write_calls"],
                    r["read_calls"],
                    r["peak_mb"],
                    r["start_mb"],
                )
                for name, r in results.items()
            ],
        ),
        "",
        *(
            f"records/s: connector / {name} = {harness.ratio(rate(connector), rate(r)):.2f}x"
            for name, r in results.items()
            if r is not connector
        ),
        *extraction,
    ]
    goals = [
        harness.Goal(
            f"records/s vs {harness.THREADS}-thread per-record loader",
            harness.ratio(rate(connector), rate(threaded)),
            1.5,
            at_least=True,
        ),
        harness.Goal(
            "records/s vs plain bulk loader, no ledger", harness.ratio(rate(connector), rate(bulk)), 0.9, at_least=True
        ),
    ]
    return report, goals


def compare_extraction(args, home: str, urls: dict, lifted: dict) -> list[str]:
    print("extraction: the connector's client, then dlt's rest_api ...", flush=True)
    ours = harness.in_child(connector_extract, home, urls, lifted)
    try:
        import dlt  # noqa: F401
    except ImportError:
        return ["", "2. extraction beside dlt: skipped, dlt is not installed (pip install -e '.[bench]')"]
    theirs = harness.in_child(dlt_extract, urls, MAX_PAGE_SIZE)
    same = ours["digest"] == theirs["digest"] and ours["rows"] == theirs["rows"]
    return [
        "",
        f"2. extraction of the accounts back from Dataverse ({args.latency_ms} ms per call, pages of 5,000), "
        f"columns {', '.join(EXTRACTED)}",
        harness.table(
            [("extractor", 30), ("rows", 10), ("s", 8), ("rows/s", 10), ("peak MB", 9), ("digest", 18)],
            [
                (
                    "connector (DataverseClient)",
                    ours["rows"],
                    ours["seconds"],
                    harness.ratio(ours["rows"], ours["seconds"]),
                    ours["peak_mb"],
                    ours["digest"],
                ),
                (
                    "dlt rest_api",
                    theirs["rows"],
                    theirs["seconds"],
                    harness.ratio(theirs["rows"], theirs["seconds"]),
                    theirs["peak_mb"],
                    theirs["digest"],
                ),
            ],
        ),
        f"record for record: {'the same rows and values' if same else 'DIFFERENT'}; rows/s connector / dlt = "
        f"{harness.ratio(theirs['seconds'], ours['seconds']):.2f}x",
    ]


def two_runs(args, home: str, urls: dict, sales, parties: list[str]) -> list[str]:
    limit, window = args.concurrent_limit, args.concurrent_window
    sales.reset()
    sales.update_settings({"requests_per_window": limit, "window_seconds": window})
    sales.faults.latency_ms = args.latency_ms
    # Each run is configured as an operator would for this user's limit: 90 % of it, the resource's default share.
    own_budget = {
        "requests_per_window": max(1, limit * 9 // 10),
        "window_seconds": window,
        "batch_size": args.concurrent_batch,
    }
    halves = [parties[0::2], parties[1::2]]
    print(f"two runs at once, {len(parties):,} parties, limit {limit} requests per {window} s ...", flush=True)
    taken = harness.Served.since(sales)
    ledger_url = f"sqlite:///{home}/two_runs.sqlite"
    runs = harness.in_children(connector_sync, [(home, ledger_url, urls, own_budget, half) for half in halves])
    served = taken.taken()
    seconds = max(r["ended_at"] for r in runs) - min(r["started_at"] for r in runs)
    admitted = served.requests - served.throttled
    share = admitted / (seconds * limit / window)
    goals = [
        harness.Goal("two concurrent runs: 429 answers", served.throttled, 0, at_least=False, unit=""),
        harness.Goal("two concurrent runs: share of the ceiling used", 100 * share, 85, at_least=True, unit="%"),
    ]
    return [
        "",
        f"3. two runs at once into one Dataverse user limited to {limit} requests per {window} s "
        f"({limit / window:.1f}/s), each syncing {len(halves[0]):,} parties, {args.concurrent_batch} records a write "
        f"call, each with its own client budget of {own_budget['requests_per_window']} per {window} s",
        f"accounts written {sum(r['written'] for r in runs):,}; {served.requests:,} requests served, "
        f"{served.throttled} answered 429; {seconds:.1f} s from the first run's start to the last one's end; "
        f"{admitted:,} admitted = {share:.0%} of the ceiling over that time",
    ], goals


def scale_runs(args, home: str, urls: dict, sales, ebs, size: int, path: str) -> dict:
    """A path's passes at this size, into an empty Dataverse and an empty ledger, each pass in its own process."""
    sales.reset()
    sales.update_settings({"requests_per_window": DATAVERSE_CEILING[0], "window_seconds": DATAVERSE_CEILING[1]})
    sales.faults.latency_ms = args.scale_latency_ms
    name, labels = PATHS[path]
    ledger_url = f"sqlite:///{home}/scale_{path}_{size}.sqlite"
    passes = {}
    for label in labels:
        print(f"{size:,} organizations: {name}, {label} ...", flush=True)
        target, source = harness.Served.since(sales), harness.Served.since(ebs)
        # The emulators serve from this process: its CPU meanwhile is theirs (and the wait for the child's answer).
        with harness.CpuClock() as emulators:
            if path == "daily":
                r = harness.in_child(connector_daily, home, ledger_url, urls, START.isoformat())
            else:
                r = harness.in_child(connector_initial_load, home, ledger_url, urls, {})
        served = target.taken()
        r.update(
            emulator_cpu_seconds=emulators.seconds,
            requests=served.requests,
            throttled=served.throttled,
            read_calls=served.requests - served.throttled - r["write_calls"],
            source_calls=source.taken().requests,
        )
        passes[label] = r
        # Said as soon as measured: a long case stopped later still has its figures.
        print(
            f"  {r['seconds']:.0f} s (CPU: {r['cpu_seconds']:.0f} s the connector's, "
            f"{r['emulator_cpu_seconds']:.0f} s the emulators'), {r['written']:,} written, "
            f"{r['unchanged']:,} unchanged, "
            f"{r['write_calls']:,} write and {r['read_calls']:,} read calls to Dataverse, "
            f"{r['source_calls']:,} calls to EBS (all reads), {served.throttled} × 429, "
            f"peak {r['peak_mb']:.0f} MB",
            flush=True,
        )
    return passes


def render_scale(args, scale: dict[str, dict[int, dict]]) -> tuple[list[str], list[harness.Goal]]:
    per_second = DATAVERSE_CEILING[0] / DATAVERSE_CEILING[1]
    rows = [
        (
            f"{size:,} {PATHS[path][0]}, {label}",
            r["read"],
            r["written"],
            r["unchanged"],
            r["failed"],
            r["seconds"],
            r["cpu_seconds"],
            r["emulator_cpu_seconds"],
            r["write_calls"],
            r["read_calls"],
            r["source_calls"],
            r["throttled"],
            f"{r['requests'] / (r['seconds'] * per_second):.0%}",
            r["peak_mb"],
            r["start_mb"],
        )
        for path, sizes in scale.items()
        for size, passes in sizes.items()
        for label, r in passes.items()
    ]
    report = [
        "",
        "4. scale: EBS organizations changed on one day (with their accounts, sites, contacts, suppliers): the "
        "pair's daily job for that partition, then again over unchanged data; the initial load of every party; "
        f"each pass in its own process; Dataverse at {args.scale_latency_ms} ms per call under its limit of "
        f"{DATAVERSE_CEILING[0]:,} requests per {DATAVERSE_CEILING[1]} s; CPU s = the connector process's own CPU "
        "time (all its threads), emul. CPU s = the emulators' (they serve from this script's process); read calls = "
        "Dataverse requests served that were not writes (agreement checks included); EBS calls = every request the EBS "
        "service served (all reads: window pages, reads by key, a rerun's window digests, sign-in and sign-out); "
        "records = source records the pass mapped (a rerun whose windows are unchanged maps none)",
        harness.table(
            [
                ("organizations, run, pass", 40),
                ("records", 9),
                ("written", 9),
                ("unchanged", 10),
                ("failed", 8),
                ("s", 8),
                ("CPU s", 8),
                ("emul. CPU s", 12),
                ("write calls", 12),
                ("read calls", 11),
                ("EBS calls", 10),
                ("429s", 6),
                ("of ceiling", 11),
                ("peak MB", 9),
                ("of which start", 16),
            ],
            rows,
        ),
    ]
    goals = []
    for path, sizes in scale.items():
        if len(sizes) > 1:
            smallest, largest = min(sizes), max(sizes)
            goals += [
                harness.Goal(
                    f"peak memory {largest:,} / {smallest:,}, {PATHS[path][0]}, {label}",
                    sizes[largest][label]["peak_mb"] / sizes[smallest][label]["peak_mb"],
                    1.5,
                    at_least=False,
                )
                for label in sizes[largest]
            ]
    if scale["daily"]:
        noop = 100000 if 100000 in scale["daily"] else max(scale["daily"])
        first, rerun = scale["daily"][noop]["first sync"], scale["daily"][noop]["rerun"]
        goals += [
            harness.Goal(
                f"no-op rerun of {noop:,}: share of the first sync's time",
                100 * rerun["seconds"] / first["seconds"],
                10,
                at_least=False,
                unit="%",
            ),
            harness.Goal(f"no-op rerun of {noop:,}: write calls", rerun["write_calls"], 0, at_least=False, unit=""),
            # "Of the order of N/1,000, not N/100": at most twice N/1,000. Every call of the rerun that is not a
            # write counts, the EBS ones (window digests, sign-in and sign-out) with Dataverse's; N is the
            # partition's records, which the first sync read (a rerun that finds its windows unchanged reads none).
            harness.Goal(
                f"no-op rerun of {noop:,}: read calls (Dataverse and EBS, window digests included) per 1,000 records",
                1000 * (rerun["read_calls"] + rerun["source_calls"]) / max(1, first["read"]),
                2,
                at_least=False,
                unit="",
            ),
        ]
    if scale["initial"]:
        largest = max(scale["initial"])
        load = scale["initial"][largest]["first sync"]
        floor_seconds = math.ceil(load["written"] / 1000) / per_second
        goals += [
            harness.Goal(
                f"initial load of {largest:,} at {args.scale_latency_ms} ms: share of the request ceiling",
                100 * load["requests"] / (load["seconds"] * per_second),
                50,
                at_least=True,
                unit="%",
            ),
            harness.Goal(
                f"initial load of {largest:,}: time / (ceil(N/1,000) / ceiling rate = {floor_seconds:.0f} s)",
                load["seconds"] / floor_seconds,
                1.2,
                at_least=False,
            ),
        ]
    return report, goals


if __name__ == "__main__":
    raise SystemExit(main())
