"""The Avro schema of one object's change events and how a saved record becomes an event payload (crm_targets.md
§1.10 and Salesforce's "Event Deserialization Considerations"): the ChangeEventHeader first, then one nullable
field per record field, with address and name parts folded into compound records as the platform does.
changedFields and nulledFields are bitmaps over those positions: bit n of the first element is the field at
position n of the schema, and each later element, `{position}-{bitmap}`, names the changed parts of a compound."""

import base64
import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime

import fastavro

from ml_connector_dagster.sandbox.salesforce.schema import Field, SObject

NAMESPACE = "com.sforce.eventbus"
# Guess: the symbols of the ChangeType enum and their order.
CHANGE_TYPES = (
    "CREATE",
    "UPDATE",
    "DELETE",
    "UNDELETE",
    "GAP_CREATE",
    "GAP_UPDATE",
    "GAP_DELETE",
    "GAP_UNDELETE",
    "GAP_OVERFLOW",
)
_STRINGS = {"type": "array", "items": "string"}
_HEADER = {
    "type": "record",
    "name": "ChangeEventHeader",
    "namespace": NAMESPACE,
    "fields": [
        {"name": "entityName", "type": "string"},
        {"name": "recordIds", "type": _STRINGS},
        {
            "name": "changeType",
            "type": {"type": "enum", "name": "ChangeType", "namespace": NAMESPACE, "symbols": list(CHANGE_TYPES)},
        },
        {"name": "changeOrigin", "type": "string"},
        {"name": "transactionKey", "type": "string"},
        {"name": "sequenceNumber", "type": "int"},
        {"name": "commitTimestamp", "type": "long"},
        {"name": "commitNumber", "type": "long"},
        {"name": "commitUser", "type": "string"},
        {"name": "nulledFields", "type": _STRINGS},
        {"name": "diffFields", "type": _STRINGS},
        {"name": "changedFields", "type": _STRINGS},
    ],
}
# Guess: datetimes as epoch milliseconds and dates as days since the epoch, both plain numbers without an Avro
# logical type ("date fields are in Epoch time" is all the documentation says).
_AVRO_TYPES = {
    "string": "string",
    "id": "string",
    "reference": "string",
    "boolean": "boolean",
    "double": "double",
    "currency": "double",
    "percent": "double",
    "int": "int",
    "date": "int",
    "datetime": "long",
}
# Not in change events: the record's id is in the header, and the platform fills these from other records.
_NOT_IN_EVENTS = {"Id", "IsDeleted", "SystemModstamp"}
_FROM_OTHER_RECORDS = {"PricebookEntry": {"Name", "ProductCode"}, "OpportunityLineItem": {"Name", "ProductCode"}}
# Guess: a compound holds only the parts the emulated org has (Salesforce's Address also has StateCode,
# CountryCode, Latitude, Longitude, GeocodeAccuracy; its Name also MiddleName, Suffix, InformalName).
_ADDRESS_PARTS = ("Street", "City", "State", "PostalCode", "Country")
_NAME_PARTS = ("Salutation", "FirstName", "LastName")


@dataclass(frozen=True)
class Slot:
    """One field of the event after the header: a record field, or a compound of several (`parts`: part name →
    record field, in the compound record's order)."""

    name: str
    spec: Field | None = None
    parts: tuple[tuple[str, str], ...] = ()


class EventSchema:
    def __init__(self, sobject: SObject):
        self.entity = sobject.name
        self.slots = _slots(sobject)
        self.specs = sobject.fields
        self.json = _schema(sobject.name, self.slots, self.specs)
        canonical = fastavro.schema.to_parsing_canonical_form(self.json)
        # Guess: Salesforce's schema ids are 22 characters, which fits a 128-bit digest in URL-safe base64; which
        # digest of which form of the schema is not documented.
        self.id = base64.urlsafe_b64encode(hashlib.md5(canonical.encode()).digest()).decode().rstrip("=")
        self._parsed = fastavro.parse_schema(self.json)

    def payload(self, header: dict, change_type: str, old: dict | None, new: dict) -> bytes:
        """The event of one saved record: on UPDATE only what changed, with the bitmaps saying what that was."""
        values: dict = {}
        changed, nulled, changed_parts, nulled_parts = [], [], [], []
        for position, slot in enumerate(self.slots, start=1):
            fields = [(slot.name, slot.name)] if slot.spec else list(slot.parts)
            record, changed_bits, nulled_bits = {}, [], []
            for bit, (name, field) in enumerate(fields):
                value = new.get(field)
                if change_type == "UPDATE":
                    # Guess: every save counts LastModifiedDate as changed, even when the clock stands still.
                    if value == old.get(field) and field != "LastModifiedDate":
                        continue
                    changed_bits.append(bit)
                    if value is None:
                        nulled_bits.append(bit)
                elif change_type == "DELETE":
                    continue
                record[name] = _avro_value(self.specs[field], value)
            if slot.spec:
                values[slot.name] = record.get(slot.name)
                changed += [position] if changed_bits else []
                nulled += [position] if nulled_bits else []
                continue
            if any(v is not None for v in record.values()) or changed_bits:
                values[slot.name] = {name: record.get(name) for name, _ in slot.parts}
            changed_parts += [f"{position}-{bitmap(changed_bits)}"] if changed_bits else []
            nulled_parts += [f"{position}-{bitmap(nulled_bits)}"] if nulled_bits else []
        # Guess: a list whose only entries are compounds still starts with a (zero) bitmap of the plain fields.
        header = {
            **header,
            "changeType": change_type,
            "diffFields": [],
            "changedFields": [bitmap(changed), *changed_parts] if changed or changed_parts else [],
            "nulledFields": [bitmap(nulled), *nulled_parts] if nulled or nulled_parts else [],
        }
        out = io.BytesIO()
        fastavro.schemaless_writer(out, self._parsed, {"ChangeEventHeader": header, **values})
        return out.getvalue()


def bitmap(positions: list[int]) -> str:
    value = sum(1 << position for position in positions)
    # Guess: upper-case hex in whole bytes, as in the documentation's examples ('0x650004E0', '4-0x10').
    return f"0x{value:0{max(2, (value.bit_length() + 7) // 8 * 2)}X}"


def _slots(sobject: SObject) -> list[Slot]:
    left_out = _NOT_IN_EVENTS | _FROM_OTHER_RECORDS.get(sobject.name, set())
    fields = [name for name in sobject.fields if name not in left_out]
    compounds: dict[str, tuple[tuple[str, str], ...]] = {}
    for kind in ("Billing", "Shipping", "Mailing"):
        parts = tuple((part, f"{kind}{part}") for part in _ADDRESS_PARTS)
        if all(field in fields for _, field in parts):
            compounds[f"{kind}Address"] = parts
    if all(part in fields for part in _NAME_PARTS):
        # The compound Name takes the place of the read-only full name the REST API shows.
        fields = [name for name in fields if name != "Name"]
        compounds["Name"] = tuple((part, part) for part in _NAME_PARTS)
    owner = {field: compound for compound, parts in compounds.items() for _, field in parts}
    slots, placed = [], set()
    for name in fields:
        compound = owner.get(name)
        if compound is None:
            slots.append(Slot(name, sobject.fields[name]))
        elif compound not in placed:
            # A compound sits where the first of its parts would.
            slots.append(Slot(compound, parts=compounds[compound]))
            placed.add(compound)
    return slots


def _schema(entity: str, slots: list[Slot], specs: dict[str, Field]) -> dict:
    fields: list[dict] = [{"name": "ChangeEventHeader", "type": _HEADER}]
    defined: set[str] = set()
    for slot in slots:
        if slot.spec:
            kind = _AVRO_TYPES[slot.spec.type]
        else:
            record = "Address" if slot.name.endswith("Address") else slot.name
            # An Avro name is defined once; later compounds of the same kind refer to it.
            kind = (
                record
                if record in defined
                else {
                    "type": "record",
                    "name": record,
                    "namespace": NAMESPACE,
                    "fields": [
                        {"name": part, "type": ["null", _AVRO_TYPES[specs[field].type]], "default": None}
                        for part, field in slot.parts
                    ],
                }
            )
            defined.add(record)
        fields.append({"name": slot.name, "type": ["null", kind], "default": None})
    return {"type": "record", "name": f"{entity}ChangeEvent", "namespace": NAMESPACE, "fields": fields}


def _avro_value(spec: Field, value):
    if value is None:
        return None
    if spec.type == "datetime":
        return int(datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1000)
    if spec.type == "date":
        return (date.fromisoformat(value) - date(1970, 1, 1)).days
    return value
