"""Benchmark: Salesforce deals → F&O sales orders, the connector's writer against a one-call-per-write writer.

Both create the same orders (1–4 lines each) in the F&O emulator over real HTTP with the same per-call latency and
check for an existing order first, as both must (F&O has no upsert). The connector looks 20 references up per query
and sends 20 orders per `$batch`, each order its own change set; the baseline, what a hand-written integration
does, looks each order up, posts its header, then posts each line. This prints, measured in this one run: orders per
second, API calls per 100 orders, and the ratios; then what a rerun over the same deals costs the connector.

    python bench/salesforce_to_fo_orders.py [--orders 1000] [--latency-ms 25] [--baseline-sample 200]
"""

import argparse
import random
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from ml_connector_dagster.connections import sandbox_resources
from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.loading import TargetRecord, WriteResult, load
from ml_connector_dagster.mapping.salesforce_dynamics_fo import PAIR, SALES_ORDERS
from ml_connector_dagster.sandbox.stack import SeedSize, build_sandbox
from ml_connector_dagster.settings import Settings


class OneCallPerWrite:
    """The baseline: one lookup per order, then the header, then each line, each its own request."""

    def __init__(self, client):
        self.client = client

    def upsert(self, target_object: str, records: Sequence[TargetRecord]) -> list[WriteResult]:
        results = []
        for record in records:
            found = list(self.client.rows(SALES_ORDERS, filter=f"CustomersOrderReference eq '{record.source_key}'"))
            if found:
                results.append(WriteResult(record.source_key, True, found[0]["SalesOrderNumber"], created=False))
                continue
            header = self.client.create(SALES_ORDERS, record.payload["header"])
            for line in record.payload["lines"]:
                self.client.create(
                    "SalesOrderLines",
                    {**line, "dataAreaId": header["dataAreaId"], "SalesOrderNumber": header["SalesOrderNumber"]},
                )
            results.append(WriteResult(record.source_key, True, header["SalesOrderNumber"], created=True))
        return results


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
    ledger = Ledger(ledger_url)
    passes = []
    with fo_resource.open() as client:
        writer = client if mode == "connector" else OneCallPerWrite(client)
        for label in ("first sync", "rerun, nothing changed") if mode == "connector" else ("first sync",):
            calls, started = client.counter.total, time.perf_counter()
            summary = load(
                records,
                writer=writer,
                ledger=ledger,
                pair=PAIR,
                target_object=SALES_ORDERS,
                batch_size=fo_resource.batch_size if mode == "connector" else 1,
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=25, help="added to every F&O call")
    parser.add_argument("--baseline-sample", type=int, default=200)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as home, build_sandbox(size=SeedSize(fo_customers=120)) as sandbox:
        fo = sandbox["dynamics_fo"]
        records = orders(fo, args.orders)
        fo.faults.latency_ms = args.latency_ms
        for mode, sample in (("connector", records), ("one call per write", records[: args.baseline_sample])):
            config = Settings(home=Path(home), ledger_url=f"sqlite:///{home}/{mode.replace(' ', '_')}.sqlite")
            # Each loader writes its own deals: the baseline's references are made distinct from the connector's.
            if mode != "connector":
                sample = [
                    TargetRecord(
                        "006Sc" + r.source_key[5:],
                        {
                            **r.payload,
                            "header": {**r.payload["header"], "CustomersOrderReference": "006Sc" + r.source_key[5:]},
                        },
                    )
                    for r in sample
                ]
            print(f"creating {len(sample)} orders: {mode} ...", flush=True)
            results[mode] = run(mode, sandbox_resources(config, sandbox.urls)["dynamics_fo"], config.ledger_url, sample)
    print(render(results, args.latency_ms))
    return 0


def render(results: dict, latency_ms: int) -> str:
    def first(mode: str) -> dict:
        return results[mode][0]

    def rate(mode: str) -> float:
        return first(mode)["created"] / first(mode)["seconds"]

    def per_hundred(mode: str) -> float:
        return 100 * first(mode)["calls"] / max(1, first(mode)["created"])

    lines = [
        f"F&O latency per call: {latency_ms} ms",
        "",
        f"{'writer':<22}{'orders':>8}{'failed':>8}{'orders/s':>10}{'API calls/100 orders':>22}",
    ]
    for mode in results:
        lines.append(
            f"{mode:<22}{first(mode)['created']:>8}{first(mode)['failed']:>8}{rate(mode):>10.1f}"
            f"{per_hundred(mode):>22.1f}"
        )
    base, ours = "one call per write", "connector"
    lines += [
        "",
        f"throughput: connector / baseline = {rate(ours) / rate(base):.1f}x",
        f"API calls per 100 orders: baseline / connector = {per_hundred(base) / per_hundred(ours):.1f}x",
    ]
    for figures in results[ours][1:]:
        lines.append(f"connector {figures['pass']}: {figures['calls']} API calls, {figures['seconds']:.2f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
