"""JD Edwards ↔ Zoho CRM end to end, both directions against the emulators: a go-live where Zoho already holds some
JDE customers (by e-mail, by tax id, one ambiguously), the sales team's edits and new accounts, an owner's value put
back, both directions converging and then writing nothing, and an edit of the same fields on both sides settled by
the ownership rules with both values in the audit log."""

import dagster as dg
import pytest

from ml_connector_dagster import agreement
from ml_connector_dagster.demo import jde_customers
from ml_connector_dagster.initial_load import job_name, run_config
from ml_connector_dagster.sandbox.zoho_crm import activity
from tests.e2e.conftest import JDE_ZOHO, NOW, Env, load_metadata, sandbox_env

FORWARD, REVERSE = "jde__zoho_crm", "zoho_crm__jde"
DAY = NOW.date().isoformat()
SEED = JDE_ZOHO


@pytest.fixture
def env(tmp_path):
    with sandbox_env(tmp_path, SEED) as made:
        yield made.with_resources()


def write_calls(result: dg.ExecuteInProcessResult) -> int:
    return sum(md["write_calls"] for md in load_metadata(result).values() if "write_calls" in md)


def go_live(env: Env) -> None:
    """Zoho in use before go-live, then the initial load and every seeded day of JDE changes."""
    activity.enter_before_go_live(env.sandbox["zoho_crm"], jde_customers(env.sandbox["jde"]))
    job = env.defs.resolve_job_def(job_name(FORWARD))
    job.execute_in_process(instance=env.instance, run_config=run_config(job))
    for day in SEED.partition_keys():
        env.run(day, job=FORWARD)


def by_key(env: Env) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for account in env.sandbox["zoho_crm"].records("us", "Accounts"):
        found.setdefault(account.get("JDE_Address_Number"), []).append(account)
    return found


@pytest.mark.slow
def test_both_directions_converge_then_write_nothing_and_both_sides_agree_field_by_field(env):
    jde, zoho = env.sandbox["jde"], env.sandbox["zoho_crm"]
    go_live(env)
    entered = [a for a in zoho.records("us", "Accounts") if "before go-live" in (a.get("Description") or "")]

    # entered by e-mail or tax id before go-live: updated and linked, never duplicated
    accounts = by_key(env)
    assert len(entered) == 7 and sum(1 for a in entered if a.get("JDE_Address_Number")) == 5
    assert all(len(rows) == 1 for key, rows in accounts.items() if key)
    # one customer entered twice (its e-mail on one account, its tax id on another): a dead letter, not a guess
    [ambiguous] = env.ledger.open_dead_letters(FORWARD, "Accounts")
    assert "ambiguous duplicate match" in ambiguous.error_message and ambiguous.source_key not in accounts

    activity.work_a_day(zoho)
    synced = sorted(
        (a for a in zoho.records("us", "Accounts") if a.get("JDE_Address_Number")),
        key=lambda a: int(a["JDE_Address_Number"]),
    )
    phone_an8, terms_an8, credit_an8 = (int(a["JDE_Address_Number"]) for a in synced[:3])
    credit_before = jde.rows("F03012", AN8=credit_an8)[0]["ACL"]
    for job in (REVERSE, FORWARD):
        env.run(DAY, job=job)
    quiet = [env.run(DAY, job=job) for job in (REVERSE, FORWARD, REVERSE)]
    assert [write_calls(result) for result in quiet] == [0, 0, 0], "echoes came back as changes"

    # Zoho owns the phone: JDE took it; payment terms last written in Zoho: JDE took them; JDE owns the credit limit:
    # Zoho's edit was put back
    assert jde.rows("F0115", AN8=phone_an8, IDLN=0)[0]["PH1"] == "+1 303 555 0199"
    assert jde.rows("F03012", AN8=terms_an8)[0]["TRAR"] == "N60"
    assert float(by_key(env)[str(credit_an8)][0].get("Credit_Limit") or 0) == float(credit_before or 0)
    # new Zoho customers are JDE customers with their contacts, and carry their address numbers; a prospect is not
    made = {name: jde.rows("F0101", ALPH=name) for name in ("Northwind Traders", "Fabrikam Tools", "Maybe Later Inc")}
    assert len(made["Northwind Traders"]) == len(made["Fabrikam Tools"]) == 1 and not made["Maybe Later Inc"]
    northwind = made["Northwind Traders"][0]["AN8"]
    assert jde.rows("F03012", AN8=northwind)[0]["TRAR"] == "N30"
    assert [row["SRNM"] for row in jde.rows("F0111", AN8=northwind) if row["IDLN"]] == ["Trujillo"]
    assert by_key(env)[str(northwind)][0]["Account_Name"] == "Northwind Traders"
    # payment terms JDE does not know: a dead letter with JDE's own message
    [refused] = [x for x in env.ledger.open_dead_letters(REVERSE, "customer") if "F0014" in x.error_message]
    assert "'N99' is invalid" in refused.error_message

    verdicts = agreement.jde_and_zoho_crm(env.config, env.resources, env.ledger)
    assert all(v.agrees for v in verdicts), verdicts
    assert verdicts[0].in_target >= 20 and verdicts[1].in_target > 0
    # every record synced either way has an audit row with its audit id and time
    rows = [
        row
        for row in env.ledger.audit()
        if row["pair"] in (FORWARD, REVERSE) and row["action"] in ("created", "updated")
    ]
    assert rows and all(row["audit_id"] and row["at"] for row in rows)


def test_the_go_live_reads_the_small_modules_it_matches_against_rather_than_searching_them(env):
    zoho = env.sandbox["zoho_crm"]
    activity.enter_before_go_live(zoho, jde_customers(env.sandbox["jde"]))
    job = env.defs.resolve_job_def(job_name(FORWARD))
    job.execute_in_process(instance=env.instance, run_config=run_config(job))
    searches = sum(count for path, count in zoho.paths_served.items() if path.endswith("/search"))
    # Zoho held a few accounts: a read of each module found what dozens of searches did (a call per ten values)
    assert searches == 0
    [ambiguous] = env.ledger.open_dead_letters(FORWARD, "Accounts")
    assert "ambiguous duplicate match" in ambiguous.error_message
    assert sum(1 for a in zoho.records("us", "Accounts") if a.get("JDE_Address_Number")) >= 5


def test_an_edit_of_the_same_fields_on_both_sides_is_settled_by_the_rules_with_both_values_audited(env):
    jde, zoho = env.sandbox["jde"], env.sandbox["zoho_crm"]
    go_live(env)
    account = next(a for a in zoho.records("us", "Accounts") if a.get("JDE_Address_Number") and a.get("Payment_Terms"))
    an8 = int(account["JDE_Address_Number"])
    # JDE first, Zoho a minute later: the credit limit is JDE's whatever the time, payment terms go to the later edit
    jde.update_row("F03012", f"{an8}.00001", {"ACL": 77000, "TRAR": "N45"})
    jde.clock.advance(60)
    zoho.edit("us", "Accounts", account["id"], {"Credit_Limit": 88000, "Payment_Terms": "COD"})
    forward = env.run(DAY, job=FORWARD)
    reverse = env.run(DAY, job=REVERSE)

    held = next(a for a in zoho.records("us", "Accounts") if a["id"] == account["id"])
    master = jde.rows("F03012", AN8=an8)[0]
    assert float(held["Credit_Limit"]) == float(master["ACL"]) == 77000
    assert held["Payment_Terms"] == master["TRAR"] == "COD"
    conflicts = {
        c["field"]: c
        for row in env.ledger.audit()
        if row["run_id"] in (forward.run_id, reverse.run_id) and row["source_key"] in (str(an8), account["id"])
        for c in (row["changes"] or {}).get("conflicts", [])
    }
    assert conflicts["credit_limit"] == {
        "field": "credit_limit",
        "jde": "77000.00",
        "zoho_crm": "88000.00",
        "agreed": conflicts["credit_limit"]["agreed"],
        "winner": "jde",
        "rule": "owned by jde",
    }
    assert (conflicts["payment_terms"]["jde"], conflicts["payment_terms"]["zoho_crm"]) == ("N45", "COD")
    assert conflicts["payment_terms"]["winner"] == "zoho_crm"
    assert conflicts["payment_terms"]["rule"] == "last_writer: zoho_crm changed later"
    assert sum(write_calls(env.run(DAY, job=job)) for job in (FORWARD, REVERSE)) == 0
