"""Dynamics 365 F&O → Salesforce (forward flow) through the Dagster job, against the emulators over HTTP."""

from collections import Counter

from tests.e2e.conftest import load_metadata, partition_checks

JOB = "dynamics_fo__salesforce"
ACCOUNTS, PRODUCTS = "salesforce/dynamics_fo_accounts", "salesforce/dynamics_fo_products"


def run(env, entity: str, **kwargs):
    return env.defs.resolve_job_def(JOB).execute_in_process(partition_key=entity, instance=env.instance, **kwargs)


def test_every_legal_entity_syncs_once_and_a_rerun_writes_nothing(env):
    fo, salesforce = env.sandbox["dynamics_fo"], env.sandbox["salesforce"]
    results = [run(env, entity) for entity in ("usmf", "usrt", "demf")]
    checks = partition_checks(*results)
    assert len(checks) == 18 and all(e.passed for e in checks)
    accounts = Counter(row["ERP_Account_Number__c"] for row in salesforce.rows("Account"))
    assert max(accounts.values()) == 1, "no duplicate Account"
    dead = env.ledger.dead_letter_keys("dynamics_fo__salesforce", "Account")
    assert len(accounts) + len(dead) == len(fo.rows("CustomersV3"))
    assert all(
        "Name" in letter.error_message for letter in env.ledger.open_dead_letters("dynamics_fo__salesforce", "Account")
    )
    product_letters = env.ledger.open_dead_letters("dynamics_fo__salesforce", "Product2")
    assert len(salesforce.rows("Product2")) + len(product_letters) == len(fo.rows("ReleasedProductsV2"))
    assert all(letter.error_class == "validation" for letter in product_letters), product_letters
    used = salesforce.api_used
    rerun = load_metadata(run(env, "usmf"))
    assert rerun[ACCOUNTS]["write_calls"] == rerun[PRODUCTS]["write_calls"] == 0
    assert rerun[ACCOUNTS]["unchanged"] > 0
    assert salesforce.api_used - used == 2, "the rerun's only calls are the two agreement checks' reads"

    customer = next(
        r for r in fo.rows("CustomersV3", dataAreaId="usmf") if r["OrganizationName"].strip() and r["SalesCurrencyCode"]
    )
    fo.edit(
        "CustomersV3",
        {"dataAreaId": "usmf", "CustomerAccount": customer["CustomerAccount"]},
        {"OrganizationName": "Renamed Retail Inc"},
    )
    metadata = load_metadata(run(env, "usmf"))
    assert metadata[ACCOUNTS]["updated"] == 1 and metadata[ACCOUNTS]["write_calls"] == 1
    [account] = salesforce.rows("Account", ERP_Account_Number__c=f"usmf/{customer['CustomerAccount']}")
    assert account["Name"] == "Renamed Retail Inc"


def test_a_run_that_would_exhaust_the_daily_limit_stops_cleanly_and_the_next_run_resumes(env):
    salesforce = env.sandbox["salesforce"]
    small = env.with_resources(salesforce={"batch_size": 20, "daily_limit_reserve": 3})
    salesforce.update_settings({"daily_api_requests": 8})
    stopped = small.defs.resolve_job_def(JOB).execute_in_process(
        partition_key="usmf", instance=env.instance, raise_on_error=False
    )
    assert not stopped.success
    failure = next(e for e in stopped.all_events if e.event_type_value == "STEP_FAILURE")
    assert "daily API request limit" in failure.event_specific_data.error.cause.message
    written = len(salesforce.rows("Account"))
    assert 0 < written < len([r for r in env.sandbox["dynamics_fo"].rows("CustomersV3", dataAreaId="usmf")])
    salesforce.new_day()
    salesforce.update_settings({"daily_api_requests": 15000})
    # Every run shares what the org's last answer said for daily_limit_recheck_seconds; the new day is the emulator's
    # alone, so the next run is told to ask again at once.
    small = env.with_resources(
        salesforce={"batch_size": 20, "daily_limit_reserve": 3, "daily_limit_recheck_seconds": 0}
    )
    assert small.defs.resolve_job_def(JOB).execute_in_process(partition_key="usmf", instance=env.instance).success
    accounts = Counter(row["ERP_Account_Number__c"] for row in salesforce.rows("Account"))
    assert max(accounts.values()) == 1
    assert len(accounts) + len(env.ledger.dead_letter_keys("dynamics_fo__salesforce", "Account")) == len(
        env.sandbox["dynamics_fo"].rows("CustomersV3", dataAreaId="usmf")
    )
