"""The benchmarks' shared measurement (bench/harness.py): what it reports must be what it says it measures."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import harness  # noqa: E402

HELD_MB = 300


def test_a_child_reports_its_own_peak_memory_not_the_parents_it_was_spawned_from():
    held = b"x" * (HELD_MB * 2**20)  # written, so every page is resident in this process
    parent = harness.peak_mb()
    child = harness.in_child(dict)
    assert parent >= HELD_MB
    assert child["peak_mb"] < parent - HELD_MB / 2, (child, parent)
    assert child["start_mb"] <= child["peak_mb"]
    del held


def test_a_goal_passes_on_its_bound_and_fails_beyond_it():
    assert harness.Goal("ratio", 1.5, 1.5, at_least=True).passed
    assert not harness.Goal("ratio", 1.49, 1.5, at_least=True).passed
    assert harness.Goal("429s", 0, 0, at_least=False, unit="").passed
    assert not harness.Goal("429s", 1, 0, at_least=False, unit="").passed
    assert str(harness.Goal("429s", 1, 0, at_least=False, unit="")).startswith("FAIL")
