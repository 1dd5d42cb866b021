"""JD Edwards ↔ Zoho CRM daily partitions stream both ways (issue #15): extracted, matched, mapped and loaded a page
at a time, first sync and rerun alike, while a duplicate match still sees the whole partition: two records of a day
in different pages that alone match one record of the other side are both refused, as when the day was held whole.
The go-live's initial load, read a page at a time too, matches over the whole load the same way."""

from dataclasses import replace
from datetime import date

import pytest
from ml_connector_dagster.assets.jde import extracts as jde_extracts
from ml_connector_dagster.assets.jde import zoho_crm as zoho_to_jde

from ml_connector_dagster.demo import jde_customers
from ml_connector_dagster.initial_load import job_name, run_config
from ml_connector_dagster.ledger import ErrorClass
from ml_connector_dagster.mapping import jde_zoho_crm as shared
from ml_connector_dagster.mapping import zoho_crm_jde as reverse
from tests.e2e.conftest import JDE_ZOHO, NOW, load_metadata, partition_checks, sandbox_env
from tests.e2e.test_streaming import BATCH, PAGE, held, mapped_sizes  # noqa: F401 (a fixture)

FORWARD, REVERSE = "jde__zoho_crm", "zoho_crm__jde"
DAY = NOW.date().isoformat()
# One seeded day, the sandbox clock's: every JDE entry changed that day.
DAILY = replace(JDE_ZOHO, jde_customers=40, jde_vendors=3, dormant_jde=0, start_date=date(2026, 10, 3), days=1)


@pytest.fixture
def env(tmp_path):
    with sandbox_env(tmp_path, DAILY) as made:
        yield made.with_resources(zoho_crm={"batch_size": BATCH, "max_parallel_batches": 1}, jde={"batch_size": BATCH})


@pytest.fixture
def paged(request, monkeypatch) -> list[int]:
    """test_streaming's `held`, with the day's address numbers and the write-backs the ledger adds PAGE a page too."""
    monkeypatch.setattr(jde_extracts, "ENTRIES_PER_PAGE", PAGE)
    monkeypatch.setattr(zoho_to_jde, "PAGE_ROWS", PAGE)
    return request.getfixturevalue("held")


def mapped_results(monkeypatch, module, name: str) -> list[int]:
    """How many records each call of `module.name` (a pair's mapping) answers for."""
    sizes: list[int] = []
    function = getattr(module, name)

    def counting(*args, **kwargs):
        result = function(*args, **kwargs)
        sizes.append(len(result.records) + len(result.rejected) + len(result.excluded))
        return result

    monkeypatch.setattr(module, name, counting)
    return sizes


def write_calls(result) -> int:
    return sum(md["write_calls"] for md in load_metadata(result).values() if "write_calls" in md)


def assert_checks_pass(*results) -> None:
    """Every check of the runs' partition passes, but for the contacts of refused accounts waiting for them (WARN)."""
    checks = [c for c in partition_checks(*results) if c.check_name != "no_contacts_waits_for_a_parent"]
    assert checks and all(e.passed for e in checks), [e.check_name for e in checks if not e.passed]


def ambiguous(env, pair: str, target_object: str) -> dict[str, str]:
    return {
        letter.source_key: letter.error_message
        for letter in env.ledger.open_dead_letters(pair, target_object)
        if "ambiguous duplicate match" in letter.error_message
    }


def shared_mailbox(jde, zoho) -> tuple[dict, dict, str]:
    """The first and the last customer (pages apart) made to share an e-mail, which an account entered in Zoho holds:
    (first, last, the Zoho account's id)."""
    customers = sorted((c for c in jde_customers(jde) if c["EMAL"]), key=lambda c: c["AN8"])
    first, last = customers[0], customers[-1]
    [mail] = jde.rows("F01151", AN8=last["AN8"], IDLN=0)
    jde.update_row("F01151", f"{last['AN8']}.0.{mail['RCK7']}", {"EMAL": first["EMAL"]})
    [entered] = zoho.create("us", "Accounts", [{"Account_Name": "Shared Mailbox", "Account_Email": first["EMAL"]}])
    return first, last, entered["details"]["id"]


def both_refused(first: dict, last: dict, zoho_id: str) -> dict[str, str]:
    return {
        str(first["AN8"]): f"ambiguous duplicate match: {zoho_id} matches this record and {last['AN8']} too",
        str(last["AN8"]): f"ambiguous duplicate match: {zoho_id} matches this record and {first['AN8']} too",
    }


def test_jde_to_zoho_crm_holds_a_page_at_a_time_and_refuses_one_zoho_account_two_pages_match(env, paged, monkeypatch):
    jde, zoho = env.sandbox["jde"], env.sandbox["zoho_crm"]
    entries = mapped_sizes(monkeypatch, shared, "map_accounts")
    contacts = mapped_results(monkeypatch, shared, "map_contacts")
    first, last, zoho_id = shared_mailbox(jde, zoho)

    result = env.run(DAY, job=FORWARD)
    assert_checks_pass(result)
    refused = ambiguous(env, FORWARD, shared.ACCOUNTS)
    assert refused == both_refused(first, last, zoho_id)
    waiting = env.ledger.open_dead_letters(FORWARD, shared.CONTACTS, ErrorClass.DEPENDENCY)
    assert {letter.source_key.split(".")[0] for letter in waiting} <= set(refused)
    entered = next(a for a in zoho.records("us", "Accounts") if a["id"] == zoho_id)
    assert not entered.get("JDE_Address_Number"), "a guess linked it"
    created = load_metadata(result)["zoho_crm/jde_accounts"]["created"]
    assert created == len(jde.rows("F0101")) - 2 > 2 * BATCH
    # Each day's entries are mapped PAGE at a time, never whole, and synced a batch (or a page of an entry's several
    # contacts) at a time at most.
    assert len(entries) > 2 and max(entries) <= PAGE, entries
    most = max(BATCH, *contacts)
    assert max(contacts) < sum(contacts) / 2 and max(paged) <= most and len(paged) > created / BATCH, (contacts, paged)

    paged.clear()
    entries.clear()
    contacts.clear()
    rerun = env.run(DAY, job=FORWARD)
    assert_checks_pass(rerun)
    assert write_calls(rerun) == 0
    assert load_metadata(rerun)["zoho_crm/jde_accounts"]["unchanged"] == created
    assert max(entries) <= PAGE and max(paged) <= most, (entries, paged)
    assert ambiguous(env, FORWARD, shared.ACCOUNTS) == refused


def test_the_go_live_refuses_one_zoho_account_two_pages_of_the_initial_load_match(env, monkeypatch):
    jde, zoho = env.sandbox["jde"], env.sandbox["zoho_crm"]
    entries = mapped_sizes(monkeypatch, shared, "map_accounts")
    first, last, zoho_id = shared_mailbox(jde, zoho)
    job = env.defs.resolve_job_def(job_name(FORWARD))

    result = job.execute_in_process(instance=env.instance, run_config=run_config(job, page_size=PAGE))
    assert result.success
    assert ambiguous(env, FORWARD, shared.ACCOUNTS) == both_refused(first, last, zoho_id)
    entered = next(a for a in zoho.records("us", "Accounts") if a["id"] == zoho_id)
    assert not entered.get("JDE_Address_Number"), "a guess linked it"
    # every entry read and mapped PAGE at a time, never the whole load
    assert len(entries) > 2 and max(entries) <= PAGE, entries
    accounts = result.output_for_node(f"{FORWARD}__accounts")
    assert accounts["created"] == len(jde.rows("F0101")) - 2 and accounts["read"] == len(jde.rows("F0101"))


def test_zoho_crm_to_jde_holds_a_page_at_a_time_and_refuses_one_jde_entry_two_pages_match(env, paged, monkeypatch):
    jde, zoho = env.sandbox["jde"], env.sandbox["zoho_crm"]
    records = mapped_sizes(monkeypatch, reverse, "map_customers")
    # Two new Zoho accounts, pages apart, carry the tax id of one JDE entry the connector never synced.
    entry = next(c for c in jde_customers(jde) if c["TAX"])
    new = [{"Account_Name": f"Zoho Customer {n}", "Account_Type": "Customer"} for n in range(3 * PAGE)]
    twins = [
        {"Account_Name": f"{entry['ALPH']} {n}", "Account_Type": "Customer", "Tax_ID": entry["TAX"]} for n in (1, 2)
    ]
    made = [answer["details"]["id"] for answer in zoho.create("us", "Accounts", [twins[0], *new, twins[1]])]
    twin_ids = (made[0], made[-1])

    result = env.run(DAY, job=REVERSE)
    assert_checks_pass(result)
    an8 = entry["AN8"]
    assert ambiguous(env, REVERSE, reverse.CUSTOMERS) == {
        twin_ids[0]: f"ambiguous duplicate match: {an8} matches this record and {twin_ids[1]} too",
        twin_ids[1]: f"ambiguous duplicate match: {an8} matches this record and {twin_ids[0]} too",
    }
    assert jde.rows("F0101", AN8=an8)[0]["ALPH"] == entry["ALPH"], "a guess merged a twin into it"
    assert load_metadata(result)["jde/zoho_crm_customers"]["created"] == len(new)
    assert all(len(jde.rows("F0101", ALPH=account["Account_Name"])) == 1 for account in new)
    # The day's Zoho accounts are mapped PAGE at a time; loads and write-backs synced a batch at a time at most.
    assert len(records) > 2 and max(records) <= PAGE, records
    assert max(paged) <= BATCH and len(paged) > len(new) / BATCH, paged

    paged.clear()
    records.clear()
    rerun = env.run(DAY, job=REVERSE)
    assert_checks_pass(rerun)
    assert write_calls(rerun) == 0
    assert max(records) <= PAGE and max(paged) <= BATCH, (records, paged)
