"""The demo's progress as it goes, one line per step of work, as a long Dagster job reports: each run as it starts and
ends (pair, partition, what the run did, what the pair's runs have done so far, time since the demo started), and,
inside an initial load's long steps, each page as the step logs it. Read from the runs' own events, and written to
stderr, so `ml-connector demo --json` keeps stdout pure JSON; Dagster's console log stays at warnings."""

import sys
import time
import uuid
from collections.abc import Callable
from typing import TextIO

import dagster as dg

from ml_connector_dagster.demo_tally import Tally, describe

_INFO = 20


class Progress:
    def __init__(self, tally: Tally, out: TextIO | None = None, clock: Callable[[], float] = time.monotonic):
        self.tally = tally
        self.out = out if out is not None else sys.stderr
        self.clock = clock
        self.started = clock()

    def say(self, text: str) -> None:
        elapsed = int(self.clock() - self.started)
        print(f"[{elapsed // 60:3}:{elapsed % 60:02}] {text}", file=self.out, flush=True)

    def start(self, instance: dg.DagsterInstance, pair: str, what: str, *, steps: bool = False) -> str:
        """A run id for the run about to start; with `steps`, its steps' own progress lines are shown as they log
        them (an initial load's pages)."""
        run_id = str(uuid.uuid4())
        self.say(f"{pair} {what}: started")
        if steps:
            instance.add_event_listener(run_id, self._step_event)
        return run_id

    def _step_event(self, entry) -> None:
        if entry.dagster_event is None and entry.level == _INFO and entry.step_key:
            self.say(entry.user_message)
        elif entry.dagster_event is not None and entry.dagster_event.event_type_value == "STEP_START":
            self.say(f"{entry.step_key}: started")

    def finish(self, pair: str, what: str, run_id: str) -> None:
        """After the run: what it did (records by action, per object) and the pair's distinct counts so far."""
        done = self.tally.add_run(run_id)
        parts = [
            ("" if run_pair == pair else f"{run_pair} ")
            + f"{target_object} "
            + ", ".join(f"{action} {n}" for action, n in sorted(actions.items()))
            for (run_pair, target_object), actions in done.items()
        ]
        so_far = describe(self.tally.pair_counts(pair))
        self.say(f"{pair} {what}: {'; '.join(parts) or 'no records'} | so far, each record once: {so_far}")
