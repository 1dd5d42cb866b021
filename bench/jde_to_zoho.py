"""Benchmark: JD Edwards customers → Zoho CRM Accounts and Contacts, the connector's jobs against a one-call-per-record
integration.

JDE is seeded with N customers (last changed before go-live, as at a first sync), each with 0–3 contacts; the JDE
emulator and three empty Zoho orgs (the connector's, and one for each baseline) answer over real HTTP with the same
latency per call. The baseline is what a hand-written integration does: it reads the same JDE rows, maps them with the
same functions and sends each account, then each contact, in an upsert of its own by JDE key, with no read before it;
once in sequence, once from 16 threads (a customer per thread at a time, 16 within Zoho's 20 concurrent calls per
token). In this one run:

1. go-live: the connector's initial load of all N customers; the sequential baseline on a sample of them (at one call
   per record the whole set would take minutes; its figures are per record, so they compare directly), the threaded
   one on `--threaded-sample` customers (all by default);
2. a change day: a share of the accounts and of the contacts edited in JDE; the connector's daily job for that day,
   and the baseline reading the day's changed rows and upserting each changed record of its sample;
3. what a nothing-changed rerun costs the connector: the daily job over the same day again (with --reload, the whole
   initial load again too);
4. the reverse direction: Zoho edits to synced accounts, brought into JDE by the reverse daily job (one orchestration
   call per changed record is the floor there), then the forward job over that day, which must find JDE's copies
   equal to Zoho's (the echo).

Printed: records/s, write calls per 1,000 changed records against the floor (Zoho takes 100 records a write call, one
module a call: ceil(accounts/100) + ceil(contacts/100)), API calls with the reads (the connector reads what Zoho holds
of its records before writing), the Zoho credits each org spent (the emulator's /_admin/credits), the ratios, and
every write that changed nothing the edits made (none expected). The emulators serve from threads of this process,
so their own work is in the times too: the connector's go-live most, since the Zoho emulator's searches (how the
connector looks for records entered in Zoho before the first sync) scan the org's records.

    python bench/jde_to_zoho.py [--customers 2000] [--latency-ms 25] [--change-share 0.1] [--baseline-sample 300]
        [--threaded-sample 2000] [--zoho-edits 200] [--reload]
"""

import argparse
import math
import random
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import harness
import httpx
import pandas as pd
from ml_connector_dagster.assets.jde.extracts import COLUMNS, entries_of
from ml_connector_dagster.assets.zoho_crm.jde import address_book

from ml_connector_dagster.code_location import build_definitions
from ml_connector_dagster.connections import sandbox_resources
from ml_connector_dagster.initial_load import job_name, run_config
from ml_connector_dagster.mapping import jde_zoho_crm as mapping
from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.jde import JdeEmulator
from ml_connector_dagster.sandbox.server import SandboxServer
from ml_connector_dagster.sandbox.zoho_crm import ZohoCrmEmulator
from ml_connector_dagster.settings import Settings
from ml_connector_dagster.systems import sandbox_urls

FORWARD, REVERSE = "jde__zoho_crm", "zoho_crm__jde"
START = date(2026, 10, 1)
GO_LIVE, CHANGE_DAY, ZOHO_DAY = (datetime(2026, 10, day, 12, 0, tzinfo=UTC) for day in (1, 2, 3))
DC = "us"
WRITE_SIZE = 100  # records per Zoho write call
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}  # the runs' own log, off the bench's output
ACCOUNT_TABLES = {"F0101", "F03012", "F0116"}  # rows of the account itself; the others are per who's-who line


@dataclass
class Figures:
    label: str
    seconds: float = 0.0
    accounts: int = 0  # records written (created or updated)
    contacts: int = 0
    write_calls: int = 0
    zoho_calls: int = 0  # served by the Zoho emulator, reads and writes (and OAuth)
    jde_calls: int = 0  # served by the JDE emulator (sign-in, data service, orchestrations)
    credits: int = 0
    orchestrations: int = 0
    unexpected: list[str] = field(default_factory=list)

    @property
    def records(self) -> int:
        return self.accounts + self.contacts

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0

    @property
    def floor(self) -> int:
        return math.ceil(self.accounts / WRITE_SIZE) + math.ceil(self.contacts / WRITE_SIZE)

    def per_thousand(self, calls: int) -> float:
        return 1000 * calls / max(1, self.records)


class Meter:
    """What one phase cost, counted where the calls arrive: the emulators."""

    def __init__(self, jde: JdeEmulator, zoho: ZohoCrmEmulator, zoho_url: str):
        self.jde, self.zoho, self.zoho_url = jde, zoho, zoho_url

    def credits(self) -> int:
        return httpx.get(f"{self.zoho_url}/_admin/credits").json()[DC]["used"]

    def measure(self, figures: Figures, work) -> Figures:
        jde, zoho = harness.Served.since(self.jde), harness.Served.since(self.zoho)
        credits, orchestrations = self.credits(), len(self.jde.orchestration_calls)
        with harness.Stopwatch() as clock:
            work(figures)
        figures.seconds = clock.seconds
        figures.jde_calls = jde.taken().requests
        figures.zoho_calls = zoho.taken().requests
        figures.credits = self.credits() - credits
        figures.orchestrations = len(self.jde.orchestration_calls) - orchestrations
        return figures


# The baseline -----------------------------------------------------------------------------------------------------
class OneCallPerRecord:
    """A hand-written integration: plain httpx, one upsert by JDE key per account and per contact, no read first;
    with `threads`, customers sent from that many threads at once (each customer's account before its contacts)."""

    def __init__(self, zoho_url: str, jde_resource, rules: mapping.Rules, threads: int = 1):
        self.zoho_url, self.jde_resource, self.rules, self.threads = zoho_url, jde_resource, rules, threads
        self.account_ids: dict[str, str] = {}  # JDE key → Zoho id, kept from the answers
        self.failures: list[str] = []
        self._counts = threading.Lock()

    def _zoho(self) -> httpx.Client:
        """A client with a fresh access token (they live an hour; the emulator's clock moves a day between runs)."""
        answer = httpx.post(
            f"{self.zoho_url}/accounts/{DC}/oauth/v2/token",
            data={
                "grant_type": "refresh_token",
                "client_id": SANDBOX.zoho_client_id,
                "client_secret": SANDBOX.zoho_client_secret,
                "refresh_token": SANDBOX.zoho_refresh_token,
            },
        ).json()
        return httpx.Client(
            base_url=f"{answer['api_domain']}/crm/v8",
            headers={"Authorization": f"Zoho-oauthtoken {answer['access_token']}"},
        )

    def go_live(self, figures: Figures, customers: int) -> None:
        """The first `customers` address numbers, read as the initial load reads them (pages of 500), all sent."""
        with self.jde_resource.open() as jde, self._zoho() as zoho:
            after, left = 0, customers
            while left > 0:
                rows = jde.after_key("F0101", ("AN8",), "AN8", after, min(500, left))
                if not rows:
                    break
                numbers = [int(row["AN8"]) for row in rows]
                self._send(zoho, figures, self._entries(jde, numbers), None)
                after, left = max(numbers), left - len(numbers)

    def change_day(self, figures: Figures, start: datetime, end: datetime) -> None:
        """The day's changed rows of the entries it loaded; each account or contact they belong to is sent."""
        changed: set[str] = set()
        with self.jde_resource.open() as jde, self._zoho() as zoho:
            for table, columns in COLUMNS.items():
                for row in jde.changed_between(table, columns, start, end):
                    line = int(row.get("IDLN") or 0)
                    whose = mapping.account_key(row["AN8"]) if table in ACCOUNT_TABLES or line == 0 else None
                    changed.add(whose or mapping.contact_key(row["AN8"], line))
            changed = {key for key in changed if key.split(".")[0] in self.account_ids}
            numbers = sorted({int(key.split(".")[0]) for key in changed})
            self._send(zoho, figures, self._entries(jde, numbers), changed)

    def _entries(self, jde, numbers: list[int]) -> dict:
        tables = entries_of(jde, numbers)
        return address_book({t: pd.DataFrame(tables[t], columns=list(COLUMNS[t]), dtype=object) for t in COLUMNS})

    def _send(self, zoho: httpx.Client, figures: Figures, entries: dict, only: set[str] | None) -> None:
        as_of = datetime.now(UTC).date()  # as the connector's mapping takes it: the address in force today

        def send(item) -> None:
            self._send_entry(zoho, figures, *item, only, as_of)

        harness.threaded(send, sorted(entries.items()), self.threads)

    def _send_entry(self, zoho: httpx.Client, figures: Figures, an8, entry, only: set[str] | None, as_of) -> None:
        if (entry.book.AT1 or "").strip() not in self.rules.search_types:
            return
        key = mapping.account_key(an8)
        if only is None or key in only:
            payload = mapping.zoho_account(mapping.account_from_jde(entry, self.rules, as_of=as_of))
            answer = self._upsert(zoho, figures, mapping.ACCOUNTS, mapping.ACCOUNT_KEY_FIELD, key, payload)
            if answer is not None:
                self.account_ids[key] = answer
                with self._counts:
                    figures.accounts += 1
        for line in sorted(entry.lines, key=lambda row: row.IDLN):
            ckey = mapping.contact_key(an8, line.IDLN)
            if line.IDLN == 0 or (only is not None and ckey not in only) or key not in self.account_ids:
                continue
            payload = {
                **mapping.zoho_contact(mapping.contact_from_jde(entry, line)),
                "Account_Name": {"id": self.account_ids[key]},
            }
            if self._upsert(zoho, figures, mapping.CONTACTS, mapping.CONTACT_KEY_FIELD, ckey, payload) is not None:
                with self._counts:
                    figures.contacts += 1

    def _upsert(
        self, zoho: httpx.Client, figures: Figures, module: str, key_field: str, key: str, payload: dict
    ) -> str | None:
        body = {"data": [{key_field: key, **payload}], "duplicate_check_fields": [key_field], "trigger": []}
        response = zoho.post(f"/{module}/upsert", json=body)
        with self._counts:
            figures.write_calls += 1
        answer = (response.json().get("data") or [{}])[0] if response.content else {}
        if answer.get("status") != "success":
            self.failures.append(f"{module} {key}: {response.status_code} {str(answer)[:200]}")
            return None
        return answer["details"]["id"]


# The connector ----------------------------------------------------------------------------------------------------
class Connector:
    """The code location's jobs, run in process on a test Dagster instance against the two emulators."""

    def __init__(self, home: Path, urls: dict[str, str], instance: dg.DagsterInstance):
        self.config = Settings(home=home, ledger_url=f"sqlite:///{home}/ledger.sqlite", start_date=START)
        # Only JDE and Zoho are served; the other systems' resources are built (never used) with their fixed ports.
        self.urls = {**sandbox_urls(), **urls}
        self.resources = sandbox_resources(self.config, self.urls)
        self.defs = build_definitions(self.config, self.resources)
        self.instance = instance
        self.ledger = self.resources["ledger"].ledger()

    def fresh_jde(self):
        """A JDE resource of its own, as the baseline's."""
        return sandbox_resources(self.config, self.urls)["jde"]

    def initial_load(self, figures: Figures, *, restart: bool = False) -> str:
        job = self.defs.resolve_job_def(job_name(FORWARD))
        result = job.execute_in_process(
            instance=self.instance, run_config={**run_config(job, restart=restart), **QUIET}
        )
        for step in job.graph.node_names():
            totals = result.output_for_node(step)
            written = totals["created"] + totals["updated"]
            if step.endswith("accounts"):
                figures.accounts += written
            else:
                figures.contacts += written
            figures.write_calls += totals["write_calls"]
        return result.run_id

    def daily(self, figures: Figures, job: str, day: datetime) -> str:
        """One partition of a pair's daily job; `figures` get the records and write calls of its loads into Zoho
        (the reverse job's JDE writes are the orchestration calls the emulator counts)."""
        result = self.defs.resolve_job_def(job).execute_in_process(
            partition_key=day.date().isoformat(), instance=self.instance, run_config=QUIET
        )
        for event in result.get_asset_materialization_events():
            values = {k: v.value for k, v in event.materialization.metadata.items()}
            group, name = event.asset_key.path[0], event.asset_key.path[-1]
            if "write_calls" not in values or group != "zoho_crm":
                continue
            written = values["created"] + values["updated"]
            if name == "jde_accounts":
                figures.accounts += written
            elif name == "jde_contacts":
                figures.contacts += written
            figures.write_calls += values["write_calls"]
        return result.run_id

    def unexpected(self, run_id: str, expected: Iterable[str] | None) -> list[str]:
        """The records this run wrote that are not among `expected` ("<target object> <key>"; None: any may be),
        and any it failed to write, grouped by object, action and fields, each group with its first record."""
        wanted = None if expected is None else set(expected)
        groups: dict[tuple, list[dict]] = {}
        for row in self.ledger.audit(run_id=run_id):
            name = f"{row['target_object']} {row['source_key']}"
            if row["action"] == "failed" or (
                row["action"] in ("created", "updated") and wanted is not None and name not in wanted
            ):
                fields = tuple(sorted(row["changes"] or {}))
                groups.setdefault((row["pair"], row["target_object"], row["action"], fields), []).append(row)
        return [
            f"{len(rows)} x {pair} {obj} {action} (fields {', '.join(fields)}), e.g. {rows[0]['source_key']}: "
            f"{rows[0]['changes']}"
            for (pair, obj, action, fields), rows in groups.items()
        ]


# The edits --------------------------------------------------------------------------------------------------------
def edit_jde(jde: JdeEmulator, share: float, rng: random.Random) -> tuple[set[str], set[str]]:
    """A share of the customers' accounts (name, credit limit or city) and of their contacts (given name or e-mail)
    edited as a JDE user would; returns the account and contact keys edited."""
    customers = [row["AN8"] for row in jde.rows("F0101", AT1="C")]
    accounts = sorted(rng.sample(customers, round(share * len(customers))))
    for n, an8 in enumerate(accounts):
        if n % 3 == 0:
            name = jde.row("F0101", str(an8))["ALPH"]
            jde.update_row("F0101", str(an8), {"ALPH": f"{name[:31]} Renamed"})
        elif n % 3 == 1:
            master = jde.row("F03012", f"{an8}.00001")
            jde.update_row("F03012", f"{an8}.00001", {"ACL": (master["ACL"] or 0) + 1000})
        else:
            address = jde.rows("F0116", AN8=an8)[0]
            city = "Springfield" if address["CTY1"] != "Springfield" else "Shelbyville"
            jde.update_row("F0116", f"{an8}.{address['EFTB']}", {"CTY1": city})
    lines = [(row["AN8"], row["IDLN"]) for row in jde.rows("F0111") if row["IDLN"] > 0]
    contacts = sorted(rng.sample(lines, round(share * len(lines))))
    for n, (an8, line) in enumerate(contacts):
        if n % 2 == 0:
            given = jde.row("F0111", f"{an8}.{line}")["GNNM"]
            jde.update_row("F0111", f"{an8}.{line}", {"GNNM": "Robin" if given != "Robin" else "Sasha"})
        else:
            email = jde.row("F01151", f"{an8}.{line}.1")["EMAL"]
            jde.update_row("F01151", f"{an8}.{line}.1", {"EMAL": f"new.{email}"})
    return {str(an8) for an8 in accounts}, {f"{an8}.{line}" for an8, line in contacts}


def edit_zoho(zoho: ZohoCrmEmulator, count: int, rng: random.Random) -> set[str]:
    """`count` synced accounts' billing city changed by a sales rep; returns their Zoho ids."""
    synced = sorted(
        (r for r in zoho.records(DC, mapping.ACCOUNTS) if r.get(mapping.ACCOUNT_KEY_FIELD)),
        key=lambda r: int(r[mapping.ACCOUNT_KEY_FIELD]),
    )
    chosen = rng.sample(synced, min(count, len(synced)))
    for record in chosen:
        city = "Lakeside" if record.get("Billing_City") != "Lakeside" else "Hillcrest"
        zoho.edit(DC, mapping.ACCOUNTS, record["id"], {"Billing_City": city})
    return {record["id"] for record in chosen}


# The run ----------------------------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--latency-ms", type=int, default=25, help="added to every JDE and Zoho call")
    parser.add_argument("--change-share", type=float, default=0.1, help="of accounts and of contacts edited in JDE")
    parser.add_argument("--baseline-sample", type=int, default=300, help="customers the baseline loads at go-live")
    parser.add_argument(
        "--threaded-sample", type=int, default=2000, help="customers the 16-thread baseline loads at go-live"
    )
    parser.add_argument("--zoho-edits", type=int, default=200, help="synced accounts edited in Zoho (reverse)")
    parser.add_argument(
        "--reload", action="store_true", help="also rerun the whole initial load over unchanged data (~20 s at 2,000)"
    )
    args = parser.parse_args()
    rng = random.Random(11)
    clock = Clock(frozen_at=GO_LIVE)
    jde = JdeEmulator(clock=clock, customers=0, vendors=0, dormant=args.customers, start_date=START, days=3)
    zoho = ZohoCrmEmulator(clock=clock, prospects=0, eu_prospects=0)
    zoho_baseline = ZohoCrmEmulator(clock=clock, prospects=0, eu_prospects=0)
    zoho_threaded = ZohoCrmEmulator(clock=clock, prospects=0, eu_prospects=0)
    contacts_seeded = len([row for row in jde.rows("F0111") if row["IDLN"] > 0])
    results: dict[str, Figures] = {}
    with (
        tempfile.TemporaryDirectory() as home,
        tempfile.TemporaryDirectory() as dagster_home,
        SandboxServer([jde, zoho]) as sandbox,
        SandboxServer([zoho_baseline]) as other,
        SandboxServer([zoho_threaded]) as third,
        dg.instance_for_test(temp_dir=dagster_home) as instance,
    ):
        for emulator in (jde, zoho, zoho_baseline, zoho_threaded):
            emulator.faults.latency_ms = args.latency_ms
        ours = Meter(jde, zoho, sandbox.urls["zoho_crm"])
        theirs = Meter(jde, zoho_baseline, other.urls["zoho_crm"])
        threaded = Meter(jde, zoho_threaded, third.urls["zoho_crm"])
        connector = Connector(Path(home), sandbox.urls, instance)
        baseline = OneCallPerRecord(other.urls["zoho_crm"], connector.fresh_jde(), mapping.load_pair_rules())
        many = OneCallPerRecord(
            third.urls["zoho_crm"], connector.fresh_jde(), mapping.load_pair_rules(), threads=harness.THREADS
        )
        print(f"seeded {args.customers} JDE customers with {contacts_seeded} contacts", flush=True)

        print("go-live: the connector's initial load ...", flush=True)
        run_ids: dict[str, str] = {}

        def job(name: str, run):
            def work(figures: Figures) -> None:
                run_ids[name] = run(figures)

            return work

        results["load"] = ours.measure(Figures("connector, initial load"), job("load", connector.initial_load))
        results["load"].unexpected = connector.unexpected(run_ids["load"], None)
        print(f"go-live: the baseline, {args.baseline_sample} customers ...", flush=True)
        results["load base"] = theirs.measure(
            Figures("one call per record"), lambda f: baseline.go_live(f, args.baseline_sample)
        )
        print(f"go-live: the baseline from {harness.THREADS} threads, {args.threaded_sample} customers ...", flush=True)
        results["load threaded"] = threaded.measure(
            Figures(f"one call per record, {harness.THREADS} threads"), lambda f: many.go_live(f, args.threaded_sample)
        )

        clock.freeze(CHANGE_DAY)
        accounts, contacts = edit_jde(jde, args.change_share, rng)
        print(f"change day: {len(accounts)} accounts and {len(contacts)} contacts edited in JDE ...", flush=True)
        results["change"] = ours.measure(
            Figures("connector, daily job"), job("change", lambda f: connector.daily(f, FORWARD, CHANGE_DAY))
        )
        expected = {f"{mapping.ACCOUNTS} {key}" for key in accounts} | {f"{mapping.CONTACTS} {key}" for key in contacts}
        results["change"].unexpected = connector.unexpected(run_ids["change"], expected)
        day = CHANGE_DAY.replace(hour=0)
        results["change base"] = theirs.measure(
            Figures("one call per record"), lambda f: baseline.change_day(f, day, day + timedelta(days=1))
        )

        print("reruns over unchanged data ...", flush=True)
        results["rerun"] = ours.measure(
            Figures("connector, daily job again"), job("rerun", lambda f: connector.daily(f, FORWARD, CHANGE_DAY))
        )
        results["rerun"].unexpected = connector.unexpected(run_ids["rerun"], ())
        if args.reload:
            results["reload"] = ours.measure(
                Figures("connector, initial load again"),
                job("reload", lambda f: connector.initial_load(f, restart=True)),
            )
            results["reload"].unexpected = connector.unexpected(run_ids["reload"], ())

        clock.freeze(ZOHO_DAY)
        edited = edit_zoho(zoho, args.zoho_edits, rng)
        print(f"reverse: {len(edited)} accounts edited in Zoho ...", flush=True)
        held = {r["id"]: r.get(mapping.ACCOUNT_KEY_FIELD) for r in zoho.records(DC, mapping.ACCOUNTS)}
        results["reverse"] = ours.measure(
            Figures("connector, reverse daily job"), job("reverse", lambda f: connector.daily(f, REVERSE, ZOHO_DAY))
        )
        key_writes = [
            row
            for row in connector.ledger.audit(run_id=run_ids["reverse"])
            if row["target_object"] == mapping.ACCOUNTS and row["action"] == "updated"
        ]
        already = sum(
            1
            for row in key_writes
            if held.get(row["source_key"]) == (row["changes"] or {}).get(mapping.ACCOUNT_KEY_FIELD, [None, None])[1]
        )
        results["reverse"].unexpected = connector.unexpected(
            run_ids["reverse"], {f"customer {zoho_id}" for zoho_id in edited}
        )
        results["echo"] = ours.measure(
            Figures("connector, forward job after it"), job("echo", lambda f: connector.daily(f, FORWARD, ZOHO_DAY))
        )
        results["echo"].unexpected = connector.unexpected(run_ids["echo"], ())
        baseline_failures = baseline.failures + many.failures
    print(render(results, args, len(accounts), len(contacts), len(edited), baseline_failures))
    if key_writes:
        print(
            f"of the reverse run's {len(key_writes)} JDE-key write-backs onto Zoho Accounts, {already} wrote the "
            f"{mapping.ACCOUNT_KEY_FIELD} the account already held (the forward flow made it with that key)"
        )
    return 0


def render(results: dict[str, Figures], args, accounts: int, contacts: int, zoho_edits: int, failures) -> str:
    head = (
        f"{'':<34}{'records':>8}{'s':>7}{'records/s':>10}{'write calls':>12}{'per 1,000':>10}{'floor/1,000':>12}"
        f"{'Zoho calls':>11}{'JDE calls':>10}{'credits':>8}"
    )

    def row(f: Figures) -> str:
        return (
            f"{f.label:<34}{f.records:>8}{f.seconds:>7.1f}{f.rate:>10.1f}{f.write_calls:>12}"
            f"{f.per_thousand(f.write_calls):>10.1f}{f.per_thousand(f.floor):>12.1f}{f.zoho_calls:>11}{f.jde_calls:>10}"
            f"{f.credits:>8}"
        )

    def ratios(phase: str, ours: Figures, base: Figures) -> list[str]:
        calls = (ours.zoho_calls + ours.jde_calls) / max(1, ours.records)
        base_calls = (base.zoho_calls + base.jde_calls) / max(1, base.records)
        return [
            f"{phase}: throughput connector / baseline = {ours.rate / base.rate:.1f}x; write calls per 1,000 "
            f"baseline / connector = {base.per_thousand(base.write_calls) / ours.per_thousand(ours.write_calls):.0f}x"
            f"; connector / floor = {ours.write_calls / ours.floor:.2f}x",
            f"{phase}: API calls per record (JDE and Zoho, reads too): connector {calls:.3f}, baseline "
            f"{base_calls:.3f}; Zoho credits per record: connector {ours.credits / max(1, ours.records):.3f}, "
            f"baseline {base.credits / max(1, base.records):.3f}",
        ]

    load, load_base, load_threaded = results["load"], results["load base"], results["load threaded"]
    change, change_base = results["change"], results["change base"]
    reverse = results["reverse"]
    lines = [
        f"machine: {harness.machine()}",
        f"JDE and Zoho latency per call: {args.latency_ms} ms; {args.customers} JDE customers; records = accounts and "
        "contacts written; Zoho calls = every call the Zoho emulator served (reads, writes, OAuth)",
        "",
        f"go-live, into an empty Zoho (baseline: the first {args.baseline_sample} customers)",
        head,
        row(load),
        row(load_base),
        row(load_threaded),
        "",
        f"change day: {accounts} accounts and {contacts} contacts edited in JDE ({args.change_share:.0%} of each; "
        "baseline: those of its sample)",
        head,
        row(change),
        row(change_base),
        "",
        *ratios("go-live", load, load_base),
        *ratios(f"go-live, against {harness.THREADS} threads", load, load_threaded),
        *ratios("change day", change, change_base),
    ]
    for f in (results[key] for key in ("rerun", "reload", "echo") if key in results):
        lines.append(
            f"{f.label} (nothing changed): {f.write_calls} write calls, {f.zoho_calls} Zoho calls, "
            f"{f.jde_calls} JDE calls, {f.credits} credits, {f.seconds:.1f} s"
        )
    lines.append(
        f"reverse, {zoho_edits} accounts edited in Zoho: {reverse.orchestrations} orchestration calls into JDE "
        f"(floor {zoho_edits}: one per changed record), {reverse.write_calls} Zoho write calls, "
        f"{reverse.zoho_calls} Zoho calls, {reverse.jde_calls} JDE calls, {reverse.credits} credits, "
        f"{reverse.seconds:.1f} s"
    )
    for f in results.values():
        for line in f.unexpected:
            lines.append(f"UNEXPECTED in {f.label}: {line}")
    lines += [f"baseline failure: {line}" for line in failures]
    goal = harness.Goal(
        f"go-live records/s vs one call per record from {harness.THREADS} threads",
        load.rate / load_threaded.rate,
        1.5,
        at_least=True,
    )
    return "\n".join([*lines, "", harness.goals([goal])])


if __name__ == "__main__":
    raise SystemExit(main())
