"""Builds the code location from one `Settings`: every registered pair's definitions merged, the replay jobs of
their targets, each pair's audit-trail asset, and the deployment profile's resources. Reads nothing global: what it
is given is what it builds, except that a secret given as a value goes into the process environment, so the
definitions name it by its variable (secret_fields.py)."""

import dagster as dg

from ml_connector_dagster.assets.audit import audit_assets
from ml_connector_dagster.assets.dead_letters import dead_letter_checks
from ml_connector_dagster.assets.replay import replay_jobs
from ml_connector_dagster.connections import resources_for
from ml_connector_dagster.executor import run_executor
from ml_connector_dagster.pair import Build, Pair, PairDefinitions, unique
from ml_connector_dagster.pairs import PAIRS
from ml_connector_dagster.ping_job import ping_job
from ml_connector_dagster.redaction import install_log_redaction
from ml_connector_dagster.secret_fields import secrets_in_environment
from ml_connector_dagster.settings import Settings
from ml_connector_dagster.spool_io import SpoolingIOManagerFactory


def build_pairs(settings: Settings, pairs: tuple[Pair, ...] = PAIRS) -> list[PairDefinitions]:
    build = Build(settings)
    return [pair.build(build) for pair in pairs]


def build_definitions(
    settings: Settings, resources: dict | None = None, pairs: tuple[Pair, ...] = PAIRS
) -> dg.Definitions:
    install_log_redaction()
    built = build_pairs(settings, pairs)
    assets = unique(asset for part in built for asset in (*part.extracts, *part.assets))
    return dg.Definitions(
        assets=[*assets, *audit_assets(pair.name for pair in pairs)],
        asset_checks=dead_letter_checks(assets),
        jobs=[
            *(job for part in built for job in part.jobs),
            *replay_jobs(load for part in built for load in part.loads),
            ping_job(settings),
        ],
        schedules=[schedule for part in built for schedule in part.schedules],
        sensors=[sensor for part in built for sensor in part.sensors],
        # spools (a partition's pages on disk) handed on by reference: spool_io.py
        resources={
            "io_manager": SpoolingIOManagerFactory(),
            **secrets_in_environment(resources or resources_for(settings)),
        },
        # every job's, none naming its own; with the jobs Dagster makes for assets materialized from the asset graph
        executor=run_executor(settings),
    )
