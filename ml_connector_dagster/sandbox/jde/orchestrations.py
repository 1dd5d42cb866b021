"""The connector's four orchestrations as a JDE administrator builds them (docs/operators/jde.md): generic flat JSON
inputs, every value a string, an input left out left unchanged on update. Validation is the one the address book
and customer master forms apply (required fields, field lengths, UDC values, payment terms in F0014, an existing
address number); a refusal is an OrchestrationError with the form's error text."""

import sqlite3
from decimal import Decimal, InvalidOperation

from ml_connector_dagster.sandbox.jde.schema import insert

CUSTOMER_INPUTS = {  # input: maximum length (None: checked otherwise)
    "AlphaName": 40,
    "SearchType": 1,
    "TaxId": 20,
    **{f"AddressLine{n}": 40 for n in range(1, 5)},
    "City": 25,
    "State": 3,
    "PostalCode": 12,
    "Country": 3,
    "PhoneNumber": 20,
    "EmailAddress": 256,
    "Industry": 10,
    "Company": 5,
    "PaymentTerms": 3,
    "CreditLimit": None,
    "CustomerCategory": 3,
    "CustomerType": 3,
}
CONTACT_INPUTS = {"GivenName": 25, "Surname": 25, "EmailAddress": 256, "PhoneNumber": 20, "Title": 40}
# inputs → (table, alias)
_F0101 = {"AlphaName": "ALPH", "SearchType": "AT1", "TaxId": "TAX", "Industry": "SIC"}
_F0116 = {
    "AddressLine1": "ADD1",
    "AddressLine2": "ADD2",
    "AddressLine3": "ADD3",
    "AddressLine4": "ADD4",
    "City": "CTY1",
    "State": "ADDS",
    "PostalCode": "ADDZ",
    "Country": "CTR",
}
_F03012 = {"PaymentTerms": "TRAR", "CreditLimit": "ACL", "CustomerCategory": "AC01", "CustomerType": "AC02"}
_F0111 = {"GivenName": "GNNM", "Surname": "SRNM", "Title": "ATTL"}


class OrchestrationError(ValueError):
    """The form refused the record; the text is JDE's."""


class Orchestrations:
    def __init__(self, db: sqlite3.Connection, countries: list[str], names: dict[str, str]):
        self.db = db
        self.countries = countries
        self.names = names  # orchestration name → operation

    def run(self, name: str, inputs: dict, stamp: dict) -> dict:
        operation = self.names[name]
        for field, value in inputs.items():
            if not isinstance(value, str):
                raise OrchestrationError(f"Input '{field}' must be a string")
        return getattr(self, operation)(inputs, stamp)

    # customers ------------------------------------------------------------------------------------------------
    def add_customer(self, inputs: dict, stamp: dict) -> dict:
        self._known(inputs, CUSTOMER_INPUTS)
        for required in ("AlphaName", "SearchType"):
            if not inputs.get(required, "").strip():
                raise OrchestrationError(f"{required} is required")
        self._customer_values(inputs)
        an8 = int(self.db.execute("SELECT COALESCE(MAX(AN8), 0) + 1 FROM F0101").fetchone()[0])
        company = inputs.get("Company", "00001")
        insert(self.db, "F0101", {"AN8": an8, "ALKY": "", "PA8": 0, **self._values(_F0101, inputs), **stamp})
        insert(self.db, "F0111", {"AN8": an8, "IDLN": 0, "MLNM": inputs["AlphaName"], **_times(stamp)})
        insert(self.db, "F0116", {"AN8": an8, "EFTB": stamp["UPMJ"], **self._values(_F0116, inputs), **_times(stamp)})
        self._channels(an8, 0, inputs, stamp)
        insert(
            self.db,
            "F03012",
            {
                "AN8": an8,
                "CO": company,
                "CRCD": "USD",
                "HDAR": "N",
                **_master(self._values(_F03012, inputs)),
                **_times(stamp),
            },
        )
        return {"AddressNumber": str(an8)}

    def update_customer(self, inputs: dict, stamp: dict) -> dict:
        self._known(inputs, {"AddressNumber": None, **CUSTOMER_INPUTS})
        an8 = self._address_number(inputs)
        for required in ("AlphaName", "SearchType"):
            if required in inputs and not inputs[required].strip():
                raise OrchestrationError(f"{required} is required")
        self._customer_values(inputs)
        self._update("F0101", {"AN8": an8}, self._values(_F0101, inputs), stamp)
        if "AlphaName" in inputs:
            self._update("F0111", {"AN8": an8, "IDLN": 0}, {"MLNM": inputs["AlphaName"]}, _times(stamp))
        eftb = self.db.execute("SELECT MAX(EFTB) FROM F0116 WHERE AN8 = ?", (an8,)).fetchone()[0]
        if eftb is not None:
            self._update("F0116", {"AN8": an8, "EFTB": eftb}, self._values(_F0116, inputs), _times(stamp))
        self._channels(an8, 0, inputs, stamp)
        company = inputs.get("Company", "00001")
        changes = _master(self._values(_F03012, inputs))
        if changes and not self._exists("F03012", {"AN8": an8, "CO": company}):
            insert(
                self.db, "F03012", {"AN8": an8, "CO": company, "CRCD": "USD", "HDAR": "N", **changes, **_times(stamp)}
            )
        else:
            self._update("F03012", {"AN8": an8, "CO": company}, changes, _times(stamp))
        return {"AddressNumber": str(an8)}

    def _customer_values(self, inputs: dict) -> None:
        self._lengths(inputs, CUSTOMER_INPUTS)
        if "SearchType" in inputs and inputs["SearchType"] not in ("C", "V"):
            raise OrchestrationError(f"Search Type '{inputs['SearchType']}' is invalid for this orchestration (C or V)")
        if inputs.get("Country") and inputs["Country"] not in self.countries:
            raise OrchestrationError(f"Country '{inputs['Country']}' is not in UDC 00/CN")
        if "Company" in inputs and not (len(inputs["Company"]) == 5 and inputs["Company"].isdigit()):
            raise OrchestrationError(f"Company '{inputs['Company']}' is invalid")
        terms = inputs.get("PaymentTerms")
        if terms and not self._exists("F0014", {"PTC": terms}):
            raise OrchestrationError(f"Payment Terms Code '{terms}' is invalid (not in F0014)")
        if "CreditLimit" in inputs:
            try:
                limit = Decimal(inputs["CreditLimit"] or "0")
            except InvalidOperation:
                raise OrchestrationError(f"Credit Limit '{inputs['CreditLimit']}' is not a number") from None
            if limit < 0 or not limit.is_finite():
                raise OrchestrationError(f"Credit Limit '{inputs['CreditLimit']}' must not be negative")

    # contacts -------------------------------------------------------------------------------------------------
    def add_contact(self, inputs: dict, stamp: dict) -> dict:
        self._known(inputs, {"AddressNumber": None, **CONTACT_INPUTS})
        an8 = self._address_number(inputs)
        if not inputs.get("Surname", "").strip():
            raise OrchestrationError("Surname is required")
        self._lengths(inputs, CONTACT_INPUTS)
        line = int(self.db.execute("SELECT COALESCE(MAX(IDLN), 0) + 1 FROM F0111 WHERE AN8 = ?", (an8,)).fetchone()[0])
        values = self._values(_F0111, inputs)
        insert(self.db, "F0111", {"AN8": an8, "IDLN": line, "MLNM": _mailing(values), **values, **_times(stamp)})
        self._channels(an8, line, inputs, stamp)
        return {"LineNumber": str(line)}

    def update_contact(self, inputs: dict, stamp: dict) -> dict:
        self._known(inputs, {"AddressNumber": None, "LineNumber": None, **CONTACT_INPUTS})
        an8 = self._address_number(inputs)
        line = inputs.get("LineNumber", "")
        if not line.isdigit() or int(line) < 1 or not self._exists("F0111", {"AN8": an8, "IDLN": int(line)}):
            raise OrchestrationError(f"Who's Who line '{line}' does not exist for Address Number {an8}")
        if "Surname" in inputs and not inputs["Surname"].strip():
            raise OrchestrationError("Surname is required")
        self._lengths(inputs, CONTACT_INPUTS)
        values = self._values(_F0111, inputs)
        if values:
            held = self.db.execute(
                "SELECT GNNM, SRNM FROM F0111 WHERE AN8 = ? AND IDLN = ?", (an8, int(line))
            ).fetchone()
            names = {"GNNM": held[0], "SRNM": held[1], **values}
            self._update("F0111", {"AN8": an8, "IDLN": int(line)}, {**values, "MLNM": _mailing(names)}, _times(stamp))
        self._channels(an8, int(line), inputs, stamp)
        return {"LineNumber": line}

    # shared ---------------------------------------------------------------------------------------------------
    def _channels(self, an8: int, line: int, inputs: dict, stamp: dict) -> None:
        for table, input_name, alias, extra in (
            ("F01151", "EmailAddress", "EMAL", {"ETP": "E"}),
            ("F0115", "PhoneNumber", "PH1", {"PHTP": "", "AR1": ""}),
        ):
            if input_name not in inputs:
                continue
            where = {"AN8": an8, "IDLN": line, "RCK7": 1}
            if self._exists(table, where):
                # The number comes whole (docs/operators/jde.md): its old prefix must not stay in front of it.
                prefix = {"AR1": ""} if table == "F0115" else {}
                self._update(table, where, {alias: inputs[input_name], **prefix}, _times(stamp))
            else:
                insert(self.db, table, {**where, **extra, alias: inputs[input_name], **_times(stamp)})

    def _address_number(self, inputs: dict) -> int:
        value = inputs.get("AddressNumber", "")
        if not value.strip():
            raise OrchestrationError("AddressNumber is required")
        if not value.isdigit() or not self._exists("F0101", {"AN8": int(value)}):
            raise OrchestrationError(f"Address Number '{value}' is invalid")
        return int(value)

    @staticmethod
    def _known(inputs: dict, allowed: dict) -> None:
        unknown = sorted(set(inputs) - set(allowed))
        if unknown:
            raise OrchestrationError(f"Unknown input(s) {', '.join(unknown)} for this orchestration")

    @staticmethod
    def _lengths(inputs: dict, limits: dict) -> None:
        for name, limit in limits.items():
            if limit is not None and len(inputs.get(name, "")) > limit:
                raise OrchestrationError(f"{name} exceeds its length of {limit}")

    @staticmethod
    def _values(mapping: dict, inputs: dict) -> dict:
        return {alias: inputs[name] for name, alias in mapping.items() if name in inputs}

    def _exists(self, table: str, where: dict) -> bool:
        clause = " AND ".join(f'"{column}" = ?' for column in where)
        return self.db.execute(f"SELECT 1 FROM {table} WHERE {clause}", tuple(where.values())).fetchone() is not None

    def _update(self, table: str, where: dict, values: dict, stamp: dict) -> None:
        if not values:
            return
        values = {**values, **stamp}
        assignments = ", ".join(f'"{column}" = ?' for column in values)
        clause = " AND ".join(f'"{column}" = ?' for column in where)
        self.db.execute(f"UPDATE {table} SET {assignments} WHERE {clause}", (*values.values(), *where.values()))


def _master(values: dict) -> dict:
    """F03012 values as the table holds them: the credit limit is a number (a blank input is no limit, 0)."""
    if "ACL" in values:
        limit = Decimal(values["ACL"] or "0")
        values = {**values, "ACL": int(limit) if limit == limit.to_integral_value() else float(limit)}
    return values


def _times(stamp: dict) -> dict:
    """The change stamp of a table without a USER column the emulator serves."""
    return {"UPMJ": stamp["UPMJ"], "UPMT": stamp["UPMT"]}


def _mailing(values: dict) -> str:
    return " ".join(part for part in (values.get("GNNM", ""), values.get("SRNM", "")) if part)[:40]
