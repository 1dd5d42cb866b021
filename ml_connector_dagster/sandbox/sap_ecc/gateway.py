"""SAP Gateway OData v2 rendering (erp_sources.md §2.1): `$metadata` as EDMX with `sap:` annotations, the verbose
JSON envelope (`d`, `results`, `__metadata`, `__count`, `__next`), `/Date(ms)/` values, decimals as strings, CHAR
fields never null (ABAP's initial value is an empty string), and SAP's error body."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from xml.sax.saxutils import quoteattr

from starlette.responses import JSONResponse, Response

from ml_connector_dagster import odata
from ml_connector_dagster.sandbox.sap_ecc.schema import TABLES, Field, Table

HIDDEN = {"MANDT", "MANDANT"}  # the client is the session's (sap-client), not a property


def exposed(table: Table) -> list[Field]:
    return [f for f in table.fields if f.name not in HIDDEN]


def metadata(service: str) -> str:
    types, sets = [], []
    for table in TABLES.values():
        keys = "".join(f'<PropertyRef Name="{k}"/>' for k in table.keys)
        properties = "".join(_property(f, f.name in table.keys) for f in exposed(table))
        types.append(
            f'<EntityType Name="{table.name}" sap:label={quoteattr(table.label)} sap:content-version="1">'
            f"<Key>{keys}</Key>{properties}</EntityType>"
        )
        sets.append(
            f'<EntitySet Name="{table.entity_set}" EntityType="{service}.{table.name}" sap:creatable="false" '
            'sap:updatable="false" sap:deletable="false" sap:pageable="true" sap:content-version="1"/>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<edmx:Edmx Version="1.0" xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" '
        'xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" '
        'xmlns:sap="http://www.sap.com/Protocols/SAPData">'
        '<edmx:DataServices m:DataServiceVersion="2.0">'
        f'<Schema Namespace="{service}" xml:lang="en" sap:schema-version="1" '
        'xmlns="http://schemas.microsoft.com/ado/2008/09/edm">'
        + "".join(types)
        + f'<EntityContainer Name="{service}_Entities" m:IsDefaultEntityContainer="true" '
        'sap:supported-formats="atom json xlsx">' + "".join(sets) + "</EntityContainer>"
        "</Schema></edmx:DataServices></edmx:Edmx>"
    )


def _property(field: Field, key: bool) -> str:
    facets = f' MaxLength="{field.length}"' if field.edm == "Edm.String" else ""
    if field.edm == "Edm.Decimal":
        facets = f' Precision="{field.length}" Scale="{field.decimals}"'
    if field.edm == "Edm.DateTime":
        facets = ' Precision="7"'
    nullable = ' Nullable="false"' if key or field.edm == "Edm.String" else ""
    return (
        f'<Property Name="{field.name}" Type="{field.edm}"{nullable}{facets} sap:label={quoteattr(field.label)} '
        'sap:creatable="false" sap:updatable="false"/>'
    )


def json_value(field: Field, stored: str | None):
    if field.edm == "Edm.DateTime":
        if not stored or stored == "00000000":
            return None
        moment = datetime.strptime(stored, "%Y%m%d").replace(tzinfo=UTC)
        return f"/Date({int(moment.timestamp() * 1000)})/"
    if field.edm == "Edm.Time":
        text = (stored or "000000").rjust(6, "0")
        return f"PT{text[:2]}H{text[2:4]}M{text[4:]}S"
    if field.edm == "Edm.Decimal":
        return str(Decimal(stored or "0"))
    return stored or ""


def filter_value(field: Field, stored: str | None):
    """The value a `$filter` literal is compared with."""
    if field.edm == "Edm.DateTime":
        return datetime.strptime(stored, "%Y%m%d") if stored and stored != "00000000" else None
    if field.edm == "Edm.Decimal":
        return Decimal(stored or "0")
    return stored or ""


def entity(table: Table, row: dict, root: str, service: str, select: list[str] | None) -> dict:
    uri = f"{root}/{table.entity_set}({key_predicate(table, row)})"
    fields = [f for f in exposed(table) if select is None or f.name in select]
    return {
        "__metadata": {"id": uri, "uri": uri, "type": f"{service}.{table.name}"},
        **{f.name: json_value(f, row.get(f.name)) for f in fields},
    }


def key_predicate(table: Table, row: dict) -> str:
    if len(table.keys) == 1:
        return odata.literal(str(row[table.keys[0]]))
    return odata.key_predicate({k: str(row[k]) for k in table.keys})


def error(status: int, code: str, message: str, service: str) -> JSONResponse:
    transaction = uuid.uuid4().hex.upper()
    return JSONResponse(
        {
            "error": {
                "code": code,
                "message": {"lang": "en", "value": message},
                "innererror": {
                    "application": {
                        "component_id": "",
                        "service_namespace": "/SAP/",
                        "service_id": service,
                        "service_version": "0001",
                    },
                    "transactionid": transaction,
                    "timestamp": datetime.now(UTC).strftime("%Y%m%d%H%M%S.0000000"),
                    "Error_Resolution": {
                        "SAP_Transaction": "Run transaction /IWFND/ERROR_LOG on SAP Gateway hub "
                        "system and search for entries with the timestamp "
                        "above for more details",
                        "SAP_Note": "See SAP Note 1797736 for error analysis "
                        "(https://service.sap.com/sap/support/notes/1797736)",
                    },
                    "errordetails": [
                        {
                            "code": code,
                            "message": message,
                            "propertyref": "",
                            "severity": "error",
                            "target": "",
                            "transition": False,
                        }
                    ],
                },
            }
        },
        status_code=status,
    )


def plain(text: str, status: int = 200) -> Response:
    return Response(text, status_code=status, media_type="text/plain")
