"""Benchmark: EBS parties → Dataverse accounts, the connector's loader against a one-call-per-record loader.

Both load the same mapped accounts into the Dataverse emulator over real HTTP with the same per-call latency, each
in its own process (so peak memory is the loader's alone), and this prints, measured in this one run: records per
second, write calls per 1,000 changed records, peak memory (of the whole loader process, and what loading added above
the peak of starting it), and the ratios. The baseline loads a sample (default 2,000 records) because at one call
per record the full set would take minutes; its figures are per record and per second, so they compare directly.
A second connector pass over unchanged data shows what a rerun costs.

    python bench/ebs_to_dataverse.py [--parties 20000] [--latency-ms 25] [--baseline-sample 2000]
"""

import argparse
import multiprocessing
import resource
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from ml_connector_dagster.connections import sandbox_resources
from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.loading import TargetRecord, WriteResult, load
from ml_connector_dagster.mapping import oracle_ebs_dynamics_sales as mapping
from ml_connector_dagster.materialize import frame_models
from ml_connector_dagster.sandbox.stack import SeedSize, build_sandbox
from ml_connector_dagster.settings import Settings


class OneCallPerRecord:
    """The baseline: what a hand-written integration does, one keyed PATCH per record."""

    def __init__(self, client):
        self.client = client

    def upsert(self, target_object: str, records: Sequence[TargetRecord]) -> list[WriteResult]:
        results = []
        for record in records:
            path = self.client.key_path(target_object, record.source_key)
            response = self.client.http.patch(path, json=record.payload, headers={"Content-Type": "application/json"})
            results.append(
                WriteResult(
                    record.source_key,
                    response.status_code < 300,
                    path,
                    error_class=None if response.status_code < 300 else "validation",
                    error_message=None if response.status_code < 300 else response.text[:200],
                )
            )
        return results


def extract_and_map(config: Settings, urls: dict[str, str], size: SeedSize) -> list[TargetRecord]:
    ebs = sandbox_resources(config, urls, oracle_ebs={"page_size": 1000})["oracle_ebs"]
    start = datetime.combine(size.start_date, datetime.min.time(), UTC)
    end = start + timedelta(days=size.days)
    with ebs.open() as service:

        def read(method: str, model, **params):
            return frame_models(
                pd.DataFrame(list(service.read_window(method, start, end, **params)), dtype=object), model
            )

        result = mapping.map_accounts(
            read("GET_PARTIES", mapping.Party, P_PARENT_REL_CODE="SUBSIDIARY_OF"),
            read("GET_CUST_ACCOUNTS", mapping.CustAccount),
            read("GET_PARTY_SITES", mapping.PartySite),
            read("GET_VENDORS", mapping.Vendor),
            read("GET_VENDOR_SITES", mapping.VendorSite),
            mapping.Rules(),
            key_column="mlc_externalid",
            today=end.date(),
        )
    return result.records


def _load_in_child(mode: str, config: Settings, urls: dict[str, str], records: list[TargetRecord], queue) -> None:
    sales = sandbox_resources(config, urls)["dynamics_sales"]
    ledger = Ledger(config.ledger_url)
    before_mb = _peak_mb()
    with sales.open() as client:
        writer = client if mode == "connector" else OneCallPerRecord(client)
        batch = sales.batch_size if mode == "connector" else 1
        figures = []
        for attempt in ("first sync", "rerun, nothing changed") if mode == "connector" else ("first sync",):
            writes, started = client.counter.writes, time.perf_counter()
            summary = load(
                records,
                writer=writer,
                ledger=ledger,
                pair=mapping.PAIR,
                target_object="account",
                batch_size=batch,
                run_id=None,
                partition=None,
            )
            figures.append(
                {
                    "pass": attempt,
                    "seconds": time.perf_counter() - started,
                    "changed": summary.created + summary.updated,
                    "failed": summary.failed,
                    "write_calls": client.counter.writes - writes,
                }
            )
    ledger.dispose()
    queue.put({"passes": figures, "peak_mb": _peak_mb(), "load_mb": _peak_mb() - before_mb})


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_loader(mode: str, config: Settings, urls: dict[str, str], records: list[TargetRecord]) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_load_in_child, args=(mode, config, urls, records, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parties", type=int, default=20000)
    parser.add_argument("--latency-ms", type=int, default=25, help="added to every Dataverse call")
    parser.add_argument("--baseline-sample", type=int, default=2000)
    args = parser.parse_args()
    size = SeedSize(parties=args.parties, vendors=max(1, args.parties // 8), days=7)
    with tempfile.TemporaryDirectory() as home:
        with build_sandbox(size=size) as sandbox:
            print(f"seeded {args.parties} EBS parties; extracting and mapping ...", flush=True)
            base = Settings(home=Path(home), ledger_url=f"sqlite:///{home}/unused.sqlite", start_date=size.start_date)
            records = extract_and_map(base, sandbox.urls, size)
            sandbox["dynamics_sales"].faults.latency_ms = args.latency_ms
            results = {}
            for mode, sample in (("connector", records), ("one call per record", records[: args.baseline_sample])):
                sandbox["dynamics_sales"].reset()
                config = Settings(
                    home=Path(home),
                    ledger_url=f"sqlite:///{home}/{mode.replace(' ', '_')}.sqlite",
                    start_date=size.start_date,
                )
                print(f"loading {len(sample)} accounts: {mode} ...", flush=True)
                results[mode] = run_loader(mode, config, sandbox.urls, sample)
    print(render(results, args.latency_ms))
    return 0


def render(results: dict, latency_ms: int) -> str:
    def first(mode: str) -> dict:
        return results[mode]["passes"][0]

    def rate(mode: str) -> float:
        return first(mode)["changed"] / first(mode)["seconds"]

    def per_thousand(mode: str) -> float:
        return 1000 * first(mode)["write_calls"] / max(1, first(mode)["changed"])

    lines = [
        f"Dataverse latency per call: {latency_ms} ms",
        "",
        f"{'loader':<22}{'records':>9}{'records/s':>12}{'write calls/1,000':>19}{'peak MB':>10}"
        f"{'added by loading':>18}",
    ]
    for mode in results:
        lines.append(
            f"{mode:<22}{first(mode)['changed']:>9}{rate(mode):>12.0f}{per_thousand(mode):>19.1f}"
            f"{results[mode]['peak_mb']:>10.1f}{results[mode]['load_mb']:>18.1f}"
        )
    base, ours = "one call per record", "connector"
    lines += [
        "",
        f"throughput: connector / baseline = {rate(ours) / rate(base):.1f}x",
        f"write calls per 1,000 changed: baseline / connector = {per_thousand(base) / per_thousand(ours):.0f}x",
        f"peak memory (whole loader process): connector / baseline = "
        f"{results[ours]['peak_mb'] / results[base]['peak_mb']:.2f}x",
    ]
    for figures in results[ours]["passes"][1:]:
        lines.append(f"connector {figures['pass']}: {figures['write_calls']} write calls, {figures['seconds']:.1f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
