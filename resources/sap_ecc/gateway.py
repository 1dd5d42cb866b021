"""Reading ECC tables through SAP Gateway (OData v2): the connector's service (one entity set `<TABLE>Set` per
table, properties named as the DDIC fields) paged with $top/$skip, values turned back into SAP's internal forms using
the service's own `$metadata`, SAP error bodies turned into clear errors."""

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

import httpx
from ml_connector_dagster.resources.sap_ecc.errors import ERRORS
from ml_connector_dagster.resources.sap_ecc.query import Select, odata_filter

from ml_connector_dagster.http import ApiError, CallCounter, raise_for_vendor
from ml_connector_dagster.paging import OffsetPaginator, PageRequest, paginate

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
            raise ApiError(
                "sap_ecc",
                f"the Gateway service has no entity type {select.table}; is the connector's "
                "service deployed with all tables (docs/operators/sap_ecc.md)?",
            )
        params = {
            "$format": "json",
            "$select": ",".join(select.fields),
            "$top": str(self.page_size),
            "$orderby": ",".join(select.keys),
        }
        condition = odata_filter(select)
        if condition:
            params["$filter"] = condition
        # Gateway answers a short page at the end and no count: a full page means there may be more.
        pages = OffsetPaginator(self.page_size, offset_param="$skip", limit_param="$top")
        rows = paginate(
            lambda page: self._get(page.url, page.params),
            PageRequest(f"{select.table}Set", params),
            pages,
            lambda body: body.get("d", {}).get("results", []),
        )
        for row in rows:
            yield {name: internal(types[name], row.get(name)) for name in select.fields}

    def types(self) -> dict[str, dict[str, str]]:
        """Entity type → property → Edm type, from `$metadata` (read once per session)."""
        if self._types is None:
            response = self._send("$metadata", {})
            root = ET.fromstring(response.content)
            self._types = {
                entity.get("Name"): {p.get("Name"): p.get("Type") for p in entity.iter(f"{_EDM}Property")}
                for entity in root.iter(f"{_EDM}EntityType")
            }
        return self._types

    def _get(self, path: str, params: dict[str, str]) -> dict:
        return self._send(path, params).json()

    def _send(self, path: str, params: dict[str, str]) -> httpx.Response:
        response = self.http.get(path, params=params, headers={"Accept": "application/json"})
        return raise_for_vendor(ERRORS, response, f"GET {path}")


def internal(edm: str, value) -> str:
    """An OData v2 JSON value in SAP's internal form, the same that RFC_READ_TABLE returns."""
    if value is None:
        return ""
    if edm == "Edm.DateTime":
        match = _DATE.fullmatch(value)
        if not match:
            raise ApiError("sap_ecc", f"unexpected Edm.DateTime value {value!r}")
        return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC).strftime("%Y%m%d")
    if edm == "Edm.Time":
        match = _TIME.fullmatch(value)
        return "".join(part.zfill(2) for part in match.groups()) if match else ""
    if edm == "Edm.Decimal":
        return decimal_text(value)
    return str(value).rstrip()


def decimal_text(value: str) -> str:
    """Decimals compare as numbers: both transports render them without a sign trick or padding. A value that is no
    number is passed on as it came: it is its record's problem, which the row's model names (source_rows.py), not the
    whole read's. So is one RFC_READ_TABLE cut on the left to fit its output field and marked with a leading `*`
    (`*6.38600-`, erp_sources.md §2.3): the digits left are not the amount."""
    text = value.strip()
    if text.startswith("*"):
        return text
    if text.endswith("-"):  # ABAP's trailing minus
        text = "-" + text[:-1]
    try:
        return format(Decimal(text).normalize(), "f")
    except InvalidOperation:
        return value.strip()
