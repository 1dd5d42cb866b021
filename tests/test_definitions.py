"""Loads every definition of the code location, as `dagster dev` would, and checks its shape."""

import os
from datetime import UTC, datetime

import dagster as dg
import pytest
from ml_connector_dagster.assets.audit import audit_asset_key
from ml_connector_dagster.assets.dead_letters import CHECK_SUFFIX, OBJECT_TAG, PAIR_TAG, check_name

from ml_connector_dagster.code_location import build_definitions
from ml_connector_dagster.definitions import defs as load_defs
from ml_connector_dagster.pairs import PAIRS
from ml_connector_dagster.settings import Settings

defs = load_defs()


def test_all_definitions_load():
    repository = defs.get_repository_def()
    jobs = {job.name for job in repository.get_all_jobs()}
    assert {
        "oracle_ebs__dynamics_sales",
        "sap_ecc__dynamics_sales",
        "dynamics_fo__salesforce",
        "salesforce__dynamics_fo",
        "jde__zoho_crm",
        "zoho_crm__jde",
        "jde__zoho_crm__initial_load",
        "zoho_crm_channel_renewal",
        "replay_dynamics_sales",
        "replay_jde",
        "replay_zoho_crm",
    } <= jobs
    assert {s.name for s in repository.schedule_defs} == {
        "oracle_ebs_dynamics_sales_schedule",
        "sap_ecc_dynamics_sales_schedule",
        "dynamics_fo_daily_schedule",
        "salesforce_dynamics_fo_schedule",
        "jde_zoho_crm_schedule",
        "zoho_crm_jde_schedule",
        "zoho_crm_channel_renewal_daily",
        "oracle_ebs_procore_schedule",
        "procore_oracle_ebs_schedule",
        "procore_webhook_setup_daily",
    }
    assert {s.name for s in repository.sensor_defs} == {
        "dynamics_fo_business_events",
        "salesforce_change_events",
        "zoho_crm_notifications",
        "procore_events",
    }


def test_lineage_runs_from_ebs_tables_to_dynamics_objects():
    graph = defs.resolve_asset_graph()
    upstream = graph.get(dg.AssetKey(["dynamics_sales", "oracle_ebs_accounts"])).parent_keys
    assert dg.AssetKey(["dynamics_sales", "oracle_ebs_account_payloads"]) in upstream
    lineage = set()
    frontier = [dg.AssetKey(["dynamics_sales", "oracle_ebs_contacts"])]
    while frontier:
        key = frontier.pop()
        lineage.add(key)
        frontier.extend(graph.get(key).parent_keys)
    assert {
        dg.AssetKey(["oracle_ebs", t])
        for t in (
            "hz_parties",
            "hz_cust_accounts",
            "hz_party_sites",
            "hz_contacts",
            "po_vendors",
            "po_vendor_sites_all",
        )
    } <= lineage


def test_lineage_runs_both_ways_between_jde_tables_and_zoho_objects():
    graph = defs.resolve_asset_graph()
    contacts = lineage_of(graph, dg.AssetKey(["zoho_crm", "jde_contacts"]))
    assert {dg.AssetKey(["jde", "address_book"]), dg.AssetKey(["zoho_crm", "jde_accounts"])} <= contacts
    keys = lineage_of(graph, dg.AssetKey(["zoho_crm", "jde_write_backs_on_accounts"]))
    assert {dg.AssetKey(["zoho_crm", "accounts"]), dg.AssetKey(["jde", "zoho_crm_customers"])} <= keys
    assert graph.get(dg.AssetKey(["jde", "zoho_crm_customers"])).group_name == "jde"


def lineage_of(graph, key: dg.AssetKey) -> set[dg.AssetKey]:
    seen, frontier = set(), [key]
    while frontier:
        current = frontier.pop()
        seen.add(current)
        frontier.extend(graph.get(current).parent_keys)
    return seen


def test_lineage_runs_from_sap_tables_to_the_shared_dynamics_objects():
    graph = defs.resolve_asset_graph()
    lines = lineage_of(graph, dg.AssetKey(["dynamics_sales", "sap_ecc_opportunityproducts"]))
    assert {dg.AssetKey(["sap_ecc", t]) for t in ("change_documents", "ekko", "ekpo")} <= lines
    assert {
        dg.AssetKey(["dynamics_sales", "sap_ecc_opportunities"]),
        dg.AssetKey(["dynamics_sales", "sap_ecc_accounts"]),
    } <= lines, "lines load after documents and accounts"
    accounts = lineage_of(graph, dg.AssetKey(["dynamics_sales", "sap_ecc_accounts"]))
    assert {dg.AssetKey(["sap_ecc", t]) for t in ("lfa1", "lfb1", "kna1", "knb1")} <= accounts
    assert graph.get(dg.AssetKey(["sap_ecc", "lfa1"])).group_name == "sap_ecc"
    assert graph.get(dg.AssetKey(["dynamics_sales", "sap_ecc_accounts"])).group_name == "dynamics_sales"


def test_lineage_runs_both_ways_between_fo_and_salesforce():
    graph = defs.resolve_asset_graph()
    orders = lineage_of(graph, dg.AssetKey(["salesforce", "erp_order_numbers_on_opportunities"]))
    assert {
        dg.AssetKey(["salesforce", "won_opportunities"]),
        dg.AssetKey(["salesforce", "deal_lines"]),
        dg.AssetKey(["dynamics_fo", "salesforce_sales_orders"]),
        dg.AssetKey(["dynamics_fo", "salesforce_customers"]),
    } <= orders, "numbers go back after orders exist"
    links = lineage_of(graph, dg.AssetKey(["salesforce", "erp_account_links"]))
    assert dg.AssetKey(["dynamics_fo", "salesforce_customers"]) in links
    assert graph.get(dg.AssetKey(["salesforce", "won_opportunities"])).group_name == "salesforce"
    assert graph.get(dg.AssetKey(["dynamics_fo", "salesforce_sales_orders"])).group_name == "dynamics_fo"


def test_groups_by_system_and_every_load_has_checks():
    graph = defs.resolve_asset_graph()
    groups = {key.path[0]: graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert all(system == group for system, group in groups.items())
    checked = {key.asset_key for key in graph.asset_check_keys}
    loads = {
        key
        for key in graph.get_all_asset_keys()
        if key.path[0] == "dynamics_sales" and not key.path[-1].endswith(("_payloads", "_audit"))
    }
    assert len(loads) == 5 and loads <= checked


def test_every_pair_has_its_audit_trail_in_its_targets_group_unpartitioned():
    graph = defs.resolve_asset_graph()
    for pair in PAIRS:
        node = graph.get(audit_asset_key(pair.name))
        assert node.group_name == pair.target and node.partitions_def is None and not node.parent_keys


@pytest.mark.parametrize("name", ["oracle_ebs_dynamics_sales_schedule", "sap_ecc_dynamics_sales_schedule"])
def test_schedules_target_the_day_that_just_ended(name):
    schedule = defs.resolve_schedule_def(name)
    context = dg.build_schedule_context(
        repository_def=defs.get_repository_def(), scheduled_execution_time=datetime(2026, 10, 5, 2, tzinfo=UTC)
    )
    [request] = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == "2026-10-04"


def test_production_profile_loads_with_secrets_left_to_launch_and_bad_settings_named(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith(("ORACLE_EBS_", "SAP_ECC_", "DYNAMICS_SALES_", "DYNAMICS_FO_", "SALESFORCE_")):
            monkeypatch.delenv(name)
    config = Settings(profile="production", home=tmp_path, ledger_url=f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    repository = build_definitions(config).get_repository_def()
    assert {"oracle_ebs", "sap_ecc", "dynamics_sales", "dynamics_fo", "salesforce"} <= set(
        repository.get_top_level_resources()
    )
    monkeypatch.setenv("SAP_ECC_CLIENT", "12")
    with pytest.raises(Exception, match="^SAP_ECC_CLIENT='12': "):
        build_definitions(config)


@pytest.mark.parametrize("instance_file", ["deploy/dagster.yaml", "ml_connector_dagster/embedded_dagster.yaml"])
def test_runs_that_must_not_overlap_are_queued_one_at_a_time(instance_file):
    from pathlib import Path

    import yaml
    from dagster._core.instance.config import ConcurrencyConfig
    from dagster._core.run_coordinator.queued_run_coordinator import RunQueueConfig

    settings = yaml.safe_load((Path(__file__).resolve().parents[1] / instance_file).read_text())["concurrency"]
    queue = ConcurrencyConfig.from_concurrency_settings(
        settings, RunQueueConfig(max_concurrent_runs=10, tag_concurrency_limits=[])
    ).run_queue_config
    tag = defs.resolve_job_def("salesforce__dynamics_fo").tags
    [serial] = [limit for limit in queue.tag_concurrency_limits if limit["key"] in tag]
    assert serial["limit"] == 1 and serial["value"] == {"applyLimitPerUniqueValue": True}


def test_definitions_are_built_from_the_settings_given_not_from_the_environment(tmp_path):
    mapping_dir = tmp_path / "mapping"
    mapping_dir.mkdir()
    (mapping_dir / "sap_ecc__dynamics_sales.yaml").write_text("purchase_orders_as: salesorder\n")
    config = Settings(
        home=tmp_path,
        ledger_url=f"sqlite:///{tmp_path / 'ledger.sqlite'}",
        start_date=datetime(2027, 1, 1).date(),
        schedule_hour=7,
        fo_legal_entities=("abcd",),
        mapping_dir=mapping_dir,
    )
    built = build_definitions(config)
    graph = built.resolve_asset_graph()
    daily = graph.get(dg.AssetKey(["oracle_ebs", "hz_parties"])).partitions_def
    assert daily.start.date().isoformat() == "2027-01-01"
    assert graph.get(dg.AssetKey(["salesforce", "won_opportunities"])).partitions_def == daily
    entities = graph.get(dg.AssetKey(["dynamics_fo", "customers_v3"])).partitions_def
    assert entities.get_partition_keys() == ["abcd"]
    assert {s.name: s.cron_schedule for s in built.get_repository_def().schedule_defs} == {
        name: "0 7 * * *"
        for name in (
            "oracle_ebs_dynamics_sales_schedule",
            "sap_ecc_dynamics_sales_schedule",
            "dynamics_fo_daily_schedule",
            "salesforce_dynamics_fo_schedule",
            "jde_zoho_crm_schedule",
            "zoho_crm_jde_schedule",
            "zoho_crm_channel_renewal_daily",
            "oracle_ebs_procore_schedule",
            "procore_oracle_ebs_schedule",
            "procore_webhook_setup_daily",
        )
    }
    # the SAP rules in the mapping folder make purchase orders sales orders: the load assets follow
    assert dg.AssetKey(["dynamics_sales", "sap_ecc_salesorders"]) in graph.get_all_asset_keys()
    assert dg.AssetKey(["dynamics_sales", "sap_ecc_opportunities"]) not in graph.get_all_asset_keys()
    sensor = built.resolve_sensor_def("dynamics_fo_business_events")
    assert sensor.job_name == "dynamics_fo__salesforce"
    # and the defaults still hold for a build from default settings, in the same process
    default = build_definitions(Settings(home=tmp_path, ledger_url=f"sqlite:///{tmp_path / 'ledger.sqlite'}"))
    assert default.resolve_asset_graph().get(
        dg.AssetKey(["dynamics_fo", "customers_v3"])
    ).partitions_def.get_partition_keys() == ["usmf", "usrt", "demf"]


def test_every_load_of_every_pair_has_a_dead_letter_check_that_warns():
    graph = defs.resolve_asset_graph()
    loads = {key.asset_key for key in graph.asset_check_keys if key.name.endswith("_in_target_or_dead_letter")}
    dead_letter_checks = {key.asset_key: key for key in graph.asset_check_keys if key.name.endswith(CHECK_SUFFIX)}
    assert loads and loads == set(dead_letter_checks)
    assert {graph.get(key).tags[PAIR_TAG] for key in loads} == {pair.name for pair in PAIRS}
    for key in loads:
        target_object = graph.get(key).tags[OBJECT_TAG]
        assert dead_letter_checks[key].name == check_name(target_object)
        assert not graph.get_check_spec(dead_letter_checks[key]).blocking


def test_by_default_every_job_runs_its_steps_in_the_runs_own_process():
    """Pairs' jobs, initial loads, replays, upkeep, and the job Dagster makes for assets materialized from the asset
    graph: one process per run, whose steps share each system's session and token (tests/core/test_executor.py: the
    other executors a deployment can choose)."""
    executors = {job.name: job.executor_def.name for job in defs.resolve_all_job_defs()}
    assert "__ASSET_JOB" in executors and {"replay_jde", "zoho_crm_channel_renewal"} <= set(executors)
    assert {name for name, executor in executors.items() if executor != "in_process"} == set()


def test_a_process_builds_the_definitions_once_however_often_dagster_loads_the_code_location(tmp_path, monkeypatch):
    from dagster._core.definitions.reconstruct import ReconstructableRepository

    from ml_connector_dagster import definitions
    from ml_connector_dagster.settings import settings

    built: list[Settings] = []

    def counted(config: Settings) -> dg.Definitions:
        built.append(config)
        return build_definitions(config)

    monkeypatch.setattr(definitions, "build_definitions", counted)
    monkeypatch.setenv("ML_CONNECTOR_HOME", str(tmp_path))
    monkeypatch.delenv("ML_CONNECTOR_LEDGER_URL", raising=False)
    settings.cache_clear()
    try:
        # as `dagster job execute` and a launched run's process load it: by module, then the job again to run it
        repository = ReconstructableRepository.for_module("ml_connector_dagster.definitions", "defs", str(tmp_path))
        job = repository.get_reconstructable_job("replay_jde")
        with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
            assert dg.execute_job(job, instance).success  # no dead letters: nothing to send
        assert len(built) == 1
        settings.cache_clear()
        assert definitions.defs() is not defs and len(built) == 2, "other settings, other definitions"
    finally:
        settings.cache_clear()
