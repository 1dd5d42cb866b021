"""What `ml-connector ping` checks of jde (ml_connector_dagster/fit.py)."""

from ml_connector_dagster.fit import authenticated_call

CHECKS = (authenticated_call("check the URL and credential settings", "ping-checks"),)
