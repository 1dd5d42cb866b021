"""`ml-connector demo`: the sandbox in-process, every pair's job on the embedded Dagster instance (so the runs are in
the UI afterwards), a summary per object, and a check that each target agrees with its source. State persists under
the home folder: a second run writes nothing.

The runs: first the go-live initial load of each pair that has one (the seeded EBS organizations last changed, and the
SAP vendors and customers created, before the first seeded day arrive only this way); then EBS and SAP ECC → Dynamics
365 Sales for every seeded day; F&O → Salesforce for every legal entity; then the sandbox's sales team works in
Salesforce (closes deals on the synced accounts and products, opens new accounts), Salesforce → F&O runs for that day,
and F&O → Salesforce once more, so the customers made from new accounts come back to their Accounts as ERP data (the
round trip). JD Edwards ↔ Zoho CRM: the Zoho sales team had entered some JDE customers before go-live (one of them
twice, ambiguously); the initial load and every seeded day bring JDE's address book into Zoho, then the team edits
synced accounts and enters new ones, Zoho → JDE runs for today, and both directions run once more. Oracle EBS ↔
Procore: the go-live initial load brings every supplier, job-cost GL combination and purchase order into Procore
(two cost codes a project controller had entered are linked, not duplicated) and the last seeded day runs as the
schedule would; then the project team bills work and approves a change order on two contracts, and Procore → EBS
runs for today, posting one balanced journal each.

Each run reports as it goes, on stderr (demo_progress.py); the summary counts each record once per pair and target
object, where it stands after the demo (demo_tally.py), and goes to stdout, as a table or as JSON."""

import json
import os
import shutil
import textwrap
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TextIO

import dagster as dg
import pandas as pd

from ml_connector_dagster import agreement
from ml_connector_dagster.agreement import Agreement
from ml_connector_dagster.assets.dead_letters import OBJECT_TAG, PAIR_TAG
from ml_connector_dagster.assets.dynamics_sales import oracle_ebs as ebs_payloads
from ml_connector_dagster.assets.dynamics_sales import sap_ecc as sap_payloads
from ml_connector_dagster.code_location import build_definitions
from ml_connector_dagster.connections import sandbox_resources
from ml_connector_dagster.demo_progress import Progress
from ml_connector_dagster.demo_tally import Tally
from ml_connector_dagster.initial_load import job_name, run_config
from ml_connector_dagster.instance import ensure_embedded_instance
from ml_connector_dagster.key_upgrade import upgrade_keys
from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.mapping import dynamics_fo_salesforce as fo_mapping
from ml_connector_dagster.mapping import jde_zoho_crm as jde_mapping
from ml_connector_dagster.mapping import oracle_ebs_dynamics_sales as ebs_mapping
from ml_connector_dagster.mapping import oracle_ebs_procore as procore_mapping
from ml_connector_dagster.mapping import procore_oracle_ebs as journal_mapping
from ml_connector_dagster.mapping import salesforce_dynamics_fo as reverse_mapping
from ml_connector_dagster.mapping import sap_ecc_dynamics_sales as sap_mapping
from ml_connector_dagster.mapping import zoho_crm_jde as zoho_mapping
from ml_connector_dagster.mapping.common import key_prefix
from ml_connector_dagster.resources.sap_ecc.query import Select
from ml_connector_dagster.resources.sap_ecc.tables import EKKO, EKPO, KNA1, KNB1, LFA1, LFB1, SapTable
from ml_connector_dagster.sandbox.procore import activity as procore_team
from ml_connector_dagster.sandbox.stack import SeedSize, build_sandbox
from ml_connector_dagster.sandbox.zoho_crm import activity as zoho_team
from ml_connector_dagster.settings import Settings

DAILY_PAIRS = (ebs_mapping.PAIR, sap_mapping.PAIR, jde_mapping.PAIR)  # also the names of their jobs
PAIRS = (*DAILY_PAIRS, fo_mapping.PAIR, reverse_mapping.PAIR, zoho_mapping.PAIR, procore_mapping.PAIR)
# the reverse flows have none (docs/operators/go_live.md)
INITIAL_LOADS = (*DAILY_PAIRS, fo_mapping.PAIR, procore_mapping.PAIR)
TARGET_OF = {ebs_mapping.PAIR: "dynamics_sales", sap_mapping.PAIR: "dynamics_sales", fo_mapping.PAIR: "salesforce"}
# How a pair's keys look in a target it shares: Dynamics 365 Sales holds EBS and SAP records side by side.
KEY_PREFIX = {ebs_mapping.PAIR: key_prefix("oracle_ebs"), sap_mapping.PAIR: key_prefix("sap_ecc"), fo_mapping.PAIR: ""}
# The summary is the demo's output; the runs' event logs are in the UI (`ml-connector ui`).
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
# A go-live: masters last changed before the first seeded day, where only the initial load reads.
SEED = SeedSize(dormant_parties=600, dormant_sap_vendors=30, dormant_sap_customers=45)
EVER = datetime(1900, 1, 1, tzinfo=UTC)  # before any change stamp: "every record the source holds"
COUNTS = (
    "records", "created", "updated", "deleted", "unchanged", "skipped", "dead_letters", "new_dead_letters",
    "api_calls", "write_calls",
)  # fmt: skip
LEGEND = (
    "Per pair and target object, each record counted once however many runs read it (the initial load reads every "
    "master, each day what changed), in one column: dead letters if it is in dead letters now (from this or an "
    "earlier demo; new: put there by this one; `ml-connector dead-letters` lists them all), else created, updated or "
    "deleted if this demo wrote it, else skipped (left out by the mapping rules, or not sent), else unchanged (the "
    "target already held it). api/write calls: the requests this demo's loads made (an initial load's source reads "
    "included); reads: rows and requests of the source extracts, summed over the runs. The agreement lines below count "
    "the same dead letters from the source's side: of the records the source holds now, those in dead letters."
)


@dataclass
class Reads:
    asset: str
    rows: int | None = None  # None: an extract of several tables (a snapshot), whose metadata counts no rows
    api_calls: int = 0


def run_demo(
    config: Settings, *, size: SeedSize = SEED, partitions: list[str] | None = None, out: TextIO | None = None
) -> dict:
    """Runs every pair against the sandbox and judges the result; progress lines go to `out` (stderr by default)."""
    ensure_embedded_instance(config.home)
    os.environ["DAGSTER_HOME"] = str(config.home)

    with build_sandbox(state_dir=config.home / "sandbox", size=size) as sandbox:
        resources = sandbox_resources(config, sandbox.urls)
        # a home an earlier version's demo filled holds the first external-id format: moved before anything loads
        upgrade_keys(config, target=resources.get, by="ml-connector demo")
        defs = build_definitions(config, resources)
        ledger = Ledger(config.ledger_url)
        tally = Tally(ledger)
        progress = Progress(tally, out)
        reads: dict[str, Reads] = {}
        with dg.DagsterInstance.get() as instance:

            def run(pair: str, keys, label: str = "") -> None:
                keys = list(keys)
                for n, key in enumerate(keys, 1):
                    what = f"{key} ({n} of {len(keys)}){label}"
                    run_id = progress.start(instance, pair, what)
                    result = defs.resolve_job_def(pair).execute_in_process(
                        partition_key=key, instance=instance, raise_on_error=True, run_config=QUIET, run_id=run_id
                    )
                    _add_calls(defs, tally, reads, result)
                    progress.finish(pair, what, run_id)

            zoho_team.enter_before_go_live(sandbox["zoho_crm"], jde_customers(sandbox["jde"]))
            for pair in INITIAL_LOADS:
                job = defs.resolve_job_def(job_name(pair))
                run_id = progress.start(instance, pair, "initial load", steps=True)
                result = job.execute_in_process(
                    instance=instance, raise_on_error=True, run_config={**QUIET, **run_config(job)}, run_id=run_id
                )
                for step in job.graph.node_names():
                    tags, totals = job.graph.node_named(step).definition.tags, result.output_for_node(step)
                    tally.add_calls((tags[PAIR_TAG], tags[OBJECT_TAG]), totals["api_calls"], totals["write_calls"])
                progress.finish(pair, "initial load", run_id)
            for pair in DAILY_PAIRS:
                run(pair, partitions or size.partition_keys())
            run(fo_mapping.PAIR, config.fo_legal_entities)
            sandbox["salesforce"].simulate_sales()
            run(reverse_mapping.PAIR, [sandbox["salesforce"].clock.now().astimezone(UTC).date().isoformat()])
            run(fo_mapping.PAIR, config.fo_legal_entities, " (round trip)")
            zoho_team.work_a_day(sandbox["zoho_crm"])
            today = [sandbox["zoho_crm"].clock.now().astimezone(UTC).date().isoformat()]
            run(zoho_mapping.PAIR, today)
            run(jde_mapping.PAIR, today, " (round trip)")
            run(zoho_mapping.PAIR, today, " (round trip)")
            # The initial load brought every EBS record Procore needs; the schedule's run of the last day adds none.
            run(procore_mapping.PAIR, (partitions or size.partition_keys())[-1:])
            procore_team.bill_and_change(sandbox["procore"])
            run(journal_mapping.PAIR, [sandbox["procore"].clock.now().astimezone(UTC).date().isoformat()])
        progress.say("checking that every target agrees with its source")
        agreement = verify(config, resources)
        objects = [
            row for row in map(partial(_object_row, tally), tally.objects()) if row["records"] or row["api_calls"]
        ]
        ledger.dispose()
    return {
        "objects": objects,
        "reads": [asdict(r) for r in reads.values()],
        "agreement": [
            {
                **asdict(a),
                "agrees": a.agrees,
                "missing": a.missing[:20],
                "different": a.different[:20],
                "unexpected": a.unexpected[:20],
            }
            for a in agreement
        ],
        "agrees": all(a.agrees for a in agreement),
    }


def _object_row(tally: Tally, obj: tuple[str, str]) -> dict:
    pair, target_object = obj
    api_calls, write_calls = tally.calls[obj]
    return {
        "object": f"{pair} {target_object}",
        "pair": pair,
        "target_object": target_object,
        **tally.counts(obj),
        "api_calls": api_calls,
        "write_calls": write_calls,
    }


def jde_customers(jde) -> list[dict]:
    """The JDE customers as the sales team could have typed them into Zoho: name, tax id, e-mail (line 0)."""
    emails = {row["AN8"]: row["EMAL"] for row in jde.rows("F01151") if row["IDLN"] == 0}
    return [
        {"AN8": row["AN8"], "ALPH": row["ALPH"], "TAX": row["TAX"], "EMAL": emails.get(row["AN8"])}
        for row in jde.rows("F0101", AT1="C")
    ]


def _add_calls(defs: dg.Definitions, tally: Tally, reads: dict[str, Reads], result: dg.ExecuteInProcessResult) -> None:
    """A run's calls: a load's to its pair and object (its tags say which), an extract's to the reads."""
    graph = defs.resolve_asset_graph()
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        if "api_calls" not in metadata:
            continue  # payloads and snapshots that call nothing: their counts are the extracts' and the loads' again
        tags = graph.get(event.asset_key).tags
        if PAIR_TAG in tags:
            writes = metadata["write_calls"].value if "write_calls" in metadata else 0
            tally.add_calls((tags[PAIR_TAG], tags[OBJECT_TAG]), int(metadata["api_calls"].value), int(writes))
            continue
        read = reads.setdefault(event.asset_key.to_user_string(), Reads(event.asset_key.to_user_string()))
        if "source_rows" in metadata:
            read.rows = (read.rows or 0) + int(metadata["source_rows"].value)
        read.api_calls += int(metadata["api_calls"].value)


def verify(config: Settings, resources: dict, pairs: tuple[str, ...] = PAIRS) -> list[Agreement]:
    """Maps each pair's whole source afresh (every change stamp: the masters the initial load brought too) and
    compares each expected record with the target, field by field."""
    ledger = Ledger(config.ledger_url)
    expected = {
        ebs_mapping.PAIR: _expected_from_oracle_ebs,
        sap_mapping.PAIR: _expected_from_sap_ecc,
        fo_mapping.PAIR: _expected_from_dynamics_fo,
    }
    agreements = []
    for pair in pairs:
        if pair == reverse_mapping.PAIR:
            agreements += agreement.salesforce_to_dynamics_fo(config, resources, ledger)
            continue
        if pair == zoho_mapping.PAIR:
            agreements += agreement.jde_and_zoho_crm(config, resources, ledger)
            continue
        if pair == procore_mapping.PAIR:
            agreements += agreement.oracle_ebs_and_procore(config, resources, ledger)
            continue
        if pair == jde_mapping.PAIR:
            continue  # both directions are judged together, above
        with resources[TARGET_OF[pair]].open() as client:
            agreements += [
                _compare(pair, target_object, result, client, ledger)
                for target_object, result in expected[pair](config, resources, client)
            ]
    return agreements


def _expected_from_oracle_ebs(config: Settings, resources: dict, client) -> list[tuple]:
    ebs, key_column = resources["oracle_ebs"], resources["dynamics_sales"].external_id_column
    start, end = EVER, datetime.now(UTC) + timedelta(days=1)
    with ebs.open() as service:
        as_of = ebs.server_time(service.now())  # as the runs judge end dates (assets/dynamics_sales/oracle_ebs.py)

        def read(method: str, **params: str) -> pd.DataFrame:
            return pd.DataFrame(list(service.read_window(method, start, end, **params)), dtype=object)

        rules = ebs_mapping.load_pair_rules(config.mapping_file(ebs_mapping.PAIR))
        # The payload assets' own functions, so a source row they refuse is expected refused here too.
        snapshot = {
            "hz_parties": read("GET_PARTIES", P_PARENT_REL_CODE=ebs.parent_relationship_code),
            "hz_cust_accounts": read("GET_CUST_ACCOUNTS"),
            "hz_party_sites": read("GET_PARTY_SITES"),
            "po_vendors": read("GET_VENDORS"),
            "po_vendor_sites_all": read("GET_VENDOR_SITES"),
        }
        accounts = ebs_payloads.account_payloads(snapshot, rules, key_column, as_of)
        contacts = ebs_payloads.contact_payloads(read("GET_CONTACTS"), rules, key_column, as_of)
    return [("account", accounts), ("contact", contacts)]


def _expected_from_sap_ecc(config: Settings, resources: dict, client) -> list[tuple]:
    rules = sap_mapping.load_pair_rules(config.mapping_file(sap_mapping.PAIR))
    with resources["sap_ecc"].open() as reader:

        def frame(table: SapTable) -> pd.DataFrame:
            return pd.DataFrame(
                list(reader.select(Select(table.name, table.fields, table.keys))),
                columns=list(table.fields),
                dtype=object,
            )

        accounts = sap_payloads.account_payloads(
            {table.name: frame(table) for table in (LFA1, LFB1, KNA1, KNB1)}, rules
        )
        orders = sap_payloads.purchase_order_payloads(
            {table.name: frame(table) for table in (EKKO, EKPO)},
            rules,
            resources["dynamics_sales"].external_id_column,
            client.currencies(),
        )
    return [("account", accounts), (rules.document_object, orders["document"]), (rules.line_object, orders["line"])]


def _expected_from_dynamics_fo(config: Settings, resources: dict, client) -> list[tuple]:
    rules = fo_mapping.load_pair_rules(config.mapping_file(fo_mapping.PAIR))
    with resources["dynamics_fo"].open() as fo:
        customers = [
            fo_mapping.Customer.model_validate(row)
            for entity in config.fo_legal_entities
            for row in fo.rows("CustomersV3", company=entity)
        ]
        products = [
            fo_mapping.ReleasedProduct.model_validate(row)
            for entity in config.fo_legal_entities
            for row in fo.rows("ReleasedProductsV2", company=entity)
        ]
    return [("Account", fo_mapping.map_accounts(customers, rules)), ("Product2", fo_mapping.map_products(products))]


def _compare(pair: str, target_object: str, expected, client, ledger: Ledger) -> Agreement:
    columns = sorted({column for record in expected.records for column in record.payload})
    target = {
        key: row for key, row in client.snapshot(target_object, columns).items() if key.startswith(KEY_PREFIX[pair])
    }
    known = {r.source_key for r in expected.records}
    # left out by the rules may stay in the target, unless the rules say it must go (a deleted order item)
    excluded = {e.source_key for e in expected.excluded if not e.remove_from_target}
    return agreement.judge(
        f"{pair.split('__')[0]} {target_object}",
        expected,
        ledger.dead_letter_keys(pair, target_object),
        lambda r: target.get(r.source_key),
        lambda r, row: any(row.get(c) != v for c, v in r.payload.items()),
        sorted(key for key in target if key not in known and key not in excluded),
    )


def render(report: dict) -> str:
    lines = _table(("object", *COUNTS), [[o[c] for c in ("object", *COUNTS)] for o in report["objects"]])
    lines += ["", *textwrap.wrap(LEGEND, 118), ""]
    reads = [[r["asset"], "-" if r["rows"] is None else r["rows"], r["api_calls"]] for r in report["reads"]]
    lines += _table(("reads", "rows", "api_calls"), reads)
    lines.append("")
    for a in report["agreement"]:
        state = "agree" if a["agrees"] else "DISAGREE"
        lines.append(
            f"{a['object']}: {state} — {a['expected']} expected, {a['in_target']} in the target, "
            f"{a['dead_letters']} in dead letters, {len(a['missing'])} missing, "
            f"{len(a['different'])} different, {len(a['unexpected'])} unexpected"
        )
        for label in ("missing", "different", "unexpected"):
            if a[label]:
                lines.append(f"  {label}: {', '.join(a[label][:5])}")
    writes = sum(o["write_calls"] for o in report["objects"])
    new_letters = sum(o["new_dead_letters"] for o in report["objects"])
    lines.append(f"write calls this run: {writes}; records this run put in dead letters: {new_letters}")
    lines.append("source and target agree" if report["agrees"] else "source and target DISAGREE")
    return "\n".join(lines)


def _table(header: tuple[str, ...], rows: list[list]) -> list[str]:
    cells = [[name.replace("_", " ") for name in header]] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def main(config: Settings, *, as_json: bool, reset: bool, size: SeedSize = SEED) -> int:
    """The summary on stdout (the table, or JSON), progress on stderr as the runs go."""
    if reset:
        _reset(config.home)
    report = run_demo(config, size=size)
    print(json.dumps(report, indent=2) if as_json else render(report))
    return 0 if report["agrees"] else 1


def _reset(home: Path) -> None:
    """Forgets the sandbox systems' state and the SQLite ledger; the Dagster run history stays."""
    shutil.rmtree(home / "sandbox", ignore_errors=True)
    for path in home.glob("ledger.sqlite*"):
        path.unlink()
