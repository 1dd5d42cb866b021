"""What every job, schedule and sensor selects, snapshotted (like dagster-open-platform's test_defs): a change to
any selection is a reviewed diff of tests/snapshots/selections.json, and no pair's job may pick up another pair's
assets, whatever groups they share."""

import json
import os
from pathlib import Path

import dagster as dg

from ml_connector_dagster.code_location import build_definitions, build_pairs
from ml_connector_dagster.pairs import PAIRS
from ml_connector_dagster.settings import Settings

SNAPSHOT = Path(__file__).parent / "snapshots" / "selections.json"


def _settings(tmp_path) -> Settings:
    return Settings(home=tmp_path, ledger_url=f"sqlite:///{tmp_path / 'ledger.sqlite'}")


def selections(defs: dg.Definitions) -> dict:
    repository = defs.get_repository_def()

    def assets_of(job_name: str) -> list[str]:
        job = defs.resolve_job_def(job_name)
        return sorted(key.to_user_string() for key in job.asset_layer.selected_asset_keys)

    return {
        "jobs": {
            job.name: assets_of(job.name)
            for job in sorted(repository.get_all_jobs(), key=lambda j: j.name)
            if not job.name.startswith("__")
        },
        "schedules": {
            s.name: {"job": s.job_name, "cron": s.cron_schedule, "assets": assets_of(s.job_name)}
            for s in sorted(repository.schedule_defs, key=lambda s: s.name)
        },
        "sensors": {
            s.name: {target.job_name: assets_of(target.job_name) for target in s.targets}
            for s in sorted(repository.sensor_defs, key=lambda s: s.name)
        },
    }


def test_every_selection_matches_the_reviewed_snapshot(tmp_path):
    current = selections(build_definitions(_settings(tmp_path)))
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(current, indent=2) + "\n")
    assert current == json.loads(SNAPSHOT.read_text()), (
        "a job, schedule or sensor selects something else than reviewed; if intended, rerun with UPDATE_SNAPSHOTS=1 "
        "and review the diff of tests/snapshots/selections.json"
    )


def test_a_pair_job_selects_only_its_own_assets_and_the_extracts_it_declares(tmp_path):
    settings = _settings(tmp_path)
    defs = build_definitions(settings)
    for pair, built in zip(PAIRS, build_pairs(settings), strict=True):
        declared = {key for asset in (*built.extracts, *built.assets) for key in asset.keys}
        selected = defs.resolve_job_def(pair.name).asset_layer.selected_asset_keys
        assert selected == declared, f"{pair.name} selects {sorted(k.to_user_string() for k in selected ^ declared)}"
        assert all(key.path[0] in (pair.source, pair.target) for key in selected), pair.name


def test_a_second_pair_on_the_same_systems_does_not_join_the_first_pairs_job(tmp_path):
    """What the group-based selections got wrong: a pair writing into EBS (as Procore → EBS does) would have joined
    the EBS → Dynamics 365 Sales job. A pair that adds an asset to the oracle_ebs and dynamics_sales groups must
    leave the first pair's job as it was."""
    from ml_connector_dagster.pair import Pair, PairDefinitions

    @dg.asset(key=["oracle_ebs", "gl_journal_entries"], group_name="oracle_ebs")
    def writes_into_ebs():
        return None

    @dg.asset(key=["dynamics_sales", "another_pairs_accounts"], group_name="dynamics_sales")
    def another_load():
        return None

    def build(b) -> PairDefinitions:
        assets = [writes_into_ebs, another_load]
        return PairDefinitions(assets=assets, jobs=[b.job("another__oracle_ebs", (), assets, description="test")])

    settings = _settings(tmp_path)
    alone = build_definitions(settings).resolve_job_def("oracle_ebs__dynamics_sales").asset_layer.selected_asset_keys
    joined = build_definitions(settings, pairs=(*PAIRS, Pair("another__oracle_ebs", build)))
    assert joined.resolve_job_def("oracle_ebs__dynamics_sales").asset_layer.selected_asset_keys == alone
    assert writes_into_ebs.key not in alone and another_load.key not in alone
