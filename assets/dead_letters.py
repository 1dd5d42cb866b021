"""The dead-letter check of every load asset, defined once for every pair: it warns while records of the load's target
object are in dead letters, names how many by error class and shows a sample with their reasons, so a green load
with failed records shows a warning where the operator looks. A load asset names its pair and target object in its
tags (`load_tags`); `dead_letter_checks` makes one check per asset so tagged.

The check is not partitioned: it reads the ledger's open dead letters of the whole object, whichever partition or run
put them there. It runs after the load in every run of the pair's job, and on its own from the asset's checks in the
UI (after a replay, say)."""

from collections.abc import Iterable

import dagster as dg

from ml_connector_dagster.materialize import dead_letters_check

PAIR_TAG = "ml_connector/pair"
OBJECT_TAG = "ml_connector/target_object"
CHECK_SUFFIX = "_in_dead_letters"


def load_tags(pair: str, target_object: str) -> dict[str, str]:
    return {PAIR_TAG: pair, OBJECT_TAG: target_object}


def check_name(target_object: str) -> str:
    return f"no_{target_object.lower()}{CHECK_SUFFIX}"


def dead_letter_checks(assets: Iterable[dg.AssetsDefinition]) -> list[dg.AssetChecksDefinition]:
    return [
        _check(key, tags[PAIR_TAG], tags[OBJECT_TAG])
        for asset in assets
        for key, tags in asset.tags_by_key.items()
        if PAIR_TAG in tags and OBJECT_TAG in tags
    ]


def _check(key: dg.AssetKey, pair: str, target_object: str) -> dg.AssetChecksDefinition:
    name = check_name(target_object)

    @dg.asset_check(
        asset=key,
        name=name,
        blocking=False,
        required_resource_keys={"ledger"},
        description=f"Warns while records of {target_object} ({pair}) are in dead letters, from any run: how many, "
        "by error class, and a sample with their reasons.",
    )
    def _dead_letters(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        return dead_letters_check(name, context.resources.ledger.ledger(), pair, target_object)

    return _dead_letters
