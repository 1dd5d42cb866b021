"""How Procore writes and checks values: date-times in UTC with a `Z`, dates `YYYY-MM-DD`, money as decimal strings
the way Rails prints a BigDecimal (`1000.0`, `1234.56`), and the field checks the write endpoints share (types,
lengths, formats), each failure a message under the field's name as Rails validations phrase them."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from ml_connector_dagster.sandbox.procore.countries import COUNTRIES, SUBDIVISIONS
from ml_connector_dagster.sandbox.procore.errors import FieldErrors

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_STATE_FORM = re.compile(r"^[A-Z0-9]{1,3}$")


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(value: Decimal | None) -> str | None:
    """A BigDecimal as Rails renders it: no exponent, at least one decimal, no trailing zeros beyond it."""
    if value is None:
        return None
    text = f"{value.normalize():f}"
    if "." not in text:
        return f"{text}.0"
    return text


def decimal_of(value) -> Decimal | None:
    """A decimal from a JSON number or a numeric string; None when it is neither (or a bool)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


class Checks:
    """Collects field errors of one record; `errors` is empty when it is valid."""

    def __init__(self) -> None:
        self.errors: FieldErrors = {}

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def text(self, values: dict, name: str, maximum: int = 255, *, required: bool = False) -> None:
        value = values.get(name)
        if value is None or value == "":
            if required:
                self.add(name, "can't be blank")
            return
        if not isinstance(value, str):
            self.add(name, "is invalid")
        elif required and not value.strip():
            self.add(name, "can't be blank")
        elif len(value) > maximum:
            self.add(name, f"is too long (maximum is {maximum} characters)")

    def boolean(self, values: dict, name: str) -> None:
        if name in values and values[name] is not None and not isinstance(values[name], bool):
            self.add(name, "is not included in the list")

    def integer(self, values: dict, name: str) -> None:
        value = values.get(name)
        if value is not None and (isinstance(value, bool) or not _integral(value)):
            self.add(name, "is not a number")

    def number(self, values: dict, name: str) -> None:
        if values.get(name) not in (None, "") and decimal_of(values[name]) is None:
            self.add(name, "is not a number")

    def day(self, values: dict, name: str) -> None:
        value = values.get(name)
        if value in (None, ""):
            return
        try:
            date.fromisoformat(str(value))
        except ValueError:
            self.add(name, "is not a valid date")

    def choice(self, values: dict, name: str, allowed) -> None:
        if values.get(name) is not None and values[name] not in allowed:
            self.add(name, "is not included in the list")

    def email(self, values: dict, name: str) -> None:
        value = values.get(name)
        if isinstance(value, str) and value and not _EMAIL.match(value):
            self.add(name, "is invalid")

    def place(self, values: dict, country_field: str = "country_code", state_field: str = "state_code") -> None:
        """ISO 3166 country and subdivision codes; a state is checked against the country's subdivisions."""
        country, state = values.get(country_field), values.get(state_field)
        if country not in (None, "") and (not isinstance(country, str) or country not in COUNTRIES):
            self.add(country_field, "is not a valid ISO-3166 Alpha-2 country code")
            return
        if state in (None, ""):
            return
        if not country:
            # Guess: a state without its country cannot be checked, so it is refused.
            self.add(state_field, "requires a country_code")
        elif not isinstance(state, str) or not _STATE_FORM.match(state):
            self.add(state_field, "is not a valid ISO-3166 subdivision code")
        elif country in SUBDIVISIONS and state not in SUBDIVISIONS[country]:
            self.add(state_field, f"is not a subdivision of {country}")


def _integral(value) -> bool:
    if isinstance(value, int):
        return True
    return isinstance(value, str) and value.strip().lstrip("-").isdigit()


def as_ints(values: dict, names) -> dict:
    """`values` with the named fields (checked integral) as ints."""
    return {k: (int(v) if k in names and v is not None else v) for k, v in values.items()}


def as_texts(values: dict, names) -> dict:
    """`values` with numbers in the named string fields as strings, as Rails casts a JSON number for a string column."""
    return {
        k: str(v) if k in names and isinstance(v, int | float) and not isinstance(v, bool) else v
        for k, v in values.items()
    }
