"""The metadata a client reads before it touches records (crm_targets.md §2.5: "always read custom field names from
GET /settings/fields"): modules, fields, the current user and the org. Zoho's official SDK reads the first three
before its first record call and keeps them in its resource folder."""

from ml_connector_dagster.sandbox.zoho_crm.org import API_USER, Org
from ml_connector_dagster.sandbox.zoho_crm.schema import MODULES, Field, Module

_JSON_TYPES = {"currency": "double", "lookup": "jsonobject", "ownerlookup": "jsonobject", "bigint": "string"}


def modules(org: Org) -> dict:
    return {
        "modules": [
            {
                "id": org.module_id(module),
                "api_name": module.api_name,
                "module_name": module.api_name,
                "singular_label": module.singular,
                "plural_label": module.api_name,
                "api_supported": True,
                "generated_type": "default",
                "creatable": True,
                "editable": True,
                "deletable": True,
                "viewable": True,
                "visible": True,
                "status": "visible",
            }
            for module in MODULES.values()
        ]
    }


def fields(org: Org, module: Module) -> dict:
    """The module's fields, but the custom ones an administrator has not created (settings `missing_fields`)."""
    missing = set(org.settings().missing_fields)
    return {
        "fields": [
            _field(org, module, n, spec, i)
            for i, (n, spec) in enumerate(module.fields.items())
            if f"{module.api_name}.{n}" not in missing
        ]
    }


def _field(org: Org, module: Module, name: str, spec: Field, index: int) -> dict:
    field = {
        "id": f"{org.module_id(module)[:-4]}{index + 1:04d}",
        "api_name": name,
        "field_label": spec.label or name,
        "display_label": spec.label or name,
        "data_type": spec.data_type,
        "json_type": _JSON_TYPES.get(spec.data_type, "string"),
        "length": spec.length,
        "custom_field": spec.custom,
        "system_mandatory": spec.mandatory,
        "read_only": spec.read_only,
        "field_read_only": spec.read_only,
        "visible": True,
        "unique": {"casesensitive": False} if spec.unique else {},
        "pick_list_values": [
            {"display_value": v, "actual_value": v, "reference_value": v, "type": "used"} for v in spec.values
        ],
    }
    if spec.lookup_module:
        target = MODULES[spec.lookup_module]
        field["lookup"] = {
            "display_label": target.singular,
            "api_name": name,
            "module": {"api_name": target.api_name, "id": org.module_id(target)},
        }
    return field


def current_user(org: Org) -> dict:
    user = org.user(API_USER)
    return {
        "users": [
            {
                "id": user["id"],
                "full_name": user["name"],
                "email": user["email"],
                "status": "active",
                "role": {"name": "CEO", "id": f"{org.prefix}000000000201"},
                "profile": {"name": "Administrator", "id": f"{org.prefix}000000000301"},
                "time_zone": org.settings().time_zones.get(org.dc, "UTC"),
            }
        ],
        "info": {"per_page": 200, "count": 1, "page": 1, "more_records": False},
    }


def organization(org: Org) -> dict:
    return {
        "org": [
            {
                "id": f"{org.prefix}000000000001",
                "company_name": f"ML Connector Sandbox ({org.dc.upper()})",
                "time_zone": org.settings().time_zones.get(org.dc, "UTC"),
                "primary_email": org.user(API_USER)["email"],
                "currency": "US Dollar - USD",
                "iso_code": "USD",
                "zgid": org.prefix,
                "domain_name": f"org{org.prefix}",
            }
        ]
    }
