"""Benchmark: Oracle EBS → Procore (suppliers, job-cost GL combinations and purchase orders as company vendors, cost
codes and purchase order contracts), the connector's jobs against a one-call-per-record loader; and Procore → EBS
(approved requisitions and commitment change orders as GL journals).

The sandbox (build_sandbox) is seeded with N suppliers and P purchase orders (most approved, every fifth still
incomplete; 1–4 lines each, a line split over two distributions a third of the time), all last changed on the day
before go-live; the EBS emulator, the connector's Procore company and an empty Procore company of the baseline's
answer over real HTTP with the same latency per call. Procore's hourly limit (3,600 requests per app and company) is
raised in both emulators: the bench counts the calls, it does not wait out the hour. The baseline is what a
hand-written loader does: it reads the same EBS rows, maps them with the same functions and sends each record in a
call of its own, reading nothing in Procore but each project's cost codes once (to link those a project controller
entered before go-live, as the mapping does): a POST per vendor and per cost code (divisions first), and per purchase
order a POST of the contract as a draft, a POST per line item (its schedule of values, which Procore locks once a
contract is approved) and a PATCH of its status; once in sequence on a sample, once from 16 threads on every record
(suppliers and purchase orders sent concurrently, each order's calls in order; cost codes in sequence, divisions
first). In this one run:

1. go-live: the connector's initial load (its default page of 500 source records, each page synced on its own) of
   every supplier, job-cost combination and purchase order, object by object; the baseline on a sample (at one call
   per record the whole set would take minutes; its figures are per record, so they compare directly, and the totals
   apply them to the connector's records);
2. a change day: a share of the synced suppliers renamed or moved (primary pay site), a share of the synced purchase
   orders edited in EBS (a third the header's description, two thirds a line's unit price) and a share of the
   incomplete ones approved, with the emulator's update_row; the connector's daily job for that day, and the
   baseline sending each changed record of its sample again (a PO whole: header, every line, status);
3. what a nothing-changed rerun costs: the daily job over the same day again (with --reload, the initial load too);
4. Procore → EBS: a project team's approved requisitions (work completed this period on every line) and approved
   commitment change orders on the synced contracts (the emulator's create_requisition / create_change_order and
   their edits); the reverse daily job posts each as one balanced journal, 100 a POST_JOURNALS call; its rerun
   must post nothing.

The floor is what Procore's sync actions allow, 1,000 entries a call: vendors ceil(N/1000); cost codes, per project
and wave (divisions, then the codes under them), ceil(n/1000); purchase order contracts, per project, the header sync
ceil(n/1000), plus one line-item sync per contract whose lines changed (a sync is per contract: its path names it),
plus, per project, one status sync ceil(m/1000) for the m contracts among those that are approved or closed (their
lines are locked, so they are written as drafts, their lines synced, then their status set). Printed: per object
records, seconds, records/s, write calls, write calls per 1,000 records against the floor, Procore and EBS calls (the
connector reads Procore before it writes: cost codes entered before go-live, a contract's current lines), the
ratios, and every write the edits did not call for (none expected). The emulators serve from threads of this
process, so their own work is in the times too.

    python bench/ebs_to_procore.py [--vendors 2000] [--parties 500] [--purchase-orders 1000] [--latency-ms 25]
        [--change-share 0.1] [--baseline-vendors 300] [--baseline-orders 100] [--costs 500] [--reload]
"""

import argparse
import math
import random
import tempfile
import threading
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import dagster as dg
import harness
import httpx
import pandas as pd
from ml_connector_dagster.assets.oracle_ebs import extracts as ebs_extracts
from ml_connector_dagster.assets.procore.oracle_ebs import initial_load_objects

from ml_connector_dagster.code_location import build_definitions
from ml_connector_dagster.connections import sandbox_resources
from ml_connector_dagster.initial_load import SourceRead, job_name, op_name
from ml_connector_dagster.loading import TargetRecord
from ml_connector_dagster.mapping import oracle_ebs_procore as mapping
from ml_connector_dagster.mapping.oracle_ebs import Vendor, VendorSite
from ml_connector_dagster.mapping.oracle_ebs_procore import CodeCombination, Distribution, Linked, PurchaseOrder
from ml_connector_dagster.materialize import frame_models
from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.oracle_ebs.seed import ORG_OF_HEADER
from ml_connector_dagster.sandbox.oracle_ebs.seed_purchasing import FIRST_HEADER_ID, GO_LIVE_ORDERS, SPLIT
from ml_connector_dagster.sandbox.procore import ProcoreEmulator
from ml_connector_dagster.sandbox.procore.settings import ProcoreSettings
from ml_connector_dagster.sandbox.server import SandboxServer
from ml_connector_dagster.sandbox.stack import SeedSize, build_sandbox
from ml_connector_dagster.settings import Settings
from ml_connector_dagster.spool import batched

FORWARD, REVERSE = "oracle_ebs__procore", "procore__oracle_ebs"
START = date(2026, 10, 1)  # the one seeded day: every EBS row was last changed on it
GO_LIVE, CHANGE_DAY, COST_DAY = (datetime(2026, 10, day, 12, 0, tzinfo=UTC) for day in (2, 3, 4))
SYNC_SIZE = 1000  # entries per Procore sync call
JOURNALS_PER_CALL = 100  # journals per POST_JOURNALS call
PROCORE_HOURLY = 3600  # Procore's limit: requests an hour per app and company
HOURLY_LIMIT = 10**7  # the emulators', raised: the bench counts the calls, it does not wait out the hour
LOCKED = ("approved", "closed")  # contract statuses whose line items Procore locks
OBJECTS = (mapping.VENDORS, mapping.COST_CODES, mapping.CONTRACTS)
DAILY = (mapping.VENDORS, mapping.CONTRACTS)  # what the change day edits
JOURNALS = "gl_journals"
LABELS = {mapping.VENDORS: "vendors", mapping.COST_CODES: "cost codes", mapping.CONTRACTS: "PO contracts"}
SHORT = {mapping.VENDORS: "vendors", mapping.COST_CODES: "cost_codes", mapping.CONTRACTS: "contracts"}
# The seed's purchase order charging two projects (seed_purchasing.SPLIT): the mapping refuses it, as it should.
REFUSED = {str(FIRST_HEADER_ID + GO_LIVE_ORDERS + SPLIT)}
CENT = Decimal("0.01")
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}  # the runs' own log, off the bench's output


@dataclass
class Written:
    """A record written to Procore, as the floor needs it: its project (None: company-wide) and, for a contract,
    whether its lines were written and whether it is approved or closed."""

    key: str
    project: int | None = None
    lines: bool = False
    locked: bool = False


@dataclass
class Figures:
    label: str
    target_object: str
    seconds: float | None = 0.0  # None: a part of a job timed whole
    written: list[Written] = field(default_factory=list)
    write_calls: int = 0
    procore_calls: int = 0  # served by the Procore emulator, reads and writes (and the token)
    ebs_calls: int = 0  # served by the EBS emulator (login, reads, POST_JOURNALS)
    unexpected: list[str] = field(default_factory=list)
    floor_calls: int | None = None  # a total's: the sum of its parts' floors

    @property
    def records(self) -> int:
        return len(self.written)

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0

    @property
    def floor(self) -> int:
        return floor(self.target_object, self.written) if self.floor_calls is None else self.floor_calls

    @classmethod
    def total(cls, label: str, parts: list["Figures"]) -> "Figures":
        return cls(
            label,
            "",
            seconds=None if any(p.seconds is None for p in parts) else sum(p.seconds for p in parts),
            written=[w for p in parts for w in p.written],
            write_calls=sum(p.write_calls for p in parts),
            procore_calls=sum(p.procore_calls for p in parts),
            ebs_calls=sum(p.ebs_calls for p in parts),
            floor_calls=sum(p.floor for p in parts),
        )

    def per_thousand(self, calls: int) -> float:
        return 1000 * calls / max(1, self.records)


def floor(target_object: str, written: list[Written]) -> int:
    """The fewest write calls Procore's sync actions allow for these records (the module docstring says why)."""

    def calls(n: int) -> int:
        return math.ceil(n / SYNC_SIZE)

    projects: dict[int | None, list[Written]] = {}
    for record in written:
        projects.setdefault(record.project, []).append(record)
    if target_object == JOURNALS:
        return math.ceil(len(written) / JOURNALS_PER_CALL)
    if target_object == mapping.VENDORS:
        return calls(len(written))
    if target_object == mapping.COST_CODES:
        return sum(
            calls(sum(r.key.startswith("division.") for r in rows))
            + calls(sum(not r.key.startswith("division.") for r in rows))
            for rows in projects.values()
        )
    return sum(
        calls(len(rows)) + sum(r.lines for r in rows) + calls(sum(r.lines and r.locked for r in rows))
        for rows in projects.values()
    )


class Meter:
    """What one phase cost, counted where the calls arrive: the emulators."""

    def __init__(self, procore, ebs):
        self.procore, self.ebs = procore, ebs

    def measure(self, figures: Figures, work: Callable[[Figures], None]) -> Figures:
        procore, ebs = harness.Served.since(self.procore), harness.Served.since(self.ebs)
        with harness.Stopwatch() as clock:
            work(figures)
        figures.seconds = clock.seconds
        figures.procore_calls = procore.taken().requests
        figures.ebs_calls = ebs.taken().requests
        return figures


# The baseline -----------------------------------------------------------------------------------------------------
class OneCallPerRecord:
    """A hand-written loader: plain httpx, one POST or PATCH per record (a contract's line items and its status are
    records of their own to Procore's API), no read first; Procore ids kept from the answers."""

    def __init__(
        self, procore_url: str, ebs_resource, rules: mapping.Rules, vendors: int, orders: int, threads: int = 1
    ):
        self.procore_url, self.ebs_resource, self.rules, self.threads = procore_url, ebs_resource, rules, threads
        self._counts = threading.Lock()
        self.sample_vendors, self.sample_orders = vendors, orders
        self._stack = ExitStack()
        self.ebs = self._stack.enter_context(ebs_resource.open())
        self.vendor_ids: dict[str, int] = {}  # VENDOR_ID → Procore id
        self.cost_code_ids: dict[str, int] = {}  # CODE_COMBINATION_ID or division key → Procore id
        self.contracts: dict[str, tuple[int, int]] = {}  # PO_HEADER_ID → (project, Procore id)
        self.line_ids: dict[str, int] = {}  # PO_DISTRIBUTION_ID → Procore line item id
        self.sample: list[dict] | None = None  # the headers of its purchase orders, as at go-live
        self.failures: list[str] = []

    def _procore(self) -> httpx.Client:
        """A client with a fresh access token (the emulator's clock moves a day between phases)."""
        answer = httpx.post(
            f"{self.procore_url}/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": SANDBOX.procore_client_id,
                "client_secret": SANDBOX.procore_client_secret,
            },
        ).json()
        return httpx.Client(
            base_url=f"{self.procore_url}/rest/v1.0",
            headers={
                "Authorization": f"Bearer {answer['access_token']}",
                "Procore-Company-Id": str(SANDBOX.procore_company_id),
            },
            timeout=60,
        )

    def _pages(self, name: str):
        """The pages of one of the initial load's master objects, read as it reads them."""
        obj = next(o for o in initial_load_objects(self.rules) if o.name == name)
        return obj.pages(SourceRead(self.ebs_resource, self.ebs, None, 500))

    def _moment(self) -> datetime:
        """The EBS server's time, as the connector's mapping takes it."""
        return self.ebs_resource.server_time(self.ebs.now())

    def close(self) -> None:
        self._stack.close()

    # go-live
    def go_live_vendors(self, figures: Figures) -> None:
        """Every supplier read as the initial load reads them; the first `sample_vendors` mapped ones and those the
        sample's purchase orders name sent."""
        vendors_of_orders = {str(row["VENDOR_ID"]) for row in self._sample()}
        records = []
        for page in self._pages(mapping.VENDORS):
            records += _vendor_records(page.rows, self.rules, self._moment())
        chosen = [r for n, r in enumerate(records) if n < self.sample_vendors or r.source_key in vendors_of_orders]
        with self._procore() as procore:

            def send(record: TargetRecord) -> None:
                body = {
                    "company_id": SANDBOX.procore_company_id,
                    "vendor": {**record.payload, "origin_id": record.source_key},
                }
                answer = self._send(figures, procore, "POST", "vendors", body, record.source_key)
                if answer is not None:
                    self.vendor_ids[record.source_key] = answer["id"]
                    figures.written.append(Written(record.source_key))

            harness.threaded(send, [record for record in chosen if not record.update_only], self.threads)

    def go_live_cost_codes(self, figures: Figures) -> None:
        """Every job-cost combination as the initial load reads them, each cost code sent (a code a project
        controller entered before go-live updated where it is)."""
        with self._procore() as procore:
            in_procore = {
                project: procore.get("cost_codes", params={"project_id": project, "per_page": 1000}).json()
                for project in sorted(self.rules.projects.values())
            }
            rows = []
            for page in self._pages(mapping.COST_CODES):
                rows += [CodeCombination.model_validate(row) for row in page.rows]
            mapped = mapping.map_cost_codes(
                rows, self.rules, as_of=self._moment(), linked=Linked({}), in_procore=in_procore
            )
            for record in mapped.result.records:  # divisions first, as the mapping lists them
                project = record.payload["project_id"]
                values = {
                    **{k: v for k, v in record.payload.items() if k != "project_id"},
                    "parent_id": self._id(self.cost_code_ids, record.payload["parent_id"]),
                    "origin_id": record.source_key,
                }
                linked = mapped.links.get(record.source_key)
                method, path = ("PATCH", f"cost_codes/{linked.rsplit(':', 1)[1]}") if linked else ("POST", "cost_codes")
                body = {"project_id": project, "cost_code": values}
                answer = self._send(figures, procore, method, path, body, record.source_key)
                if answer is not None:
                    self.cost_code_ids[record.source_key] = answer["id"]
                    figures.written.append(Written(record.source_key, project))

    def go_live_contracts(self, figures: Figures) -> None:
        self._send_orders(figures, self._orders([row["PO_HEADER_ID"] for row in self._sample()]))

    # the change day
    def change_day_vendors(self, figures: Figures, start: datetime, end: datetime) -> None:
        """The day's changed suppliers (window reads, then each supplier whole) of its sample, each sent again."""
        party_ids = {
            row["PARTY_ID"]
            for method in ("GET_VENDORS", "GET_VENDOR_SITES")
            for row in self.ebs.read_window(method, start, end)
        }
        snapshot = ebs_extracts.read_parties(self.ebs, self.ebs_resource, party_ids, ebs_extracts.SUPPLIER_TABLES)
        frames = {table: ebs_extracts.METHOD_TABLES[table].frame(rows) for table, rows in snapshot.items()}
        with self._procore() as procore:
            for record in _vendor_records(frames, self.rules, self._moment()):
                if record.source_key not in self.vendor_ids:
                    continue
                body = {"company_id": SANDBOX.procore_company_id, "vendor": record.payload}
                path = f"vendors/{self.vendor_ids[record.source_key]}"
                if self._send(figures, procore, "PATCH", path, body, record.source_key) is not None:
                    figures.written.append(Written(record.source_key))

    def change_day_contracts(self, figures: Figures, start: datetime, end: datetime) -> None:
        """The day's changed purchase orders of its sample, each sent whole again (it cannot tell which part
        changed): the header as a draft, every line, the status."""
        ids = [row["PO_HEADER_ID"] for row in self.ebs.read_window("GET_PURCHASE_ORDERS", start, end)]
        sample = {row["PO_HEADER_ID"] for row in self._sample()}
        ids = [key for key in ids if key in sample]
        self._send_orders(figures, self._orders(ids))

    # the writes
    def _sample(self) -> list[dict]:
        """The first `sample_orders` purchase orders (their headers), in PO_HEADER_ID order."""
        if self.sample is None:
            self.sample, after, more = [], "0", True
            while more and len(self.sample) < self.sample_orders:
                # GET_PURCHASE_ORDERS answers at most 1,000 headers a call
                rows, more = self.ebs.rows_after(
                    "GET_PURCHASE_ORDERS",
                    "P_AFTER_PO_HEADER_ID",
                    after,
                    min(1000, self.sample_orders - len(self.sample)),
                )
                self.sample += rows
                after = str(rows[-1]["PO_HEADER_ID"]) if rows else after
                more = more and bool(rows)
        return self.sample

    def _orders(self, ids: list[str]) -> list[tuple[PurchaseOrder, list[Distribution]]]:
        if not ids:
            return []
        headers = [
            header
            for chunk in batched(ids, ebs_extracts.MAX_KEYS_PER_CALL)
            for header in self.ebs.read_keys("GET_PURCHASE_ORDERS", ",".join(chunk), ids_param="P_PO_HEADER_IDS")
        ]
        orders = frame_models(pd.DataFrame(headers, dtype=object), PurchaseOrder)
        distributions = frame_models(
            ebs_extracts.DISTRIBUTIONS.frame(ebs_extracts.read_distributions(self.ebs, ids)), Distribution
        )
        lines: dict[str, list[Distribution]] = {}
        for line in distributions:
            lines.setdefault(line.PO_HEADER_ID, []).append(line)
        return [(order, lines.get(order.PO_HEADER_ID, [])) for order in orders]

    def _send_orders(self, figures: Figures, orders: list[tuple[PurchaseOrder, list[Distribution]]]) -> None:
        held = Linked({key: f"{project}:{id}" for key, (project, id) in self.contracts.items()})
        mapped = mapping.map_purchase_orders(
            [order for order, _ in orders], [line for _, lines in orders for line in lines], self.rules, contracts=held
        )
        with self._procore() as procore:

            def send(record: TargetRecord) -> None:
                if self._send_order(figures, procore, record):
                    payload = record.payload
                    figures.written.append(
                        Written(
                            record.source_key,
                            payload["project_id"],
                            bool(payload["line_items"]),
                            payload["status"] in LOCKED,
                        )
                    )

            chosen = [r for r in mapped.records if not r.update_only or r.source_key in self.contracts]
            harness.threaded(send, chosen, self.threads)

    def _send_order(self, figures: Figures, procore: httpx.Client, record: TargetRecord) -> bool:
        payload, key = record.payload, record.source_key
        project = payload["project_id"]
        header = {
            **{k: v for k, v in payload.items() if k not in ("project_id", "line_items", "moved_from")},
            "vendor_id": self._id(self.vendor_ids, payload["vendor_id"]),
            "status": "draft",
            "executed": False,
            "origin_id": key,
        }
        body = {"project_id": project, "purchase_order_contract": header}
        if key in self.contracts:
            answer = self._send(
                figures, procore, "PATCH", f"purchase_order_contracts/{self.contracts[key][1]}", body, key
            )
        else:
            answer = self._send(figures, procore, "POST", "purchase_order_contracts", body, key)
        if answer is None:
            return False
        self.contracts[key] = (project, answer["id"])
        path = f"purchase_order_contracts/{answer['id']}/line_items"
        for line in payload["line_items"]:
            item = {**line, "cost_code_id": self._id(self.cost_code_ids, line["cost_code_id"])}
            body = {"project_id": project, "line_item": item}
            known = self.line_ids.get(line["origin_id"])
            made = self._send(
                figures, procore, "PATCH" if known else "POST", f"{path}/{known}" if known else path, body, key
            )
            if made is None:
                return False
            self.line_ids[line["origin_id"]] = made["id"]
        if payload["status"] != "draft":
            status = {"status": payload["status"], "executed": payload["executed"]}
            body = {"project_id": project, "purchase_order_contract": status}
            if self._send(figures, procore, "PATCH", f"purchase_order_contracts/{answer['id']}", body, key) is None:
                return False
        return True

    def _id(self, ids: dict[str, int], value):
        return ids.get(value["origin_id"]) if isinstance(value, dict) else value

    def _send(self, figures: Figures, procore: httpx.Client, method: str, path: str, body: dict, key: str):
        response = procore.request(method, path, json=body)
        with self._counts:
            figures.write_calls += 1
        if response.status_code >= 300:
            self.failures.append(f"{method} {path} {key}: {response.status_code} {response.text[:200]}")
            return None
        return response.json()


def _vendor_records(frames: dict[str, pd.DataFrame], rules: mapping.Rules, moment: datetime) -> list[TargetRecord]:
    return mapping.map_vendors(
        frame_models(frames["po_vendors"], Vendor),
        frame_models(frames["po_vendor_sites_all"], VendorSite),
        rules,
        as_of=moment,
    ).records


# The connector ----------------------------------------------------------------------------------------------------
class Connector:
    """The code location's jobs, run in process on a test Dagster instance against the emulators."""

    def __init__(self, home: Path, urls: dict[str, str], instance: dg.DagsterInstance, procore: ProcoreEmulator):
        self.config = Settings(home=home, ledger_url=f"sqlite:///{home}/ledger.sqlite", start_date=START)
        self.urls = urls
        self.resources = sandbox_resources(self.config, urls)
        self.defs = build_definitions(self.config, self.resources)
        self.instance = instance
        self.ledger = self.resources["ledger"].ledger()
        self.procore = procore

    def fresh_ebs(self):
        """An EBS resource of its own, as the baseline's."""
        return sandbox_resources(self.config, self.urls)["oracle_ebs"]

    def initial_load(self, figures: Figures, target_object: str, *, restart: bool = False) -> str:
        """One object's step of the initial load job (the steps run in the job's order, one run each)."""
        job = self.defs.resolve_job_def(job_name(FORWARD))
        step = next(op_name(o) for o in initial_load_objects(mapping.load_pair_rules()) if o.name == target_object)
        result = job.execute_in_process(
            instance=self.instance,
            run_config={"ops": {step: {"config": {"restart": restart}}}, **QUIET},
            op_selection=[step],
        )
        figures.write_calls += result.output_for_node(step)["write_calls"]
        return result.run_id

    def daily(self, figures: dict[str, Figures], job: str, day: datetime) -> str:
        """One partition of a pair's daily job; `figures` (by target object) get the write calls of its loads."""
        result = self.defs.resolve_job_def(job).execute_in_process(
            partition_key=day.date().isoformat(), instance=self.instance, run_config=QUIET
        )
        loads = {f"oracle_ebs_{obj}": obj for obj in OBJECTS} | {f"procore_{JOURNALS}": JOURNALS}
        for event in result.get_asset_materialization_events():
            values = {k: v.value for k, v in event.materialization.metadata.items()}
            target_object = loads.get(event.asset_key.path[-1])
            if "write_calls" in values and target_object in figures:
                figures[target_object].write_calls += values["write_calls"]
        return result.run_id

    def written(self, run_id: str, target_object: str, lines: Callable[[str], bool] | None = None) -> list[Written]:
        """The records the run created or updated in `target_object`; a contract's lines were written when `lines`
        says so (None: when it has any, as at go-live, where every contract is new)."""
        contracts = {c["origin_id"]: c for c in self.procore.state("purchase_order_contracts") if c.get("origin_id")}
        with_lines = {line["holder"]["id"] for line in self.procore.state("line_items")}
        records = []
        for row in self.ledger.audit(run_id=run_id):
            if row["target_object"] != target_object or row["action"] not in ("created", "updated"):
                continue
            key, target = row["source_key"], row["target_id"] or ""
            project = int(target.split(":")[0]) if ":" in target else None
            contract = contracts.get(key, {})
            has_lines = contract.get("id") in with_lines if lines is None else lines(key)
            records.append(Written(key, project, has_lines, contract.get("status") in LOCKED))
        return records

    def unexpected(self, run_id: str, expected: Iterable[str] | None, *, missing: bool = False) -> list[str]:
        """The records this run wrote that are not among `expected` ("<target object> <key>"; None: any may be),
        and any it failed to write, grouped by object, action and fields, each group with its first record; with
        `missing`, the expected ones it did not write too."""
        wanted = None if expected is None else set(expected)
        groups: dict[tuple, list[dict]] = {}
        done = set()
        for row in self.ledger.audit(run_id=run_id):
            name = f"{row['target_object']} {row['source_key']}"
            if row["action"] in ("created", "updated"):
                done.add(name)
            if (row["action"] == "failed" and row["source_key"] not in REFUSED) or (
                row["action"] in ("created", "updated") and wanted is not None and name not in wanted
            ):
                fields = tuple(sorted(row["changes"] or {}))
                groups.setdefault((row["pair"], row["target_object"], row["action"], fields), []).append(row)
        found = [
            f"{len(rows)} x {pair} {obj} {action} (fields {', '.join(fields)}), e.g. {rows[0]['source_key']}: "
            f"{str(rows[0]['changes'])[:300]}"
            for (pair, obj, action, fields), rows in groups.items()
        ]
        left = sorted((wanted or set()) - done) if missing else []
        return found + ([f"{len(left)} edited records not written, e.g. {', '.join(left[:5])}"] if left else [])


# The edits --------------------------------------------------------------------------------------------------------
@dataclass
class Edits:
    vendors: set[str] = field(default_factory=set)
    headers: set[str] = field(default_factory=set)  # purchase orders whose header changed
    lines: set[str] = field(default_factory=set)  # purchase orders a line of which changed
    approved: set[str] = field(default_factory=set)  # incomplete purchase orders approved

    @property
    def orders(self) -> set[str]:
        return self.headers | self.lines | self.approved


def edit_ebs(ebs, synced: dict[str, dict], share: float, rng: random.Random) -> Edits:
    """A share of the synced suppliers (two thirds renamed, a third moved: a new street on their primary pay site),
    a share of the synced open approved purchase orders (a third a new description, two thirds a line's unit price up
    5%) and a share of the incomplete ones approved, as EBS users do (update_row stamps each row now)."""
    edits = Edits()
    sites = {
        str(site["VENDOR_ID"]): site
        for site in ebs.rows("AP_SUPPLIER_SITES_ALL", PRIMARY_PAY_SITE_FLAG="Y", ORG_ID=ORG_OF_HEADER)
    }
    suppliers = {str(row["VENDOR_ID"]): row for row in ebs.rows("AP_SUPPLIERS")}
    vendors = sorted(synced[mapping.VENDORS], key=int)
    for n, key in enumerate(sorted(rng.sample(vendors, round(share * len(vendors))), key=int)):
        if n % 3 == 2 and key in sites:
            ebs.update_row(
                "AP_SUPPLIER_SITES_ALL", str(sites[key]["VENDOR_SITE_ID"]), {"ADDRESS_LINE1": f"{n} Quarry Rd"}
            )
        else:
            ebs.update_row("AP_SUPPLIERS", key, {"VENDOR_NAME": f"{suppliers[key]['VENDOR_NAME'][:220]} (renamed)"})
        edits.vendors.add(key)
    headers = {str(row["PO_HEADER_ID"]): row for row in ebs.rows("PO_HEADERS_ALL")}
    open_approved = sorted(
        (
            key
            for key in synced[mapping.CONTRACTS]
            if headers[key]["AUTHORIZATION_STATUS"] == "APPROVED"
            and headers[key]["CLOSED_CODE"] == "OPEN"
            and headers[key]["CANCEL_FLAG"] != "Y"
        ),
        key=int,
    )
    for n, key in enumerate(sorted(rng.sample(open_approved, round(share * len(open_approved))), key=int)):
        if n % 3 == 0:
            comments = headers[key]["COMMENTS"] or ""
            ebs.update_row("PO_HEADERS_ALL", key, {"COMMENTS": f"{comments[:200]} (revised scope)"})
            edits.headers.add(key)
        else:
            line = min(ebs.rows("PO_LINES_ALL", PO_HEADER_ID=int(key)), key=lambda row: row["LINE_NUM"])
            price = Decimal(str(line["UNIT_PRICE"])) * Decimal("1.05")
            ebs.update_row(
                "PO_LINES_ALL", str(line["PO_LINE_ID"]), {"UNIT_PRICE": str(price.quantize(Decimal("0.01")))}
            )
            edits.lines.add(key)
    incomplete = sorted(
        (
            key
            for key, row in headers.items()
            if row["AUTHORIZATION_STATUS"] == "INCOMPLETE" and row["ORG_ID"] == ORG_OF_HEADER
        ),
        key=int,
    )
    stamp = ebs.clock.now().strftime("%Y-%m-%d %H:%M:%S")
    for key in sorted(rng.sample(incomplete, round(share * len(incomplete))), key=int):
        ebs.update_row(
            "PO_HEADERS_ALL", key, {"AUTHORIZATION_STATUS": "APPROVED", "APPROVED_FLAG": "Y", "APPROVED_DATE": stamp}
        )
        edits.approved.add(key)
    return edits


def bill_and_change(procore: ProcoreEmulator, count: int) -> tuple[int, int]:
    """A project team's work on the synced approved contracts: on the first half of `count`, a requisition billing
    40% of every line (submitted, then approved); on the next half, a change order adding work on the contract's
    first cost code (approved). Returns how many of each were approved."""
    contracts = [
        c for c in procore.state("purchase_order_contracts") if c.get("origin_id") and c["status"] == "approved"
    ]
    lines: dict[int, list[dict]] = {}
    for line in procore.state("line_items"):
        if Decimal(str(line["amount"] or 0)) > 0:
            lines.setdefault(line["holder"]["id"], []).append(line)
    contracts = [c for c in contracts if c["id"] in lines][:count]
    requisitions = contracts[: count // 2]
    change_orders = contracts[count // 2 :]
    for contract in requisitions:
        project = contract["project"]["id"]
        items = [
            {
                "line_item_id": line["id"],
                "work_completed_this_period": str((Decimal(str(line["amount"])) * Decimal("0.4")).quantize(CENT)),
            }
            for line in lines[contract["id"]]
        ]
        made = procore.create_requisition(project, contract["id"], items=items, invoice_number=f"INV-{contract['id']}")
        procore.edit_requisition(project, made["id"], {"status": "under_review"})
        procore.edit_requisition(project, made["id"], {"status": "approved"})
    for n, contract in enumerate(change_orders):
        project = contract["project"]["id"]
        first = lines[contract["id"]][0]
        order = procore.create_change_order(
            project,
            contract["id"],
            "Added scope (benchmark project team)",
            line_items=[
                {
                    "cost_code_id": first["cost_code"]["id"],
                    "amount": f"{500 + 25 * (n % 40)}.00",
                    "description": "Added scope",
                }
            ],
        )
        procore.edit_change_order(project, order["id"], {"status": "approved"})
    return len(requisitions), len(change_orders)


# The run ----------------------------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vendors", type=int, default=2000, help="EBS suppliers")
    parser.add_argument(
        "--parties", type=int, default=500, help="EBS customer organizations (the initial load walks every party)"
    )
    parser.add_argument("--purchase-orders", type=int, default=1000, help="EBS purchase orders (besides six older)")
    parser.add_argument("--latency-ms", type=int, default=25, help="added to every EBS and Procore call")
    parser.add_argument("--change-share", type=float, default=0.1, help="of suppliers, POs and incomplete POs edited")
    parser.add_argument("--baseline-vendors", type=int, default=300, help="suppliers the baseline loads at go-live")
    parser.add_argument("--baseline-orders", type=int, default=100, help="POs the baseline loads at go-live")
    parser.add_argument("--costs", type=int, default=500, help="approved requisitions + change orders (Procore → EBS)")
    parser.add_argument("--reload", action="store_true", help="also rerun the whole initial load over unchanged data")
    args = parser.parse_args()
    rng = random.Random(11)
    size = SeedSize(
        parties=args.parties,
        vendors=args.vendors,
        purchase_orders=args.purchase_orders,
        # the other systems' emulators, which this bench does not use, as small as they seed
        sap_vendors=3,
        sap_customers=3,
        sap_orders=2,
        fo_customers=5,
        jde_customers=4,
        jde_vendors=1,
        dormant_jde=0,
        start_date=START,
        days=1,
    )
    clock = Clock(frozen_at=GO_LIVE)
    procore_baseline, procore_threaded = (
        ProcoreEmulator(clock=clock, settings=ProcoreSettings(spike_limit=False, hourly_limit=HOURLY_LIMIT))
        for _ in range(2)
    )
    results: dict[str, Figures] = {}
    run_ids: dict[str, str] = {}
    with (
        tempfile.TemporaryDirectory() as home,
        tempfile.TemporaryDirectory() as dagster_home,
        build_sandbox(clock=clock, size=size) as sandbox,
        SandboxServer([procore_baseline]) as other,
        SandboxServer([procore_threaded]) as third,
        dg.instance_for_test(temp_dir=dagster_home) as instance,
    ):
        ebs, procore = sandbox["oracle_ebs"], sandbox["procore"]
        procore.settings = procore.settings.model_copy(update={"hourly_limit": HOURLY_LIMIT})
        for emulator in (ebs, procore, procore_baseline, procore_threaded):
            emulator.faults.latency_ms = args.latency_ms
        ours, theirs, threaded = Meter(procore, ebs), Meter(procore_baseline, ebs), Meter(procore_threaded, ebs)
        connector = Connector(Path(home), sandbox.urls, instance, procore)
        rules = mapping.load_pair_rules()
        baseline = OneCallPerRecord(
            other.urls["procore"], connector.fresh_ebs(), rules, args.baseline_vendors, args.baseline_orders
        )
        many = OneCallPerRecord(
            third.urls["procore"],
            connector.fresh_ebs(),
            rules,
            args.vendors,
            len(ebs.rows("PO_HEADERS_ALL")),
            harness.THREADS,
        )
        print(f"seeded {args.vendors} EBS suppliers and {len(ebs.rows('PO_HEADERS_ALL'))} purchase orders", flush=True)

        for obj in OBJECTS:
            print(f"go-live, {LABELS[obj]}: the connector's initial load, then the baseline ...", flush=True)

            def load(f: Figures, obj=obj) -> None:
                run_ids[f"load {obj}"] = connector.initial_load(f, obj)
                f.written = connector.written(run_ids[f"load {obj}"], obj)

            results[f"load {obj}"] = ours.measure(Figures(f"connector, {LABELS[obj]}", obj), load)
            results[f"load {obj}"].unexpected = connector.unexpected(run_ids[f"load {obj}"], None)
            step = getattr(baseline, f"go_live_{SHORT[obj]}")
            results[f"base load {obj}"] = theirs.measure(Figures(f"one call per record, {LABELS[obj]}", obj), step)
            results[f"threaded load {obj}"] = threaded.measure(
                Figures(f"{harness.THREADS} threads, {LABELS[obj]}", obj), getattr(many, f"go_live_{SHORT[obj]}")
            )

        clock.freeze(CHANGE_DAY)
        synced = {obj: connector.ledger.target_ids(FORWARD, obj) for obj in DAILY}
        edits = edit_ebs(ebs, synced, args.change_share, rng)
        print(
            f"change day: {len(edits.vendors)} suppliers and {len(edits.orders)} purchase orders edited in EBS ...",
            flush=True,
        )
        day = {obj: Figures(f"connector, {LABELS[obj]}", obj, seconds=None) for obj in DAILY}

        def change(_: Figures) -> None:
            run_ids["change"] = connector.daily(day, FORWARD, CHANGE_DAY)

        results["change"] = ours.measure(Figures("connector, daily job", ""), change)
        day[mapping.VENDORS].written = connector.written(run_ids["change"], mapping.VENDORS)
        lines_changed = edits.lines | edits.approved
        day[mapping.CONTRACTS].written = connector.written(
            run_ids["change"], mapping.CONTRACTS, lines_changed.__contains__
        )
        results.update({f"change {obj}": f for obj, f in day.items()})
        expected = {f"{mapping.VENDORS} {key}" for key in edits.vendors}
        expected |= {f"{mapping.CONTRACTS} {key}" for key in edits.orders}
        results["change"].unexpected = connector.unexpected(run_ids["change"], expected, missing=True)
        start = CHANGE_DAY.replace(hour=0)
        for obj in DAILY:
            step = getattr(baseline, f"change_day_{SHORT[obj]}")
            results[f"base change {obj}"] = theirs.measure(
                Figures(f"one call per record, {LABELS[obj]}", obj),
                lambda f, step=step: step(f, start, start + timedelta(days=1)),
            )

        print("reruns over unchanged data ...", flush=True)
        rerun = {obj: Figures("", obj) for obj in DAILY}

        def again(f: Figures) -> None:
            run_ids["rerun"] = connector.daily(rerun, FORWARD, CHANGE_DAY)
            f.write_calls = sum(part.write_calls for part in rerun.values())

        results["rerun"] = ours.measure(Figures("connector, daily job again", ""), again)
        results["rerun"].unexpected = connector.unexpected(run_ids["rerun"], ())
        if args.reload:

            def reload(f: Figures) -> None:
                for obj in OBJECTS:
                    run_ids[f"reload {obj}"] = connector.initial_load(f, obj, restart=True)

            results["reload"] = ours.measure(Figures("connector, initial load again", ""), reload)
            for obj in OBJECTS:
                results["reload"].unexpected += connector.unexpected(run_ids[f"reload {obj}"], ())

        clock.freeze(COST_DAY)
        requisitions, change_orders = bill_and_change(procore, args.costs)
        print(f"Procore → EBS: {requisitions} requisitions and {change_orders} change orders approved ...", flush=True)
        for name, label, expected in (
            ("reverse", "connector, reverse daily job", None),
            ("reverse again", "connector, reverse daily job again", ()),
        ):
            before = {row["JE_HEADER_ID"] for row in ebs.rows("GL_JE_HEADERS")}

            def post(f: Figures, name=name) -> None:
                run_ids[name] = connector.daily({JOURNALS: f}, REVERSE, COST_DAY)

            results[name] = ours.measure(Figures(label, JOURNALS), post)
            results[name].written = [
                Written(str(row["JE_HEADER_ID"]))
                for row in ebs.rows("GL_JE_HEADERS")
                if row["JE_HEADER_ID"] not in before
            ]
            results[name].unexpected = connector.unexpected(run_ids[name], expected)
        baseline.close()
        many.close()
        failures = baseline.failures + many.failures
    print(render(results, args, edits, (requisitions, change_orders), failures))
    return 0


def render(results: dict[str, Figures], args, edits: Edits, costs: tuple[int, int], failures: list[str]) -> str:
    head = (
        f"{'':<36}{'records':>8}{'s':>7}{'records/s':>10}{'write calls':>12}{'per 1,000':>10}{'floor/1,000':>12}"
        f"{'Procore calls':>14}{'EBS calls':>10}"
    )

    def row(f: Figures) -> str:
        timed = f.seconds is not None
        return (
            f"{f.label:<36}{f.records:>8}{f'{f.seconds:.1f}' if timed else '':>7}{f'{f.rate:.1f}' if timed else '':>10}"
            f"{f.write_calls:>12}{f.per_thousand(f.write_calls):>10.1f}{f.per_thousand(f.floor):>12.1f}"
            f"{f.procore_calls if timed else '':>14}{f.ebs_calls if timed else '':>10}"
        )

    def ratios(phase: str, ours: Figures, base: Figures) -> str:
        timed = "" if ours.seconds is None else f"; records/s connector / baseline = {ours.rate / base.rate:.1f}x"
        return (
            f"{phase}: write calls per 1,000 records baseline / connector = "
            f"{base.per_thousand(base.write_calls) / ours.per_thousand(ours.write_calls):.1f}x; connector / floor = "
            f"{ours.write_calls / ours.floor:.2f}x{timed}"
        )

    def overall(phase: str, parts: list[Figures], base_parts: list[Figures], whole: Figures) -> list[str]:
        """The baseline's measured figures per record of each object, over the connector's records (the samples'
        mix of vendors and contracts is not the connector's)."""

        def scaled(value: Callable[[Figures], float]) -> float:
            return sum(ours.records * value(base) / base.records for ours, base in zip(parts, base_parts, strict=True))

        writes, seconds = scaled(lambda b: b.write_calls), scaled(lambda b: b.seconds)
        procore = scaled(lambda b: b.procore_calls)
        return [
            f"{phase}, all {whole.records} records: connector {whole.write_calls} write calls (floor {whole.floor}, "
            f"{whole.write_calls / whole.floor:.2f}x), {whole.procore_calls} Procore calls, {whole.seconds:.1f} s; the "
            f"baseline's per record of each object, over the same records: {writes:.0f} write calls "
            f"({writes / whole.write_calls:.1f}x), {procore:.0f} Procore calls ({procore / whole.procore_calls:.1f}x; "
            f"Procore allows {PROCORE_HOURLY:,} an hour), {seconds:.1f} s ({seconds / whole.seconds:.1f}x)"
        ]

    loads = [results[f"load {obj}"] for obj in OBJECTS]
    base_loads = [results[f"base load {obj}"] for obj in OBJECTS]
    threaded_loads = [results[f"threaded load {obj}"] for obj in OBJECTS]
    threaded_load = Figures.total(f"{harness.THREADS} threads, all", threaded_loads)
    load = Figures.total("connector, all", loads)
    changes = [results[f"change {obj}"] for obj in DAILY]
    base_changes = [results[f"base change {obj}"] for obj in DAILY]
    change = Figures.total("connector, daily job", changes)
    job = results["change"]
    change.seconds, change.procore_calls, change.ebs_calls = job.seconds, job.procore_calls, job.ebs_calls
    lines = [
        f"EBS and Procore latency per call: {args.latency_ms} ms; {args.vendors} EBS suppliers, "
        f"{args.purchase_orders + GO_LIVE_ORDERS} purchase orders; records = vendors, cost codes (divisions too) and "
        "purchase order contracts written, a contract with its line items one record; Procore calls = every call the "
        "Procore emulator served (reads, writes, tokens)",
        "",
        f"go-live, into an empty Procore company (baseline: the first {args.baseline_vendors} suppliers and those its "
        f"POs name, every cost code, the first {args.baseline_orders} purchase orders)",
        head,
        *(row(f) for three in zip(loads, base_loads, threaded_loads, strict=True) for f in three),
        row(load),
        row(threaded_load),
        "",
        f"change day: {len(edits.vendors)} suppliers ({args.change_share:.0%}) and {len(edits.orders)} purchase orders "
        f"edited in EBS ({len(edits.headers)} header, {len(edits.lines)} line, {len(edits.approved)} incomplete ones "
        "approved; baseline: those of its sample)",
        head,
        *(row(f) for pair in zip(changes, base_changes, strict=True) for f in pair),
        row(change),
        "",
        *(ratios(f"go-live, {LABELS[f.target_object]}", f, b) for f, b in zip(loads, base_loads, strict=True)),
        *overall("go-live", loads, base_loads, load),
        *(
            ratios(f"go-live, {LABELS[f.target_object]}, against {harness.THREADS} threads", f, t)
            for f, t in zip(loads, threaded_loads, strict=True)
        ),
        *(ratios(f"change day, {LABELS[f.target_object]}", f, b) for f, b in zip(changes, base_changes, strict=True)),
        *overall("change day", changes, base_changes, change),
    ]
    for f in (results[key] for key in ("rerun", "reload") if key in results):
        lines.append(
            f"{f.label} (nothing changed): {f.write_calls} write calls, {f.procore_calls} Procore calls, "
            f"{f.ebs_calls} EBS calls, {f.seconds:.1f} s"
        )
    reverse, again = results["reverse"], results["reverse again"]
    lines += [
        "",
        f"Procore → EBS, {costs[0]} requisitions and {costs[1]} commitment change orders approved: {reverse.records} "
        f"journals posted in {reverse.write_calls} POST_JOURNALS calls "
        f"({reverse.records / max(1, reverse.write_calls):.1f} journals a call; floor {reverse.floor} calls of "
        f"{JOURNALS_PER_CALL}, connector / floor = {reverse.write_calls / max(1, reverse.floor):.2f}x), "
        f"{reverse.procore_calls} Procore calls, {reverse.ebs_calls} EBS calls, {reverse.seconds:.1f} s",
        f"{again.label} (nothing changed): {again.records} journals posted, {again.write_calls} write calls, "
        f"{again.procore_calls} Procore calls, {again.ebs_calls} EBS calls, {again.seconds:.1f} s",
    ]
    for f in results.values():
        lines += [f"UNEXPECTED in {f.label}: {line}" for line in f.unexpected]
    lines += [f"baseline failure: {line}" for line in failures]
    goal = harness.Goal(
        f"go-live records/s vs one call per record from {harness.THREADS} threads (all records)",
        harness.ratio(load.rate, threaded_load.rate),
        1.5,
        at_least=True,
    )
    return "\n".join([f"machine: {harness.machine()}", *lines, "", harness.goals([goal])])


if __name__ == "__main__":
    raise SystemExit(main())
