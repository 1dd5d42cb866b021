"""Reading ECC tables through SAP Gateway (OData v2): the connector's service (one entity set `<TABLE>Set` per
table, properties named as the DDIC fields) paged with $top/$skip, values turned back into SAP's internal forms using
the service's own `$metadata`, SAP error bodies turned into clear errors."""

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal

import httpx

from ml_connector_dagster.http import ApiError, AuthError, CallCounter
from ml_connector_dagster.resources.sap_ecc.query import Select, odata_filter

_EDM = "{http://schemas.microsoft.com/ado/2008/09/edm}"
_DATE = re.compile(r"/Date\((-?\d+)(?:[+-]\d{4})?\)/")
_TIME = re.compile(r"PT(\d+)H(\d+)M(\d+)S")


class GatewayReader:
    def __init__(self, http: httpx.Client, *, counter: CallCounter, page_size: int):
        self.http = http
        self.counter = counter
        self.page_size = page_size
        self._types: dict[str, dict[str, str]] | None = None

    def select(self, select: Select) -> Iterator[dict[str, str]]:
        types = self.types().get(select.table)
        if types is None:
            raise ApiError("sap_ecc", f"the Gateway service has no entity type {select.table}; is the connector's "
                                      "service deployed with all tables (docs/operators/sap_ecc.md)?")
        params = {"$format": "json", "$select": ",".join(select.fields), "$top": str(self.page_size),
                  "$orderby": ",".join(select.keys)}
        condition = odata_filter(select)
        if condition:
            params["$filter"] = condition
        skip = 0
        while True:
            body = self._get(f"{select.table}Set", {**params, "$skip": str(skip)})
            rows = body.get("d", {}).get("results", [])
            for row in rows:
                yield {name: internal(types[name], row.get(name)) for name in select.fields}
            if len(rows) < self.page_size:
                return
            skip += len(rows)

    def types(self) -> dict[str, dict[str, str]]:
        """Entity type → property → Edm type, from `$metadata` (read once per session)."""
        if self._types is None:
            response = self._send("$metadata", {})
            root = ET.fromstring(response.content)
            self._types = {entity.get("Name"): {p.get("Name"): p.get("Type") for p in entity.iter(f"{_EDM}Property")}
                           for entity in root.iter(f"{_EDM}EntityType")}
        return self._types

    def _get(self, path: str, params: dict[str, str]) -> dict:
        return self._send(path, params).json()

    def _send(self, path: str, params: dict[str, str]) -> httpx.Response:
        response = self.http.get(path, params=params, headers={"Accept": "application/json"})
        if response.status_code == 401:
            raise AuthError("sap_ecc", "logon refused: check user, password and sap-client", status=401)
        if response.status_code >= 400:
            code, message = _error(response)
            raise ApiError("sap_ecc", f"GET {path} failed: {message}", status=response.status_code, code=code)
        return response


def internal(edm: str, value) -> str:
    """An OData v2 JSON value in SAP's internal form, the same that RFC_READ_TABLE returns."""
    if value is None:
        return ""
    if edm == "Edm.DateTime":
        match = _DATE.fullmatch(value)
        if not match:
            raise ApiError("sap_ecc", f"unexpected Edm.DateTime value {value!r}")
        return datetime.fromtimestamp(int(match.group(1)) / 1000, timezone.utc).strftime("%Y%m%d")
    if edm == "Edm.Time":
        match = _TIME.fullmatch(value)
        return "".join(part.zfill(2) for part in match.groups()) if match else ""
    if edm == "Edm.Decimal":
        return decimal_text(value)
    return str(value).rstrip()


def decimal_text(value: str) -> str:
    """Decimals compare as numbers: both transports render them without a sign trick or padding."""
    text = value.strip()
    if text.endswith("-"):  # ABAP's trailing minus
        text = "-" + text[:-1]
    return format(Decimal(text.lstrip("*")).normalize(), "f")


def _error(response: httpx.Response) -> tuple[str | None, str]:
    try:
        error = response.json().get("error", {})
    except ValueError:
        return None, response.text[:200] or response.reason_phrase
    message = error.get("message")
    return error.get("code"), (message.get("value") if isinstance(message, dict) else message) or "no message"
