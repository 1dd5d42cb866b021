"""The code location's entry point (workspace.yaml and `dagster dev` load it): the definitions built from the
deployment settings in the environment, when Dagster asks for them. Dagster asks several times in one process (a
launched run's process, and `dagster job execute`, load the code location again for each reconstruction of the job),
so they are built once per settings, which are read once per process."""

import dagster as dg

from ml_connector_dagster.code_location import build_definitions
from ml_connector_dagster.settings import Settings, settings

# The settings the definitions were last built from (kept, so their id is not reused), and those definitions.
_built: dict[int, tuple[Settings, dg.Definitions]] = {}


@dg.definitions
def defs() -> dg.Definitions:
    config = settings()
    if id(config) not in _built:
        _built.clear()
        _built[id(config)] = (config, build_definitions(config))
    return _built[id(config)][1]
