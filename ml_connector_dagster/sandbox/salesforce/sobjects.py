"""The sObject resources (crm_targets.md §1.4): the object list, describe, one record by Id (GET, PATCH, DELETE),
create, and get or upsert by External ID."""

from starlette.requests import Request

from ml_connector_dagster.sandbox.salesforce.composite import MAX_RECORDS
from ml_connector_dagster.sandbox.salesforce.errors import MultipleMatches, SfError, not_found
from ml_connector_dagster.sandbox.salesforce.org import Org
from ml_connector_dagster.sandbox.salesforce.query import attributes
from ml_connector_dagster.sandbox.salesforce.replies import Reply, json_body
from ml_connector_dagster.sandbox.salesforce.schema import SObject


async def handle(org: Org, request: Request, version: str, parts: list[str]) -> Reply:
    method = request.method
    if not parts and method == "GET":
        return 200, {
            "encoding": "UTF-8",
            "maxBatchSize": MAX_RECORDS,
            "sobjects": [_summary(o, version) for o in org.objects.values()],
        }
    sobject = org.sobject(parts[0]) if parts else None
    if sobject is None:
        raise not_found()
    rest, writes = parts[1:], org.writes()
    if not rest and method == "GET":
        return 200, {"objectDescribe": _summary(sobject, version), "recentItems": []}
    if not rest and method == "POST":
        row = writes.create(sobject, await json_body(request))
        writes.commit()
        return 201, {"id": row["Id"], "success": True, "errors": []}
    if rest == ["describe"] and method == "GET":
        return 200, _describe(sobject, version)
    if len(rest) == 1:
        row = writes.get(sobject, rest[0])
        if row is None:
            raise not_found()
        if method == "GET":
            return 200, render(sobject, row, version)
        if method == "PATCH":
            writes.update(sobject, row, await json_body(request))
        elif method == "DELETE":
            writes.delete(sobject, row)
        else:
            raise _not_allowed(method)
        writes.commit()
        return 204, None
    if len(rest) == 2 and method == "GET":
        field = sobject.field_named(rest[0])
        matches = writes.find(sobject, field, rest[1]) if field in sobject.external_ids() else []
        if len(matches) > 1:
            return 300, [attributes(sobject, m["Id"], version)["url"] for m in matches]
        if not matches:
            raise not_found()
        return 200, render(sobject, matches[0], version)
    if len(rest) == 2 and method == "PATCH":
        field = sobject.field_named(rest[0]) or rest[0]
        try:
            row, created = writes.upsert(sobject, field, rest[1], await json_body(request))
        except MultipleMatches as several:
            return 300, [attributes(sobject, row_id, version)["url"] for row_id in several.ids]
        writes.commit()
        if not created and org.settings().pre_v46_upsert:
            return 204, None
        return (201 if created else 200), {"id": row["Id"], "success": True, "errors": [], "created": created}
    if len(rest) > 2:
        # No sObject resource has more segments: an External ID value's unencoded `/` makes these. Guess: answered
        # as any unknown resource is (crm_targets.md §1.3, NOT_FOUND).
        raise not_found()
    raise _not_allowed(method)


def render(sobject: SObject, row: dict, version: str) -> dict:
    return {"attributes": attributes(sobject, row["Id"], version), **{name: row.get(name) for name in sobject.fields}}


def _not_allowed(method: str) -> SfError:
    return SfError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed. Allowed are GET,PATCH,DELETE")


def _summary(sobject: SObject, version: str) -> dict:
    return {
        "name": sobject.name,
        "label": sobject.name,
        "keyPrefix": sobject.prefix,
        "custom": False,
        "createable": True,
        "updateable": True,
        "deletable": True,
        "queryable": True,
        "urls": {
            "sobject": f"/services/data/v{version}/sobjects/{sobject.name}",
            "describe": f"/services/data/v{version}/sobjects/{sobject.name}/describe",
            "rowTemplate": f"/services/data/v{version}/sobjects/{sobject.name}/{{ID}}",
        },
    }


def _describe(sobject: SObject, version: str) -> dict:
    return {
        **_summary(sobject, version),
        "fields": [
            {
                "name": name,
                "label": name,
                "type": spec.type,
                "length": spec.length or 0,
                "custom": name.endswith("__c"),
                "nillable": not spec.required,
                "createable": spec.writable,
                "updateable": spec.writable,
                "externalId": spec.external_id,
                "unique": spec.unique,
                "idLookup": name == "Id" or spec.external_id,
                "referenceTo": [spec.reference_to] if spec.reference_to else [],
                "relationshipName": name[:-2] if spec.reference_to else None,
            }
            for name, spec in sobject.fields.items()
        ],
    }
