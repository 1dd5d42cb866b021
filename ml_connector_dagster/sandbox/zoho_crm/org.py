"""One Zoho CRM org per data centre: its users, its clock in the org's time zone, its record ids, and a stored record
rendered as the API answers it (date-times with the org's offset, users and lookups as objects)."""

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.zoho_crm.schema import MODULES, Module
from ml_connector_dagster.sandbox.zoho_crm.settings import ZohoCrmSettings
from ml_connector_dagster.sandbox.zoho_crm.store import Store

# Zoho record ids start with digits of the org (zgid-like); one 7-digit prefix per sandbox data centre.
_ORG_PREFIXES = {"us": "5725767", "eu": "2047731", "in": "6011432", "au": "7104229", "jp": "8120047", "ca": "3901126",
                 "sa": "4420158", "cn": "9033310"}  # fmt: skip
API_USER = "api"  # the user the self client's refresh token belongs to: every API write is theirs
HUMAN_USER = "user"  # a sales rep editing in the CRM's UI (the admin surface's writes)


class Org:
    def __init__(self, dc: str, store: Store, clock: Clock, settings: Callable[[], ZohoCrmSettings]):
        self.dc = dc
        self.store = store
        self.clock = clock
        self.settings = settings
        self.prefix = _ORG_PREFIXES[dc]
        self.users = {
            API_USER: {"name": "MLC Integration", "id": f"{self.prefix}000000000101", "email": "mlc.sync@example.com"},
            HUMAN_USER: {"name": "Dana Nowak", "id": f"{self.prefix}000000000102", "email": "dana.nowak@example.com"},
        }

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.settings().time_zones.get(self.dc, "UTC"))

    def now(self) -> datetime:
        """Now to Zoho's precision (whole seconds), in UTC: what records store."""
        return self.clock.now().astimezone(UTC).replace(microsecond=0)

    def local(self, stored: str) -> str:
        """A stored UTC date-time as Zoho writes it: ISO 8601 with the org's offset, `2025-01-31T10:00:00+05:30`."""
        return datetime.fromisoformat(stored).astimezone(self.zone).isoformat(timespec="seconds")

    def new_id(self, module: Module) -> str:
        return f"{self.prefix}{module.id_prefix}{self.store.next_number(f'{self.dc}.{module.api_name}'):011d}"

    def module_id(self, module: Module) -> str:
        return f"{self.prefix}00000000{list(MODULES).index(module.api_name) + 2:04d}"

    def records(self, module: Module) -> dict[str, dict]:
        return self.store.items(module.api_name, self.dc)

    def user(self, key: str, *, email: bool = True) -> dict:
        user = self.users[key]
        return user if email else {"name": user["name"], "id": user["id"]}

    def render(self, module: Module, row: dict, fields: list[str] | None = None) -> dict:
        """A stored record as the API answers it; with `fields`, only those and the id."""
        names = ["id", *[f for f in fields if f != "id"]] if fields else list(module.fields)
        return {name: self._value(module, row, name) for name in names}

    def _value(self, module: Module, row: dict, name: str):
        spec = module.fields[name]
        value = row.get(name)
        if name == "Full_Name":
            return " ".join(part for part in (row.get("First_Name"), row.get("Last_Name")) if part)
        if value is None:
            return None
        if spec.data_type == "datetime":
            return self.local(value)
        if spec.data_type == "ownerlookup":
            return self.user(value, email=name == "Owner")
        if spec.data_type == "lookup":
            target = MODULES[spec.lookup_module]
            parent = self.records(target).get(value)
            return {"name": parent.get(target.name_field) if parent else None, "id": value}
        return value
