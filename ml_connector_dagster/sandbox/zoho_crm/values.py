"""One record's field values checked as Zoho checks them (crm_targets.md §2.4): the type and length of each field,
picklist values, lookups to existing records, mandatory fields; the first failure is the record's error, with
`api_name`, `json_path` and `expected_data_type` as Zoho details them."""

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from ml_connector_dagster.sandbox.zoho_crm.errors import ZohoError, invalid_data
from ml_connector_dagster.sandbox.zoho_crm.schema import CURRENCY_MAX, MODULES, Field, Module

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_WEBSITE = re.compile(r"^(https?://)?[^\s/$.?#]+\.[^\s]+$", re.IGNORECASE)
_PHONE = re.compile(r"^[0-9+()\-.\s/xX#*]+$")


Exists = Callable[[Module, str], bool]


def clean(module: Module, values: dict, index: int, exists: Exists, *, creating: bool) -> dict:
    """The record's writable values, normalised; raises the record's ZohoError. `exists(module, id)` answers whether
    a lookup target exists. Read-only and unknown names are dropped, as Zoho ignores them (guess for unknown ones)."""
    cleaned = {}
    for key, value in values.items():
        name = module.field_named(key)
        if name is None or module.fields[name].read_only:
            continue
        path = f"$.data[{index}].{name}"
        cleaned[name] = _value(module.fields[name], name, value, path, exists)
    for name, spec in module.fields.items():
        missing = cleaned.get(name) is None
        if spec.mandatory and missing and (creating or name in cleaned):
            raise ZohoError(
                400,
                "MANDATORY_NOT_FOUND",
                "required field not found",
                {"api_name": name, "json_path": f"$.data[{index}].{name}"},
            )
    return cleaned


def _value(spec: Field, name: str, value, path: str, exists: Exists):
    if value is None or (isinstance(value, str) and value == "" and spec.data_type != "lookup"):
        return None
    expected = {"expected_data_type": _expected(spec)}
    if spec.data_type == "lookup":
        target = value.get("id") if isinstance(value, dict) else None
        if not isinstance(target, str | int) or not str(target).isdigit():
            raise invalid_data(name, path, **expected)
        if not exists(MODULES[spec.lookup_module], str(target)):
            raise invalid_data(name, path, "the id given seems to be invalid", id=str(target))
        return str(target)
    if spec.data_type == "currency":
        return _currency(value, name, path, expected)
    if not isinstance(value, str):
        raise invalid_data(name, path, **expected)
    if spec.length is not None and len(value) > spec.length:
        raise invalid_data(name, path, maximum_length=spec.length, **expected)
    checks = {"email": _EMAIL, "website": _WEBSITE, "phone": _PHONE}
    if spec.data_type in checks and not checks[spec.data_type].match(value):
        raise invalid_data(name, path, **expected)
    if spec.data_type == "picklist" and value not in spec.values:
        # Guess: a value outside the list is refused (v8 picklists are restricted unless the admin unrestricts them).
        raise invalid_data(name, path, **expected)
    return value


def _currency(value, name: str, path: str, expected: dict) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise invalid_data(name, path, **expected)
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise invalid_data(name, path, **expected) from None
    if not amount.is_finite() or abs(amount) >= CURRENCY_MAX:
        raise invalid_data(name, path, **expected)
    # Guess: more decimals than the field's 2 are rounded, as the CRM's UI rounds them.
    return float(round(amount, 2))


def _expected(spec: Field) -> str:
    return {"currency": "double", "lookup": "jsonobject", "textarea": "textarea"}.get(spec.data_type, spec.data_type)
