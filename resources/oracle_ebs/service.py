"""Calls to the connector's EBS read service (`XXMLC_SYNC_PKG`, see docs/contributors/oracle_ebs_service_contract.md):
the ISG request envelope with the application context, offset/limit paging, and ISG faults or PL/SQL return
statuses turned into clear errors."""

from collections.abc import Iterator
from datetime import datetime, tzinfo

import httpx

from ml_connector_dagster.http import ApiError, AuthError, CallCounter

# ISGServiceFault codes that mean the integration user lacks a grant or the service is not deployed as configured.
_SETUP_FAULTS = {
    "ISG_SERVICE_AUTH_FAILURE": "the user has no grant on this service (Integration Repository → Grants)",
    "FND_SOA_AUTHORIZATION_FAILURE": "the user has no grant on this service (Integration Repository → Grants)",
    "ISG_INVALID_ALIAS": "no REST service is deployed under this alias (check service_alias)",
    "ISG_INVALID_FUNCTION": "the deployed service does not expose this method (redeploy with all GET_ methods)",
}


class EbsService:
    def __init__(self, http: httpx.Client, *, alias: str, rest_header: dict[str, str], counter: CallCounter,
                 page_size: int, server_timezone: tzinfo):
        self.http = http
        self.server_timezone = server_timezone
        self.alias = alias
        self.rest_header = rest_header
        self.counter = counter
        self.page_size = page_size

    def read_window(self, method: str, start: datetime, end: datetime, **params: str) -> Iterator[dict]:
        """Rows whose change stamp is in [start, end), page by page, ordered by (stamp, key) as the package sorts."""
        return self._pages(method, {"P_LAST_UPDATE_FROM": self._server_time(start),
                                    "P_LAST_UPDATE_TO": self._server_time(end), **params})

    def read_keys(self, method: str, party_ids: str, **params: str) -> list[dict]:
        """The rows of the given parties (comma-separated PARTY_IDs, at most 1,000), whatever their change stamp."""
        return list(self._pages(method, {"P_PARTY_IDS": party_ids, **params}))

    def _pages(self, method: str, params: dict[str, str]) -> Iterator[dict]:
        offset = 0
        while True:
            output = self.call(method, {**params, "P_OFFSET": str(offset), "P_LIMIT": str(self.page_size)})
            rows = _items(output.get("X_ROWS"), "X_ROWS_ITEM")
            yield from rows
            if output.get("X_HAS_MORE") != "Y":
                return
            offset += len(rows)

    def _server_time(self, value: datetime) -> str:
        """EBS DATE columns hold the database server's local time without a zone."""
        return value.astimezone(self.server_timezone).strftime("%Y-%m-%dT%H:%M:%S")

    def call(self, method: str, parameters: dict[str, str]) -> dict:
        body = {f"{method}_Input": {"RESTHeader": self.rest_header, "InputParameters": parameters}}
        response = self.http.post(f"webservices/rest/{self.alias}/{method.lower()}/", json=body,
                                  headers={"Accept": "application/json"})
        payload = _json(response)
        fault = (payload or {}).get("ISGServiceFault")
        if fault:
            code = fault.get("Code", "")
            hint = _SETUP_FAULTS.get(code)
            error = AuthError if code in ("ISG_SERVICE_AUTH_FAILURE", "FND_SOA_AUTHORIZATION_FAILURE") else ApiError
            raise error("oracle_ebs", f"{method}: {fault.get('Message', 'service fault')}"
                        + (f" — {hint}" if hint else ""), status=response.status_code, code=code)
        if response.status_code == 401:
            raise AuthError("oracle_ebs", f"{method}: credentials refused after a fresh login", status=401)
        if response.status_code != 200 or payload is None:
            raise ApiError("oracle_ebs", f"{method}: unexpected answer {response.text[:200]!r}",
                           status=response.status_code)
        output = payload.get("OutputParameters") or payload.get(f"{method}_Output", {}).get("OutputParameters")
        if output is None:
            raise ApiError("oracle_ebs", f"{method}: response has no OutputParameters", status=response.status_code)
        status = output.get("X_RETURN_STATUS")
        if status not in (None, "S"):
            raise ApiError("oracle_ebs", f"{method} returned status {status}: {output.get('X_MSG_DATA') or ''}",
                           code=f"X_RETURN_STATUS={status}")
        return output


def _items(table: dict | list | None, item_key: str) -> list[dict]:
    """A PL/SQL table as ISG renders it: `{ITEM: [...]}`, `{ITEM: {...}}` for one row (unverified), or null."""
    if not table:
        return []
    items = table.get(item_key, []) if isinstance(table, dict) else table
    if isinstance(items, dict):
        return [items]
    return list(items or [])


def _json(response: httpx.Response) -> dict | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
