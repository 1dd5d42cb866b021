"""Benchmark: Salesforce deals → F&O sales orders, the connector's writer against hand-written writers.

Every writer creates the same orders (1–4 lines each) in the F&O emulator over real HTTP with the same per-call
latency and checks for an existing order first, as every writer must (F&O has no upsert). The connector looks 20
references up per query and sends 20 orders per `$batch`, each order its own change set. The hand-written ones look
each order up, then: post the header and then each line (the sequential one-call-per-write writer); or send the order
as one change set (header and lines in one `$batch`, 2 calls an order, what a careful hand-written loader does), in
sequence or from 16 threads. This prints, measured in this one run: orders per second, API calls per 100 orders, the
ratios and the goal against the strongest of them; then what a rerun over the same deals costs the connector.

    python bench/salesforce_to_fo_orders.py [--orders 1000] [--latency-ms 25] [--baseline-sample 200]
        [--threaded-sample 1000]
"""

import argparse
import random
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import harness
from ml_connector_dagster.resources.dynamics_fo.targets import CROSS_COMPANY

from ml_connector_dagster.connections import sandbox_resources
from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.loading import TargetRecord, WriteResult, load
from ml_connector_dagster.mapping.salesforce_dynamics_fo import PAIR, SALES_ORDERS
from ml_connector_dagster.odata_batch import Operation
from ml_connector_dagster.sandbox.dynamics_fo import DynamicsFoEmulator
from ml_connector_dagster.settings import Settings


class HandWritten:
    """A hand-written writer: one lookup per order, then the order's writes, record after record or from threads."""

    def __init__(self, client, threads: int = 1):
        self.client, self.threads = client, threads

    def upsert(self, target_object: str, records: Sequence[TargetRecord]) -> list[WriteResult]:
        if self.threads > 1:
            return harness.threaded(self.write, records, self.threads)
        return [self.write(record) for record in records]

    def write(self, record: TargetRecord) -> WriteResult:
        found = list(self.client.rows(SALES_ORDERS, filter=f"CustomersOrderReference eq '{record.source_key}'"))
        if found:
            return WriteResult(record.source_key, True, found[0]["SalesOrderNumber"], created=False)
        return WriteResult(record.source_key, True, self.create(record), created=True)

    def create(self, record: TargetRecord) -> str:
        raise NotImplementedError


class OneCallPerWrite(HandWritten):
    """The header, then each line, each its own request."""

    def create(self, record: TargetRecord) -> str:
        header = self.client.create(SALES_ORDERS, record.payload["header"])
        for line in record.payload["lines"]:
            self.client.create(
                "SalesOrderLines",
                {**line, "dataAreaId": header["dataAreaId"], "SalesOrderNumber": header["SalesOrderNumber"]},
            )
        return header["SalesOrderNumber"]


class OneChangeSetPerOrder(HandWritten):
    """The header and its lines in one change set of their own `$batch`: created together or not at all."""

    def create(self, record: TargetRecord) -> str:
        parts = self.client.changeset(
            [
                Operation("POST", SALES_ORDERS, record.payload["header"]),
                *(Operation("POST", "$1/SalesOrderLines" + CROSS_COMPANY, line) for line in record.payload["lines"]),
            ]
        )
        return (parts[0].body or {}).get("SalesOrderNumber")


THREADED = f"one change set per order, {harness.THREADS} threads"
WRITERS = {
    "connector": None,
    THREADED: lambda client: OneChangeSetPerOrder(client, harness.THREADS),
    "one change set per order": OneChangeSetPerOrder,
    "one call per write": OneCallPerWrite,
}
PREFIXES = dict(zip(WRITERS, ("006Sb", "006Sd", "006Se", "006Sc"), strict=True))  # each writer its own deals


def orders(fo, count: int) -> list[TargetRecord]:
    """Deals of usmf customers with a currency, on usmf items, as the mapping makes them."""
    rng = random.Random(7)
    customers = [r["CustomerAccount"] for r in fo.rows("CustomersV3", dataAreaId="usmf") if r["SalesCurrencyCode"]]
    items = [r["ItemNumber"] for r in fo.rows("ReleasedProductsV2", dataAreaId="usmf")]
    return [
        TargetRecord(
            f"006Sb{n:010d}AAA",
            {
                "header": {
                    "dataAreaId": "usmf",
                    "OrderingCustomerAccountNumber": rng.choice(customers),
                    "CustomersOrderReference": f"006Sb{n:010d}AAA",
                    "RequestedShippingDate": "2026-11-30T12:00:00Z",
                },
                "lines": [
                    {
                        "ItemNumber": item,
                        "OrderedSalesQuantity": rng.randint(1, 20),
                        "SalesPrice": 10.0 * rng.randint(1, 90),
                        "LineDiscountPercentage": 0,
                    }
                    for item in rng.sample(items, rng.randint(1, 4))
                ],
            },
        )
        for n in range(count)
    ]


def run(mode: str, fo_resource, ledger_url: str, records: list[TargetRecord]) -> list[dict]:
    """The connector through the load loop and its ledger, twice (the second time nothing changed); a hand-written
    writer once over every record, with no ledger."""
    with fo_resource.open() as client:
        if WRITERS[mode] is not None:
            started = time.perf_counter()
            results = WRITERS[mode](client).upsert(SALES_ORDERS, records)
            return [
                {
                    "pass": "first sync",
                    "seconds": time.perf_counter() - started,
                    "created": sum(r.ok and bool(r.created) for r in results),
                    "failed": sum(not r.ok for r in results),
                    "calls": client.counter.total,
                }
            ]
        ledger, passes = Ledger(ledger_url), []
        for label in ("first sync", "rerun, nothing changed"):
            calls, started = client.counter.total, time.perf_counter()
            summary = load(
                records,
                writer=client,
                ledger=ledger,
                pair=PAIR,
                target_object=SALES_ORDERS,
                batch_size=fo_resource.batch_size,
            )
            passes.append(
                {
                    "pass": label,
                    "seconds": time.perf_counter() - started,
                    "created": summary.created,
                    "failed": summary.failed,
                    "calls": client.counter.total - calls,
                }
            )
        ledger.dispose()
    return passes


def renamed(records: list[TargetRecord], prefix: str) -> list[TargetRecord]:
    return [
        TargetRecord(
            prefix + r.source_key[5:],
            {**r.payload, "header": {**r.payload["header"], "CustomersOrderReference": prefix + r.source_key[5:]}},
        )
        for r in records
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=25, help="added to every F&O call")
    parser.add_argument("--baseline-sample", type=int, default=200, help="orders of the sequential writers")
    parser.add_argument("--threaded-sample", type=int, default=1000, help="orders of the threaded writer")
    args = parser.parse_args()
    print(f"machine: {harness.machine()}", flush=True)
    samples = {"connector": args.orders, THREADED: args.threaded_sample}
    results = {}
    entra, fo = harness.behind_entra(DynamicsFoEmulator, customers=120)
    with tempfile.TemporaryDirectory() as home, harness.served([entra, fo]) as sandbox:
        records = orders(fo, args.orders)
        fo.faults.latency_ms = args.latency_ms
        for mode, prefix in PREFIXES.items():
            sample = renamed(records[: samples.get(mode, args.baseline_sample)], prefix)
            config = Settings(home=Path(home), ledger_url=f"sqlite:///{home}/{prefix}.sqlite")
            print(f"creating {len(sample)} orders: {mode} ...", flush=True)
            results[mode] = run(mode, sandbox_resources(config, sandbox.urls)["dynamics_fo"], config.ledger_url, sample)
    print(render(results, args.latency_ms))
    return 0


def render(results: dict, latency_ms: int) -> str:
    def first(mode: str) -> dict:
        return results[mode][0]

    def rate(mode: str) -> float:
        return harness.ratio(first(mode)["created"], first(mode)["seconds"])

    def per_hundred(mode: str) -> float:
        return 100 * first(mode)["calls"] / max(1, first(mode)["created"])

    ours, strongest = "connector", THREADED
    lines = [
        "",
        f"machine: {harness.machine()}",
        f"F&O latency per call: {latency_ms} ms",
        harness.table(
            [("writer", 36), ("orders", 8), ("failed", 8), ("s", 8), ("orders/s", 10), ("API calls/100 orders", 22)],
            [
                (
                    mode,
                    first(mode)["created"],
                    first(mode)["failed"],
                    first(mode)["seconds"],
                    rate(mode),
                    per_hundred(mode),
                )
                for mode in results
            ],
        ),
        "",
        *(
            f"orders/s: connector / {mode} = {harness.ratio(rate(ours), rate(mode)):.1f}x; API calls per 100 orders "
            f"{mode} / connector = {harness.ratio(per_hundred(mode), per_hundred(ours)):.1f}x"
            for mode in results
            if mode != ours
        ),
    ]
    for figures in results[ours][1:]:
        lines.append(f"connector {figures['pass']}: {figures['calls']} API calls, {figures['seconds']:.2f} s")
    goal = harness.Goal(f"orders/s vs {strongest}", harness.ratio(rate(ours), rate(strongest)), 1.5, at_least=True)
    return "\n".join([*lines, "", harness.goals([goal])])


if __name__ == "__main__":
    raise SystemExit(main())
