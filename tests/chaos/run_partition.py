"""One partition of a pair's job, run in a process of its own against a sandbox another process serves: the run the
kill -9 scenario kills (conftest.kill_mid_load). The one argument is a JSON object: the sandbox's `urls`, `home`,
`ledger_url`, `start_date`, `job`, `partition`, `resources` (overrides by system name) and `ledger` (settings of the
ledger resource)."""

import json
import sys

import dagster as dg
from ml_connector_dagster.resources.ledger import LedgerResource

from ml_connector_dagster.code_location import build_definitions
from ml_connector_dagster.connections import sandbox_resources
from ml_connector_dagster.settings import Settings


def main(spec: dict) -> int:
    config = Settings(home=spec["home"], ledger_url=spec["ledger_url"], start_date=spec["start_date"])
    resources = {
        **sandbox_resources(config, spec["urls"], **spec["resources"]),
        "ledger": LedgerResource(url=config.ledger_url, **spec["ledger"]),
    }
    job = build_definitions(config, resources).resolve_job_def(spec["job"])
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(partition_key=spec["partition"], instance=instance, raise_on_error=False)
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
