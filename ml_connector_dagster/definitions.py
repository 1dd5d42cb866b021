"""The code location's entry point (workspace.yaml and `dagster dev` load it): the definitions built from the
deployment settings in the environment, when Dagster asks for them."""

import dagster as dg

from ml_connector_dagster.code_location import build_definitions
from ml_connector_dagster.settings import settings


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(settings())
