"""Company vendors, the company directory (crm_targets.md §3.6; SDK docs CompanyVendor, the extended view): list,
show, create (201), update, sync. Writable attributes are those of the create/update body; `name` is required,
`country_code`/`state_code` are ISO 3166, `origin_id` is unique in the company (a duplicate on create is a 409),
`parent_id` names another vendor of the company, two levels at most."""

from ml_connector_dagster.sandbox.procore.company import Actor, Company, unknown_fields
from ml_connector_dagster.sandbox.procore.errors import Invalid
from ml_connector_dagster.sandbox.procore.sync import check_unique_origin
from ml_connector_dagster.sandbox.procore.values import Checks, as_ints, as_texts

KIND = "vendors"
# Guess (§3.10 marks it uncertain): the webhook resource name of company vendors.
RESOURCE = "Company Vendors"
_TEXT = ("name", "abbreviated_name", "address", "city", "zip", "business_phone", "mobile_phone", "fax_number",
         "email_address", "labor_union", "license_number", "website", "origin_id", "origin_code",
         "trade_name")  # fmt: skip
_LONG_TEXT = ("notes", "origin_data")  # text columns: no length limit (guess)
_FLAGS = ("is_active", "authorized_bidder", "prequalified", "union_member", "non_union_prevailing_wage")
_IDS = ("vendor_group_id", "parent_id", "primary_contact_id")
_ID_LISTS = ("trade_ids", "bidding_distribution_ids", "standard_cost_code_ids")
FIELDS = frozenset((*_TEXT, *_LONG_TEXT, *_FLAGS, *_IDS, *_ID_LISTS, "state_code", "country_code", "bidding"))
_DEFAULTS = {"is_active": True, "authorized_bidder": False, "prequalified": False, "union_member": False,
             "non_union_prevailing_wage": False}  # fmt: skip


class Vendors:
    def __init__(self, company: Company, actor: Actor):
        self.company = company
        self.actor = actor

    def find(self, row_id) -> dict | None:
        row = self.company.store.get(KIND, row_id)
        return row if row and row["company_id"] == self.company.id else None

    def find_origin(self, origin_id: str) -> dict | None:
        return next((r for r in self.company.rows(KIND) if r.get("origin_id") == origin_id), None)

    def create(self, values: dict) -> dict:
        merged = {**_DEFAULTS, **self._checked(values, None)}
        row = {"id": self.company.store.new_id(KIND), "company_id": self.company.id, **merged}
        return self.render(self.company.save(KIND, RESOURCE, row, None, self.actor))

    def update(self, row: dict, values: dict) -> dict:
        changed = {**row, **self._checked(values, row)}
        return self.render(self.company.save(KIND, RESOURCE, changed, row, self.actor))

    def _checked(self, values: dict, old: dict | None) -> dict:
        if self.company.settings().refuse_unknown_fields and (unknown := unknown_fields(values, FIELDS)):
            raise Invalid(unknown, 406)
        values = as_texts({k: v for k, v in values.items() if k in FIELDS}, (*_TEXT, *_LONG_TEXT))
        merged = {**(old or {}), **values}
        checks = Checks()
        for name in _TEXT:
            checks.text(values, name, required=name == "name" and (old is None or "name" in values))
        for name in _LONG_TEXT:
            checks.text(values, name, maximum=10**6)
        for name in _FLAGS:
            checks.boolean(values, name)
        for name in _IDS:
            checks.integer(values, name)
        for name in _ID_LISTS:
            if values.get(name) is not None and not _int_list(values[name]):
                checks.add(name, "is invalid")
        checks.email(values, "email_address")
        checks.place(merged)
        self._check_parent(checks, values, old)
        check_unique_origin(checks, values, self.company.rows(KIND), old["id"] if old else None)
        if checks.errors:
            # A duplicate origin_id alone is a conflict (409) on create; anything else a validation failure.
            conflict = old is None and checks.errors == {"origin_id": ["has already been taken"]}
            raise Invalid(checks.errors, 409 if conflict else 422)
        return as_ints(values, _IDS)

    def _check_parent(self, checks: Checks, values: dict, old: dict | None) -> None:
        parent_id = values.get("parent_id")
        if parent_id is None or "parent_id" in checks.errors:
            return
        parent = self.find(parent_id)
        if parent is None:
            checks.add("parent_id", "is invalid")
        elif old is not None and parent["id"] == old["id"]:
            checks.add("parent_id", "cannot be the same as id")
        elif parent.get("parent_id") is not None:
            checks.add("parent_id", "only two levels of hierarchy are supported")

    def render(self, row: dict) -> dict:
        parent = self.find(row["parent_id"]) if row.get("parent_id") else None
        children = sum(1 for r in self.company.rows(KIND) if r.get("parent_id") == row["id"])
        return {
            "id": row["id"],
            "name": row.get("name"),
            "abbreviated_name": row.get("abbreviated_name"),
            "address": row.get("address"),
            "attachments": [],
            "authorized_bidder": row.get("authorized_bidder"),
            "business_id": None,
            "business_phone": row.get("business_phone"),
            "business_register": None,
            "city": row.get("city"),
            "contact_count": 0,
            "company": row.get("name"),
            "country_code": row.get("country_code"),
            "created_at": row["created_at"],
            "email_address": row.get("email_address"),
            "fax_number": row.get("fax_number"),
            "is_active": row.get("is_active"),
            "is_connected": False,
            "labor_union": row.get("labor_union"),
            "license_number": row.get("license_number"),
            "logo": None,
            "mobile_phone": row.get("mobile_phone"),
            "non_union_prevailing_wage": row.get("non_union_prevailing_wage"),
            "notes": row.get("notes"),
            "origin_code": row.get("origin_code"),
            "origin_data": row.get("origin_data"),
            "origin_id": row.get("origin_id"),
            "prequalified": row.get("prequalified"),
            "primary_contact": None,
            "state_code": row.get("state_code"),
            "synced_to_erp": False,
            "trade_name": row.get("trade_name"),
            "union_member": row.get("union_member"),
            "updated_at": row["updated_at"],
            "vendor_group": None,
            "website": row.get("website"),
            "zip": row.get("zip"),
            "bidding_distribution": [],
            "children_count": children,
            "company_vendor": True,
            "legal_name": None,
            "parent": {"id": parent["id"], "name": parent.get("name")} if parent else None,
            "project_ids": [],
            "standard_cost_codes": [],
            "trades": [],
        }


def _int_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
