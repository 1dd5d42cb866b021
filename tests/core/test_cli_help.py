"""`ml-connector --help` and every subcommand's: a description, help on every argument, and the fixed sets of values
(pairs, systems, error classes, targets) as choices drawn from the code's own registries."""

import argparse
import json
import os
import subprocess
import sys

import pytest

from ml_connector_dagster import cli
from ml_connector_dagster.ledger import ErrorClass, Ledger
from ml_connector_dagster.mapping.common import MappingResult, Rejected
from ml_connector_dagster.pairs import PAIRS
from ml_connector_dagster.sync import SyncTarget, sync
from ml_connector_dagster.systems import SYSTEMS
from tests.core.test_replay import FakeTarget


def subcommands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(command path, its parser), every level down."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name), sub
                yield from subcommands(sub, (*path, name))


PARSER = cli.build_parser()
COMMANDS = list(subcommands(PARSER))


def test_the_top_level_description_lists_every_command_webhooks_included():
    names = [path[0] for path, _ in COMMANDS if len(path) == 1]
    assert "webhooks" in names
    assert all(name in PARSER.description for name in names)


@pytest.mark.parametrize("path, parser", COMMANDS, ids=[" ".join(path) for path, _ in COMMANDS])
def test_every_subcommand_has_a_description_and_every_argument_help(path, parser):
    assert parser.description and len(parser.description) > 20, f"{' '.join(path)} has no description"
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"{' '.join(path)} {'/'.join(action.option_strings) or action.dest} has no help"


def choices_of(option: str) -> dict[str, list]:
    return {
        " ".join(path): list(action.choices)
        for path, parser in COMMANDS
        for action in parser._actions
        if option in action.option_strings
    }


def test_options_with_a_fixed_set_of_values_offer_the_registries_values():
    pairs = sorted(pair.name for pair in PAIRS)
    assert cli.pair_names() == pairs
    assert set(choices_of("--pair")) == {"initial-load", "audit", "dead-letters", "replay", "heal", "upgrade-keys"}
    assert all(sorted(choices) == pairs for choices in choices_of("--pair").values())
    assert choices_of("--system") == {"ping": list(SYSTEMS)}
    assert choices_of("--target") == {"replay": sorted({pair.target for pair in PAIRS})}
    assert all(choices == list(ErrorClass) for choices in choices_of("--error-class").values())


def test_a_value_outside_the_choices_is_refused_with_them(capsys):
    with pytest.raises(SystemExit) as refused:
        cli.main(["replay", "--target", "sharepoint"])
    assert refused.value.code == 2
    assert "invalid choice: 'sharepoint'" in capsys.readouterr().err


def test_replay_prints_its_answer_and_no_debug_lines(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    sync(
        MappingResult(rejected=[Rejected("oracle_ebs.party.7", "no name", {})]),
        SyncTarget("oracle_ebs__dynamics_sales", "account", FakeTarget(), 10),
        ledger,
        run_id="run-1",
        partition="p",
    )
    ledger.dispose()
    environ = {
        name: value for name, value in os.environ.items() if not name.startswith(("ML_CONNECTOR_", "DAGSTER_HOME"))
    }
    replayed = subprocess.run(
        [sys.executable, "-m", "ml_connector_dagster.cli", "replay"],
        env={**environ, "ML_CONNECTOR_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert replayed.returncode == 0, replayed.stderr
    assert json.loads(replayed.stdout)["targets"]["dynamics_sales"]["without_payload"] == 1
    assert "DEBUG" not in replayed.stdout + replayed.stderr
    assert replayed.stderr == ""
