"""A stand-in for pyrfc over the SAP ECC emulator's tables: `Connection` and pyrfc's exception classes, and
RFC_READ_TABLE as erp_sources.md §2.3 describes it (fixed-width DATA lines of at most 512 characters, FIELDS with
OFFSET/LENGTH/TYPE, OPTIONS lines of at most 72 characters in Open SQL, ROWSKIPS/ROWCOUNT, and its exceptions).

pyrfc needs SAP's proprietary NW RFC SDK, so the RFC transport is exercised through this module: configure the
`sap_ecc` resource with `rfc_module` set to this module and `ashost` to an emulator's `rfc_host`."""

import re
from decimal import Decimal

from ml_connector_dagster.sandbox.odata_query import both, either
from ml_connector_dagster.sandbox.sap_ecc.schema import TABLES

ROW_WIDTH, OPTION_LINE = 512, 72
_SYSTEMS: dict[str, object] = {}
_TYPES = {"NUMC": "N", "DATS": "D", "TIMS": "T", "CURR": "P", "QUAN": "P", "DEC": "P"}


class RFCError(Exception):
    def __init__(self, message: str = "", key: str = ""):
        super().__init__(message)
        self.message = message
        self.key = key


class RFCLibError(RFCError):
    pass


class CommunicationError(RFCLibError):
    pass


class LogonError(RFCLibError):
    pass


class ABAPApplicationError(RFCLibError):
    pass


class ABAPRuntimeError(RFCLibError):
    pass


def register(host: str, emulator) -> None:
    _SYSTEMS[host] = emulator


class Connection:
    def __init__(
        self, *, ashost: str, sysnr: str = "00", client: str, user: str, passwd: str, lang: str = "EN", **_other
    ):
        self.system = _SYSTEMS.get(ashost)
        if self.system is None:
            raise CommunicationError(f"partner '{ashost}:33{sysnr}' not reached", "RFC_COMMUNICATION_FAILURE")
        self.system.rfc_failure()
        if client != self.system.settings.client or self.system.settings.users.get(user.upper()) != passwd:
            raise LogonError("Name or password is incorrect (repeat logon)", "RFC_LOGON_FAILURE")
        self.alive = True

    def call(self, function: str, **params) -> dict:
        if not self.alive:
            raise RFCError("The connection is closed")
        self.system.rfc_failure()
        if function != "RFC_READ_TABLE":
            raise ABAPApplicationError(f"Function module {function} not found", "FU_NOT_FOUND")
        return read_table(self.system, **params)

    def close(self) -> None:
        self.alive = False


def read_table(
    system,
    *,
    QUERY_TABLE: str,
    DELIMITER: str = " ",
    NO_DATA: str = "",
    ROWSKIPS: int = 0,
    ROWCOUNT: int = 0,
    OPTIONS: list | None = None,
    FIELDS: list | None = None,
) -> dict:
    table = TABLES.get(QUERY_TABLE)
    if table is None:
        raise ABAPApplicationError(f"Table {QUERY_TABLE} not available", "TABLE_NOT_AVAILABLE")
    if QUERY_TABLE in system.settings.unreadable_tables:
        # erp_sources.md §2.3 (unverified): without S_TABU_DIS/S_TABU_NAM for the table's group
        raise ABAPApplicationError(f"No authorization for table {QUERY_TABLE}", "NOT_AUTHORIZED")
    names = [f["FIELDNAME"] for f in FIELDS or []] or [f.name for f in table.fields]
    known = {f.name: f for f in table.fields}
    if any(name not in known for name in names):
        raise ABAPApplicationError("Field not valid", "FIELD_NOT_VALID")
    separator = "" if DELIMITER in ("", " ") else DELIMITER
    described, offset = [], 0
    for name in names:
        field = known[name]
        length = field.length + (2 if _TYPES.get(field.ddic) == "P" else 0)  # sign and decimal point
        described.append(
            {
                "FIELDNAME": name,
                "OFFSET": f"{offset:06d}",
                "LENGTH": f"{length:06d}",
                "TYPE": _TYPES.get(field.ddic, "C"),
                "FIELDTEXT": field.label,
            }
        )
        offset += length + len(separator)
    if offset - len(separator) > ROW_WIDTH:
        raise ABAPApplicationError(
            f"Data buffer exceeded: {QUERY_TABLE} rows are wider than {ROW_WIDTH}", "DATA_BUFFER_EXCEEDED"
        )
    if NO_DATA == "X":
        return {"FIELDS": described, "DATA": [], "OPTIONS": OPTIONS or []}
    lines = [line["TEXT"] for line in OPTIONS or []]
    if any(len(line) > OPTION_LINE for line in lines):
        raise ABAPApplicationError("Option not valid", "OPTION_NOT_VALID")
    test = _where(" ".join(lines), known)
    rows = [row for row in system.rows(QUERY_TABLE) if test(row)]
    rows = rows[ROWSKIPS : ROWSKIPS + ROWCOUNT if ROWCOUNT else None]
    data = [
        {
            "WA": separator.join(
                _render(known[d["FIELDNAME"]], row.get(d["FIELDNAME"]), int(d["LENGTH"])) for d in described
            ).rstrip()
        }
        for row in rows
    ]
    return {"FIELDS": described, "DATA": data, "OPTIONS": OPTIONS or []}


def _render(field, value: str | None, length: int) -> str:
    kind = _TYPES.get(field.ddic, "C")
    if kind == "P":
        amount = Decimal(value or "0").quantize(Decimal(1).scaleb(-field.decimals))
        text = f"{abs(amount)}" + ("-" if amount < 0 else " ")
        # a value longer than its output field is cut on the left and marked with a leading `*` (`*6.38600-`, the
        # form practitioners observed: erp_sources.md §2.3)
        return text.rjust(length) if len(text) <= length else "*" + text[len(text) - length + 1 :]
    if kind == "N":
        return (value or "").rjust(length, "0")
    if kind == "D":
        return (value or "00000000").ljust(length)
    return (value or "").ljust(length)[:length]


_TOKEN = re.compile(r"\s*('(?:[^']|'')*'|<>|>=|<=|=|<|>|\(|\)|[A-Za-z_][\w/]*)")
_OPS = {"=": "EQ", "<>": "NE", ">=": "GE", "<=": "LE", ">": "GT", "<": "LT"}


def _where(text: str, known: dict):
    """Open SQL conditions: FIELD op 'literal' joined by AND / OR / NOT with parentheses; operators need spaces."""
    tokens, position = [], 0
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        if not match:
            raise ABAPApplicationError("Option not valid", "OPTION_NOT_VALID")
        tokens.append(match.group(1))
        position = match.end()
    if not tokens:
        return lambda row: True
    compare = {
        "EQ": lambda a, b: a == b,
        "NE": lambda a, b: a != b,
        "GE": lambda a, b: a >= b,
        "LE": lambda a, b: a <= b,
        "GT": lambda a, b: a > b,
        "LT": lambda a, b: a < b,
    }
    index = 0

    def take() -> str:
        nonlocal index
        if index >= len(tokens):
            raise ABAPApplicationError("Option not valid", "OPTION_NOT_VALID")
        index += 1
        return tokens[index - 1]

    def disjunction():
        left = conjunction()
        while index < len(tokens) and tokens[index].upper() == "OR":
            take()
            left = either(left, conjunction())
        return left

    def conjunction():
        left = unary()
        while index < len(tokens) and tokens[index].upper() == "AND":
            take()
            left = both(left, unary())
        return left

    def unary():
        token = take()
        if token.upper() == "NOT":
            inner = unary()
            return lambda row: not inner(row)
        if token == "(":
            inner = disjunction()
            if take() != ")":
                raise ABAPApplicationError("Option not valid", "OPTION_NOT_VALID")
            return inner
        if token not in known:
            raise ABAPApplicationError(f"Field {token} unknown", "OPTION_NOT_VALID")
        operator = take().upper()
        operator = _OPS.get(operator, operator)
        literal = take()
        if operator not in compare or not literal.startswith("'"):
            raise ABAPApplicationError("Option not valid", "OPTION_NOT_VALID")
        value, test = literal[1:-1].replace("''", "'"), compare[operator]
        value = value if value.strip() else ""  # ' ' is a CHAR field's initial value
        return lambda row: test(row.get(token) or "", value)

    predicate = disjunction()
    if index != len(tokens):
        raise ABAPApplicationError("Option not valid", "OPTION_NOT_VALID")
    return predicate
