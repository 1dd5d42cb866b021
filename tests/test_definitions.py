"""Loads every definition of the code location, as `dagster dev` would, and checks its shape."""

from datetime import datetime, timezone

import dagster as dg

from ml_connector_dagster.definitions import defs


def test_all_definitions_load():
    repository = defs.get_repository_def()
    jobs = {job.name for job in repository.get_all_jobs()}
    assert {"oracle_ebs__dynamics_sales", "replay_dynamics_sales"} <= jobs
    assert {s.name for s in repository.schedule_defs} == {"oracle_ebs_dynamics_sales_schedule"}


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
    assert {dg.AssetKey(["oracle_ebs", t]) for t in ("hz_parties", "hz_cust_accounts", "hz_party_sites",
                                                      "hz_contacts", "po_vendors", "po_vendor_sites_all")} <= lineage


def test_groups_by_system_and_every_load_has_checks():
    graph = defs.resolve_asset_graph()
    groups = {key.path[0]: graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert all(system == group for system, group in groups.items())
    checked = {key.asset_key for key in graph.asset_check_keys}
    assert {dg.AssetKey(["dynamics_sales", "oracle_ebs_accounts"]),
            dg.AssetKey(["dynamics_sales", "oracle_ebs_contacts"])} <= checked


def test_schedule_targets_the_day_that_just_ended():
    schedule = defs.resolve_schedule_def("oracle_ebs_dynamics_sales_schedule")
    context = dg.build_schedule_context(repository_def=defs.get_repository_def(),
                                        scheduled_execution_time=datetime(2026, 10, 5, 2, tzinfo=timezone.utc))
    [request] = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == "2026-10-04"
