"""Parents on demand, through the real jobs against the emulators: a record whose parent predates the start date (no
day's window ever reads it) lands with that parent in one run; a parent the source lacks or the target refused
leaves a dependency dead letter that says which."""

from contextlib import contextmanager
from datetime import UTC, datetime

from ml_connector_dagster.resources.sap_ecc.alpha import alpha_out

from ml_connector_dagster.sandbox.oracle_ebs.schema import primary_key
from tests.e2e.conftest import NOW, SAP_JOB, load_metadata, partition_checks

EBS_PAIR, SAP_PAIR = "oracle_ebs__dynamics_sales", SAP_JOB
PAST = datetime(2025, 5, 14, 9, 30, tzinfo=UTC)  # before the start date: no partition's window reaches it
SAP_PAST = datetime(2019, 3, 1, 8, 0, tzinfo=UTC)


@contextmanager
def edited_on(emulator, moment: datetime):
    """Edits made inside happen at `moment` by the emulator's clock, as if a user had made them then."""
    emulator.clock.freeze(moment)
    try:
        yield
    finally:
        emulator.clock.freeze(NOW)


# --- Oracle EBS -----------------------------------------------------------------------------------------------------
def touch(ebs, table: str, **where) -> list[dict]:
    rows = ebs.rows(table, **where)
    for row in rows:
        ebs.update_row(table, row[primary_key(table)], {})
    return rows


def last_updated_in_2025(env, party_id: int, **changes) -> None:
    """Every row EBS builds the party's account from (party, customer accounts, sites with their locations, account
    sites and uses, its parent relationship) last updated before the start date, with `changes` to the party."""
    ebs = env.ebs
    with edited_on(ebs, PAST):
        ebs.update_row("HZ_PARTIES", party_id, changes)
        touch(ebs, "HZ_CUST_ACCOUNTS", PARTY_ID=party_id)
        for site in touch(ebs, "HZ_PARTY_SITES", PARTY_ID=party_id):
            touch(ebs, "HZ_LOCATIONS", LOCATION_ID=site["LOCATION_ID"])
            for account_site in touch(ebs, "HZ_CUST_ACCT_SITES_ALL", PARTY_SITE_ID=site["PARTY_SITE_ID"]):
                touch(ebs, "HZ_CUST_SITE_USES_ALL", CUST_ACCT_SITE_ID=account_site["CUST_ACCT_SITE_ID"])
        touch(ebs, "HZ_RELATIONSHIPS", SUBJECT_ID=party_id, RELATIONSHIP_CODE="SUBSIDIARY_OF", DIRECTIONAL_FLAG="F")


def hierarchy(ebs) -> list[dict]:
    return ebs.rows("HZ_RELATIONSHIPS", RELATIONSHIP_CODE="SUBSIDIARY_OF", DIRECTIONAL_FLAG="F")


def plain_organisation(ebs, party_id: int) -> bool:
    """A customer in no hierarchy and not a supplier: only what the test gives it refers to it."""
    linked = {row["SUBJECT_ID"] for row in hierarchy(ebs)} | {row["OBJECT_ID"] for row in hierarchy(ebs)}
    return party_id not in linked and not ebs.rows("AP_SUPPLIERS", PARTY_ID=party_id)


def contacts_of(ebs, party_id: int) -> list[str]:
    return [
        f"oracle_ebs.contact.{row['RELATIONSHIP_ID']}"
        for row in ebs.rows(
            "HZ_RELATIONSHIPS", OBJECT_ID=party_id, RELATIONSHIP_CODE="CONTACT_OF", DIRECTIONAL_FLAG="F"
        )
    ]


def organisation_with_contacts(env) -> int:
    ebs = env.ebs
    return next(
        row["PARTY_ID"]
        for row in ebs.rows("HZ_PARTIES", PARTY_TYPE="ORGANIZATION", STATUS="A")
        if contacts_of(ebs, row["PARTY_ID"]) and plain_organisation(ebs, row["PARTY_ID"])
    )


def created_in(env, pair: str, source_key: str) -> str:
    [created] = [row for row in env.ledger.audit(source_key=source_key) if row["action"] == "created"]
    assert created["pair"] == pair
    return created["run_id"]


def test_a_contact_whose_organisation_predates_the_start_date_lands_with_it_in_one_run(env):
    org = organisation_with_contacts(env)
    last_updated_in_2025(env, org)
    results = [env.run(day) for day in env.size.partition_keys()]

    org_key = f"oracle_ebs.party.{org}"
    [account] = env.dataverse.rows("account", mlc_externalid=org_key)
    contacts = contacts_of(env.ebs, org)
    landed = [key for key in contacts if env.dataverse.rows("contact", mlc_externalid=key)]
    assert landed, "the seed's contacts of the organisation are valid ones"
    for key in landed:
        [contact] = env.dataverse.rows("contact", mlc_externalid=key)
        assert contact["_parentcustomerid_value"] == account["accountid"]
    assert not env.ledger.open_dead_letters(EBS_PAIR, "contact", "dependency", source_keys=contacts)
    run = created_in(env, EBS_PAIR, org_key)
    assert run in {created_in(env, EBS_PAIR, key) for key in landed}
    fetched = {r.run_id: load_metadata(r)["oracle_ebs/party_snapshots"]["parents_on_demand"] for r in results}
    assert fetched[run] >= 1
    checks = partition_checks(*results)
    assert all(check.passed for check in checks), [check.check_name for check in checks if not check.passed]


def test_a_child_account_whose_parent_predates_the_start_date_lands_with_it_in_one_run(env):
    ebs = env.ebs
    child, parent = next(
        (row["SUBJECT_ID"], row["OBJECT_ID"])
        for row in hierarchy(ebs)
        if not contacts_of(ebs, row["OBJECT_ID"])
        and not ebs.rows("AP_SUPPLIERS", PARTY_ID=row["OBJECT_ID"])
        and not ebs.rows("HZ_RELATIONSHIPS", SUBJECT_ID=row["OBJECT_ID"], RELATIONSHIP_CODE="SUBSIDIARY_OF")
    )
    last_updated_in_2025(env, parent)
    env.run_all()

    [parent_account] = env.dataverse.rows("account", mlc_externalid=f"oracle_ebs.party.{parent}")
    [child_account] = env.dataverse.rows("account", mlc_externalid=f"oracle_ebs.party.{child}")
    assert child_account["_parentaccountid_value"] == parent_account["accountid"]
    assert created_in(env, EBS_PAIR, f"oracle_ebs.party.{parent}") == created_in(
        env, EBS_PAIR, f"oracle_ebs.party.{child}"
    )
    assert not env.ledger.open_dead_letters(EBS_PAIR, "account", "dependency")


def test_contacts_of_an_organisation_the_target_refused_say_so_and_the_check_warns(env):
    org = organisation_with_contacts(env)
    last_updated_in_2025(env, org, PARTY_NAME="BLOCKED Trading Co")
    env.dataverse.update_settings(
        {
            "reject_rules": [
                {"table": "account", "column": "name", "pattern": "^BLOCKED", "message": "needs credit approval"}
            ]
        }
    )
    results = [env.run(day) for day in env.size.partition_keys()]

    [refused] = env.ledger.open_dead_letters(EBS_PAIR, "account", source_keys=[f"oracle_ebs.party.{org}"])
    assert refused.error_class == "validation" and "credit approval" in refused.error_message
    letters = env.ledger.open_dead_letters(EBS_PAIR, "contact", "dependency", source_keys=contacts_of(env.ebs, org))
    assert letters
    for letter in letters:
        assert letter.error_code == "parent_refused"
        assert f"account oracle_ebs.party.{org} (refused by the target" in letter.error_message
        assert "credit approval" in letter.error_message
    warnings = [
        check
        for result in results
        for check in result.get_asset_check_evaluations()
        if check.check_name == "no_contact_waits_for_a_parent" and not check.passed
    ]
    assert warnings and all(check.severity.value == "WARN" for check in warnings)
    assert sum(check.metadata["parent_refused"].value for check in warnings) == len(letters)
    agreement = [
        check
        for result in results
        for check in result.get_asset_check_evaluations()
        if check.check_name == "every_contact_in_target_or_dead_letter"
    ]
    assert all(check.passed for check in agreement)
    assert sum(check.metadata["waiting_for_parent"].value for check in agreement) == len(letters)


# --- SAP ECC --------------------------------------------------------------------------------------------------------
def vendor_created_in_2019(env) -> str:
    """A vendor (not linked to a customer, no VAT number shared) with purchase orders in a currency the target has,
    created in 2019 and never touched since, so no day's change documents name it."""
    sap = env.sap
    taxes = [row["STCEG"] for table in ("LFA1", "KNA1") for row in sap.rows(table) if row["STCEG"]]
    lifnr = next(
        vendor["LIFNR"]
        for vendor in sap.rows("LFA1")
        if not vendor["KUNNR"]
        and vendor["NAME1"]
        and not vendor["LOEVM"]
        and not sap.rows("KNA1", LIFNR=vendor["LIFNR"])
        and taxes.count(vendor["STCEG"]) == 1
        and any(not order["LOEKZ"] and order["WAERS"] != "PLN" for order in sap.rows("EKKO", LIFNR=vendor["LIFNR"]))
    )
    with edited_on(sap, SAP_PAST):
        sap.update_row("LFA1", {"LIFNR": lifnr}, {"ERDAT": SAP_PAST.strftime("%Y%m%d")})
        for company in sap.rows("LFB1", LIFNR=lifnr):
            sap.update_row("LFB1", {"LIFNR": lifnr, "BUKRS": company["BUKRS"]}, {"ERDAT": SAP_PAST.strftime("%Y%m%d")})
    return lifnr


def test_a_purchase_order_whose_vendor_predates_the_start_date_lands_with_it_in_one_run(env):
    lifnr = vendor_created_in_2019(env)
    results = [env.run(day, job=SAP_JOB) for day in env.size.partition_keys()]

    vendor_key = f"sap_ecc.vendor.{alpha_out(lifnr)}"
    [account] = env.dataverse.rows("account", mlc_externalid=vendor_key)
    orders = [
        f"sap_ecc.po.{alpha_out(order['EBELN'])}"
        for order in env.sap.rows("EKKO", LIFNR=lifnr)
        if not order["LOEKZ"] and order["WAERS"] != "PLN"
    ]
    for key in orders:
        [opportunity] = env.dataverse.rows("opportunity", mlc_externalid=key)
        assert opportunity["_customerid_value"] == account["accountid"]
    assert not env.ledger.open_dead_letters(SAP_PAIR, "opportunity", source_keys=orders)
    assert created_in(env, SAP_PAIR, vendor_key) in {created_in(env, SAP_PAIR, key) for key in orders}
    fetched = {r.run_id: load_metadata(r)["sap_ecc/business_partner_snapshots"]["parents_on_demand"] for r in results}
    assert fetched[created_in(env, SAP_PAIR, vendor_key)] >= 1


def test_a_purchase_order_whose_vendor_the_source_lacks_waits_saying_so(env):
    order = next(o for o in env.sap.rows("EKKO") if not o["LOEKZ"] and o["WAERS"] != "PLN")
    env.sap.update_row("EKKO", {"EBELN": order["EBELN"]}, {"LIFNR": "0000999999"})
    results = [env.run(day, job=SAP_JOB) for day in env.size.partition_keys()]

    key = f"sap_ecc.po.{alpha_out(order['EBELN'])}"
    [letter] = env.ledger.open_dead_letters(SAP_PAIR, "opportunity", source_keys=[key])
    assert letter.error_class == "dependency" and letter.error_code == "parent_not_in_source"
    assert "account sap_ecc.vendor.999999 (the source does not have it" in letter.error_message
    items = env.ledger.open_dead_letters(SAP_PAIR, "opportunityproduct")
    assert any(f"opportunity {key} (it waits itself" in item.error_message for item in items)
    today = load_metadata(results[-1])  # the order was edited today: the last partition
    assert today["sap_ecc/business_partner_snapshots"]["parents_not_in_source"] == 1
    [warning] = [
        check
        for check in results[-1].get_asset_check_evaluations()
        if check.check_name == "no_opportunity_waits_for_a_parent"
    ]
    assert not warning.passed and warning.metadata["parent_not_in_source"].value == 1
    assert env.ledger.last_actions(SAP_PAIR, "account", ["sap_ecc.vendor.999999"])["sap_ecc.vendor.999999"][0] == (
        "not_in_source"
    )
