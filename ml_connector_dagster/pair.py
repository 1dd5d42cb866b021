"""How a pair registers itself: one module per pair (ml_connector_dagster/pairs/) builds its assets, jobs, schedules,
sensors and loads from the settings it is given, and the code location merges the list of pairs. Nothing here reads
global settings: `Build` carries the one `Settings` the definitions are built from, and the pieces pairs share
(partitions, a source system's extract assets) are made once per build, so two pairs reading one system share its
assets instead of defining them twice."""

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import dagster as dg

from ml_connector_dagster.assets.load import LoadTarget, TargetAssets
from ml_connector_dagster.initial_load import MasterObject, initial_load_job
from ml_connector_dagster.settings import Settings

T = TypeVar("T")
AssetJob = Any  # what dg.define_asset_job returns; its class is not public


@dataclass(frozen=True)
class PairDefinitions:
    """What one pair contributes. `extracts` are source-system assets it reads (possibly shared with other pairs);
    `assets` are its own (transforms and loads); its jobs select exactly those two lists."""

    extracts: Sequence[dg.AssetsDefinition] = ()
    assets: Sequence[dg.AssetsDefinition] = ()
    jobs: Sequence[AssetJob] = ()
    schedules: Sequence[dg.ScheduleDefinition] = ()
    sensors: Sequence[dg.SensorDefinition] = ()
    loads: Sequence[LoadTarget] = ()


@dataclass(frozen=True)
class Pair:
    """`name` is `<source>__<target>`: the ledger's pair and the name of the pair's job."""

    name: str
    build: Callable[["Build"], PairDefinitions]

    @property
    def source(self) -> str:
        return self.name.split("__")[0]

    @property
    def target(self) -> str:
        return self.name.split("__")[1]


@dataclass
class Build:
    settings: Settings
    _shared: dict[str, Any] = field(default_factory=dict)

    @property
    def daily(self) -> dg.DailyPartitionsDefinition:
        """One partition per source day from the start date to today (end_offset=1 makes today's partial day
        runnable, so an edit made this morning can be synced this morning)."""
        return self.shared(
            "daily", lambda: dg.DailyPartitionsDefinition(start_date=self.settings.start_date.isoformat(), end_offset=1)
        )

    @property
    def legal_entities(self) -> dg.StaticPartitionsDefinition:
        """F&O CustomersV3 has no change stamp: its extracts are full reads of one company (dataAreaId) each."""
        return self.shared(
            "legal_entities", lambda: dg.StaticPartitionsDefinition(list(self.settings.fo_legal_entities))
        )

    def shared(self, name: str, make: Callable[[], T]) -> T:
        """`make()` once per build: what several pairs use is one object (an asset defined twice is an error)."""
        if name not in self._shared:
            self._shared[name] = make()
        return self._shared[name]

    def rules(self, pair: str, load: Callable[[Path | None], T]) -> T:
        """A pair's mapping rules: the packaged file, or its copy in the configured mapping folder. Their hash goes
        into `mapping_versions`."""
        rules = self.shared(f"rules:{pair}", lambda: load(self.settings.mapping_file(pair)))
        self.mapping_versions[pair] = hashlib.sha256(rules.model_dump_json().encode()).hexdigest()
        return rules

    @property
    def mapping_versions(self) -> dict[str, str]:
        """Pair → hash of its mapping rules (pydantic models), filled as the pairs build: what a pair's payloads
        depend on besides its source rows (assets/unchanged_windows.py). One dict per build, read when a run starts."""
        return self.shared("mapping_versions", dict)

    @staticmethod
    def job(
        pair: str,
        extracts: Sequence[dg.AssetsDefinition],
        assets: Sequence[dg.AssetsDefinition],
        *,
        description: str,
        tags: dict[str, str] | None = None,
    ) -> AssetJob:
        """The pair's job: exactly its extracts and its own assets, named explicitly (never a group, which another
        pair reading or writing the same system would join). It names no executor: every job runs on the one the
        deployment chose (executor.py), by default its steps one after another in the run's process."""
        return dg.define_asset_job(
            pair,
            selection=dg.AssetSelection.assets(*extracts, *assets),
            description=description,
            tags=tags,
        )

    def polled_daily(
        self,
        pair: str,
        extracts: Sequence[dg.AssetsDefinition],
        target: TargetAssets,
        *,
        description: str,
        masters: Sequence[MasterObject],
    ) -> PairDefinitions:
        """A pair with no events to wait for: its job, run by the daily schedule for the day that just ended, and its
        initial load."""
        job = self.job(pair, extracts, target.assets, description=description)
        return PairDefinitions(
            extracts,
            target.assets,
            [job, initial_load(pair, masters)],
            [self.daily_schedule(job)],
            loads=target.loads,
        )

    def event_driven_daily(
        self,
        pair: str,
        extracts: Sequence[dg.AssetsDefinition],
        target: TargetAssets,
        *,
        description: str,
        sensor: Callable[[AssetJob, dg.PartitionsDefinition], dg.SensorDefinition],
        upkeep: tuple[dg.JobDefinition, dg.ScheduleDefinition],
    ) -> PairDefinitions:
        """A pair whose source sends events: its job, run by the `sensor` for the days the events name and by the
        daily schedule for the day that ended (the poll that catches what a lost event missed), and the `upkeep`
        job and schedule that keep the source's subscription alive."""
        job = self.job(pair, extracts, target.assets, description=description)
        upkeep_job, upkeep_schedule = upkeep
        return PairDefinitions(
            extracts,
            target.assets,
            [job, upkeep_job],
            [self.daily_schedule(job), upkeep_schedule],
            [sensor(job, self.daily)],
            target.loads,
        )

    def daily_schedule(self, job: AssetJob) -> dg.ScheduleDefinition:
        """At the configured hour, the partition of the day that just ended."""

        @dg.schedule(
            name=job.name.replace("__", "_") + "_schedule",
            job=job,
            execution_timezone="UTC",
            cron_schedule=f"0 {self.settings.schedule_hour} * * *",
            description="Daily: the day that just ended (hour: ML_CONNECTOR_SCHEDULE_HOUR).",
        )
        def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
            day = (context.scheduled_execution_time - timedelta(days=1)).strftime("%Y-%m-%d")
            return dg.RunRequest(run_key=day, partition_key=day)

        return _schedule


def initial_load(pair: str, masters: Sequence[MasterObject]) -> dg.JobDefinition:
    """The go-live job of a pair: every master record of its source, whatever its change stamp, in the order given."""
    source, target = pair.split("__")
    return initial_load_job(
        pair,
        masters,
        description=f"Go-live: every master record {source} holds ({', '.join(m.name for m in masters)}, in this "
        f"order) into {target}, page by page; an interrupted run goes on after its last complete page. Run it "
        "once before turning the schedules and sensors on (docs/operators/go_live.md).",
    )


def unique(items: Iterable[T]) -> list[T]:
    """Each object once, in first-seen order (shared extracts appear in every pair that reads them)."""
    seen: dict[int, T] = {}
    for item in items:
        seen.setdefault(id(item), item)
    return list(seen.values())
