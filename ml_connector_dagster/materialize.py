"""What every load asset and its checks report, the same way for every pair: counts, API calls, and the two
agreement checks (every source record accounted for; no two source records on one external id)."""

from collections import Counter
from collections.abc import Callable
from typing import TypeVar

import dagster as dg
import pandas as pd
from pydantic import BaseModel

from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.loading import LoadSummary
from ml_connector_dagster.mapping.common import MappingResult

Model = TypeVar("Model", bound=BaseModel)


def load_metadata(summary: LoadSummary, *, api_calls: int, write_calls: int) -> dict:
    return {
        **summary.as_metadata(),
        "api_calls": api_calls,
        "write_calls": write_calls,
        **{f"failed_{name}": count for name, count in sorted(summary.failures_by_class.items())},
    }


def source_keys(result: MappingResult) -> list[str]:
    return (
        [r.source_key for r in result.records]
        + [r.source_key for r in result.rejected]
        + [e.source_key for e in result.excluded]
    )


def duplicate_keys_check(check_name: str, result: MappingResult) -> dg.AssetCheckResult:
    counts = Counter(source_keys(result))
    duplicates = sorted(key for key, n in counts.items() if n > 1)
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=not duplicates,
        metadata={
            "records": len(counts),
            "duplicate_external_ids": len(duplicates),
            "examples": ", ".join(duplicates[:10]) or "none",
        },
    )


def accounted_for_check(
    check_name: str,
    result: MappingResult,
    *,
    ledger: Ledger,
    pair: str,
    target_object: str,
    in_target: Callable[[dict[str, str | None]], set[str]],
) -> dg.AssetCheckResult:
    """Every record of this partition is in the target (asked of the target itself, given each written record's
    key and the target id the ledger holds), a dead letter, or excluded."""
    excluded = {e.source_key for e in result.excluded}
    expected = [key for key in dict.fromkeys(source_keys(result)) if key not in excluded]
    dead = ledger.dead_letter_keys(pair, target_object)
    synced = ledger.synced(pair, target_object, expected)
    present = in_target({key: synced[key].target_id for key in sorted(synced)}) if synced else set()
    missing = [key for key in expected if key not in dead and key not in present]
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=not missing,
        metadata={
            "expected": len(expected),
            "in_target": len(present),
            "dead_letters": len(set(expected) & dead),
            "excluded": len(excluded),
            "missing": len(missing),
            "examples": ", ".join(missing[:10]) or "none",
        },
    )


def frame_models(frame: pd.DataFrame, model: type[Model]) -> list[Model]:
    """DataFrame rows as pydantic models; pandas' NaN for a missing value becomes None."""
    if frame.empty:
        return []
    cleaned = frame.astype(object).where(frame.notna(), None)
    return [model.model_validate(row) for row in cleaned.to_dict("records")]
