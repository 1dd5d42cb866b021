"""SAP ECC → Dynamics 365 Sales through the Dagster job, against the emulators over real HTTP (Gateway) and through
the pyrfc stand-in (RFC)."""

from collections import Counter
from decimal import Decimal

import pytest
from ml_connector_dagster.resources.sap_ecc.tables import KNA1, KNB1, LFA1, LFB1

from ml_connector_dagster.demo import verify
from ml_connector_dagster.sandbox.faults import FaultPlan
from ml_connector_dagster.sandbox.sap_ecc import rfc
from tests.e2e.conftest import NOW, SAP_JOB, load_metadata, partition_checks

PAIR = SAP_JOB
ACCOUNTS = "dynamics_sales/sap_ecc_accounts"
DOCUMENTS, LINES = "dynamics_sales/sap_ecc_opportunities", "dynamics_sales/sap_ecc_opportunityproducts"
EXTRACTS = (
    "change_documents",
    "lfa1",
    "lfb1",
    "kna1",
    "knb1",
    "ekko",
    "ekpo",
    "business_partner_snapshots",
    "purchase_order_snapshots",
)
TODAY = NOW.date().isoformat()
PARTNER_KEYS = {table.name: table.keys for table in (LFA1, LFB1, KNA1, KNB1)}


def agrees(env) -> bool:
    for agreement in verify(env.config, env.resources, pairs=(PAIR,)):
        assert agreement.agrees, agreement
    return True


def over_rfc(env, **overrides):
    return env.with_resources(
        sap_ecc={"transport": "rfc", "ashost": env.sap.rfc_host, "rfc_module": rfc.__name__, **overrides}
    )


def run_sap(env, day, **kwargs):
    return env.run(day, job=SAP_JOB, **kwargs)


def test_sync_agrees_checks_pass_and_rerun_writes_nothing(env):
    results = [run_sap(env, day) for day in env.size.partition_keys()]
    assert agrees(env)
    checks = partition_checks(*results)
    assert len(checks) == 9 * len(results)
    agreement = [e for e in checks if not e.check_name.endswith("_waits_for_a_parent")]
    assert all(e.passed for e in agreement)
    # the seed's orders on a vendor without a name wait for the account the mapping refused, and the check says so
    warnings = [e for e in checks if e.check_name.endswith("_waits_for_a_parent") and not e.passed]
    assert warnings and all(e.severity.value == "WARN" for e in warnings)
    assert all(e.metadata["parent_not_in_source"].value == e.metadata["parent_not_loaded"].value == 0 for e in warnings)
    assert env.dataverse.count("opportunity") > 20 and env.dataverse.count("opportunityproduct") > 50
    writes_before = env.dataverse.stats()
    rerun = load_metadata(run_sap(env, env.size.partition_keys()[1]))
    assert all(
        rerun[key]["write_calls"] == 0 and rerun[key]["created"] == rerun[key]["updated"] == 0
        for key in (ACCOUNTS, DOCUMENTS, LINES)
    )
    assert rerun[DOCUMENTS]["unchanged"] > 0 and env.dataverse.stats() == writes_before


def test_rfc_transport_gives_the_same_extracts_and_the_same_target(env):
    day = env.size.partition_keys()[0]
    by_gateway = run_sap(env, day)
    # read before the second run of the partition replaces its spools (ml_connector_dagster/spool.py)
    gateway = {name: by_gateway.output_for_node(f"sap_ecc__{name}").whole() for name in EXTRACTS}
    by_rfc = run_sap(over_rfc(env), day)
    for name in EXTRACTS:
        gateway_value, rfc_value = gateway[name], by_rfc.output_for_node(f"sap_ecc__{name}").whole()
        frames = gateway_value.items() if isinstance(gateway_value, dict) else [(name, gateway_value)]
        for table, frame in frames:
            other = rfc_value[table] if isinstance(rfc_value, dict) else rfc_value
            assert not frame.empty or name == "change_documents"
            if name == "business_partner_snapshots":
                # the first run synced the vendors its orders needed, so the second reads no parents on demand
                frame = frame.merge(other[list(PARTNER_KEYS[table])], on=list(PARTNER_KEYS[table]))
            assert frame.equals(other), f"{name} {table} differs between transports"
    metadata = load_metadata(by_rfc)
    assert metadata["sap_ecc/business_partner_snapshots"]["parents_on_demand"] == 0
    assert all(metadata[key]["write_calls"] == 0 for key in (ACCOUNTS, DOCUMENTS, LINES))
    for later in env.size.partition_keys()[1:]:
        run_sap(over_rfc(env), later)
    assert agrees(env)


def test_a_vendor_renamed_in_sap_reaches_its_account_on_the_next_run_of_that_day(env):
    env.run_all(SAP_JOB)
    account = next(r for r in env.dataverse.rows("account") if r["mlc_externalid"].startswith("sap_ecc.vendor."))
    lifnr = account["mlc_externalid"].rsplit(".", 1)[1].zfill(10)
    env.sap.update_row("LFA1", {"LIFNR": lifnr}, {"NAME1": "Umbenannt Maschinenbau GmbH"})
    [change] = [c for c in env.sap.rows("CDHDR", OBJECTCLAS="KRED") if c["OBJECTID"] == lifnr]
    assert change["UDATE"] == NOW.strftime("%Y%m%d") and change["TCODE"] == "XK02"
    result = run_sap(env, TODAY)
    metadata = load_metadata(result)
    assert metadata["sap_ecc/change_documents"]["changed_kred"] == 1 and metadata[ACCOUNTS]["updated"] >= 1
    [renamed] = env.dataverse.rows("account", mlc_externalid=account["mlc_externalid"])
    assert renamed["name"] == "Umbenannt Maschinenbau GmbH"
    audit = [row for row in env.ledger.audit(run_id=result.run_id) if row["action"] == "updated"]
    assert audit[0]["changes"]["name"][1] == "Umbenannt Maschinenbau GmbH"
    assert agrees(env)


def test_a_vendor_flagged_for_deletion_or_blocked_is_deactivated_that_day_and_reactivated_when_the_flag_goes(env):
    env.run_all(SAP_JOB)
    # The description names every SAP partner of the account: a vendor folded with a customer stays active while
    # the customer is, so only vendors that are their account's one partner show the flag alone.
    vendors = [
        r
        for r in env.dataverse.rows("account")
        if r["mlc_externalid"].startswith("sap_ecc.vendor.")
        and r["statecode"] == 0
        and "customer" not in r["description"]
    ]
    assert len(vendors) >= 2, "the seed has active vendors that are no customer"
    for flag, account in (("LOEVM", vendors[0]), ("SPERR", vendors[1])):
        key = {"LIFNR": account["mlc_externalid"].rsplit(".", 1)[1].zfill(10)}
        env.sap.update_row("LFA1", key, {flag: "X"})
        run_sap(env, TODAY)
        [retired] = env.dataverse.rows("account", mlc_externalid=account["mlc_externalid"])
        assert (retired["statecode"], retired["statuscode"]) == (1, 2), flag
        assert retired["customertypecode"] == account["customertypecode"]
        assert agrees(env)
        env.sap.update_row("LFA1", key, {flag: ""})
        run_sap(env, TODAY)
        [back] = env.dataverse.rows("account", mlc_externalid=account["mlc_externalid"])
        assert (back["statecode"], back["statuscode"]) == (0, 1), flag
    assert agrees(env)


@pytest.mark.slow
def test_a_purchase_order_becomes_one_opportunity_with_its_lines_even_after_a_killed_run(env):
    # One batch at a time: the fault plan counts $batch calls in the order a single sender makes them.
    small = env.with_resources(dynamics_sales={"batch_size": 10, "max_attempts": 2, "max_parallel_batches": 1})
    first_day = env.size.partition_keys()[0]
    # the second $batch (documents and lines go as $batch) is written but its answer is lost, twice: the run fails
    env.dataverse.faults.add(FaultPlan(drop_after_processing=True, count=2, skip=1, path_contains="$batch"))
    assert not run_sap(small, first_day, raise_on_error=False).success
    assert run_sap(small, first_day).success
    for day in env.size.partition_keys()[1:]:
        run_sap(small, day)
    for table in ("account", "opportunity", "opportunityproduct"):
        keys = Counter(row["mlc_externalid"] for row in env.dataverse.rows(table))
        assert max(keys.values()) == 1, f"duplicate {table}"
    assert agrees(env)

    opportunities = {row["mlc_externalid"]: row for row in env.dataverse.rows("opportunity")}
    lines = Counter(row["_opportunityid_value"] for row in env.dataverse.rows("opportunityproduct"))
    key, document = max(opportunities.items(), key=lambda item: lines[item[1]["opportunityid"]])
    ebeln = key.rsplit(".", 1)[1]
    items = [i for i in env.sap.rows("EKPO", EBELN=ebeln) if not i["LOEKZ"]]
    assert len(items) >= 3 and lines[document["opportunityid"]] == len(items)
    total = float(sum(Decimal(i["NETWR"]) for i in items))
    assert document["totalamount"] == document["estimatedvalue"] == pytest.approx(total)
    [currency] = env.dataverse.rows(
        "transactioncurrency", transactioncurrencyid=document["_transactioncurrencyid_value"]
    )
    assert currency["isocurrencycode"] == env.sap.rows("EKKO", EBELN=ebeln)[0]["WAERS"]

    for day in env.size.partition_keys():
        metadata = load_metadata(run_sap(env, day))
        assert metadata[DOCUMENTS]["write_calls"] == metadata[LINES]["write_calls"] == 0


def test_an_item_deleted_in_sap_leaves_its_document_and_the_total_follows(env):
    env.run_all(SAP_JOB)
    opportunities = {row["opportunityid"]: row for row in env.dataverse.rows("opportunity")}
    lines = [row for row in env.dataverse.rows("opportunityproduct") if row["_opportunityid_value"] in opportunities]
    line = next(
        row for row in lines if sum(r["_opportunityid_value"] == row["_opportunityid_value"] for r in lines) >= 2
    )
    ebeln, ebelp = line["mlc_externalid"].split(".")[2:]
    before = opportunities[line["_opportunityid_value"]]["totalamount"]
    env.sap.update_row("EKPO", {"EBELN": ebeln, "EBELP": ebelp}, {"LOEKZ": "L"})
    metadata = load_metadata(run_sap(env, TODAY))
    assert metadata[LINES]["deleted"] == 1
    assert not env.dataverse.rows("opportunityproduct", mlc_externalid=line["mlc_externalid"])
    [document] = env.dataverse.rows("opportunity", opportunityid=line["_opportunityid_value"])
    assert document["totalamount"] == pytest.approx(before - line["extendedamount"])
    assert document["estimatedvalue"] == pytest.approx(document["totalamount"])
    assert load_metadata(run_sap(env, TODAY))[LINES]["write_calls"] == 0
    assert agrees(env)


def test_communication_failures_and_throttling_end_in_agreement_and_every_run_is_audited(env):
    first, *others = env.size.partition_keys()
    env.sap.update_settings({"rfc_communication_failures": 3})
    env.dataverse.faults.add(FaultPlan(status=429, count=3, retry_after=1, path_contains="$batch"))
    results = [run_sap(over_rfc(env), first)]
    assert env.sap.settings.rfc_communication_failures == 0, "every planned RFC failure was met and retried"
    env.sap.faults.add(FaultPlan(status=503, count=2, path_contains="EKKOSet"))
    env.sap.faults.add(FaultPlan(status=0, count=1, path_contains="LFA1Set"))
    env.dataverse.faults.add(FaultPlan(status=429, count=2, retry_after=1, path_contains="UpsertMultiple"))
    results += [run_sap(env, day) for day in others]
    assert env.sap.faults.injected == 3 and env.dataverse.faults.injected == 5
    assert all(result.success for result in results)
    for result in results:
        assert env.ledger.audit(run_id=result.run_id), "each sync run leaves its records in the audit log"
    assert agrees(env)


def test_rejected_orders_replay_and_a_currency_set_up_later_lets_its_orders_through(env):
    env.dataverse.update_settings(
        {
            "reject_rules": [
                {
                    "table": "opportunity",
                    "column": "name",
                    "pattern": "7$",
                    "message": "Opportunities need a sales owner first",
                }
            ]
        }
    )
    env.run_all(SAP_JOB)
    letters = env.ledger.open_dead_letters(PAIR, "opportunity", "validation")
    refused = [letter for letter in letters if letter.error_code == "0x80040265"]
    assert refused and all("sales owner" in letter.error_message for letter in refused)
    waiting = [
        letter
        for letter in env.ledger.open_dead_letters(PAIR, "opportunityproduct")
        if letter.error_class == "dependency"
    ]
    assert waiting, "lines of a refused opportunity wait for it"

    env.dataverse.update_settings({"reject_rules": []})
    sap_reads = env.sap.requests_served
    replay = env.defs.resolve_job_def("replay_dynamics_sales").execute_in_process(
        instance=env.instance, run_config={"ops": {"replay_dynamics_sales_dead_letters": {"config": {"pair": PAIR}}}}
    )
    assert replay.output_for_node("replay_dynamics_sales_dead_letters")["created"] >= len(refused)
    assert env.sap.requests_served == sap_reads
    for letter in refused:
        assert env.dataverse.rows("opportunity", mlc_externalid=letter.source_key)
    # what still waits, waits for an account the mapping rejected (a vendor without a name), nothing else
    still_waiting = {letter.error_message for letter in env.ledger.open_dead_letters(PAIR, "opportunity", "dependency")}
    assert all("waiting for account" in message for message in still_waiting)
    waiting_orders = {letter.source_key for letter in env.ledger.open_dead_letters(PAIR, "opportunity")}
    for letter in env.ledger.open_dead_letters(PAIR, "opportunityproduct", "dependency"):
        assert letter.error_message.split("opportunity ")[1].split(" ")[0] in waiting_orders

    pln = [letter for letter in env.ledger.open_dead_letters(PAIR, "opportunity") if "PLN" in letter.error_message]
    assert pln, "the seed has orders in a currency the environment lacks"
    env.dataverse.add_currency("PLN", "Złoty", "zł", 4.3)
    env.run_all(SAP_JOB)
    assert not env.ledger.dead_letter_keys(PAIR, "opportunity") & {letter.source_key for letter in pln}
    assert agrees(env)
