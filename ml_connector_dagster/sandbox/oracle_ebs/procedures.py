"""The read procedures of XXMLC_SYNC_PKG as SQL over the seeded base tables, following
docs/contributors/oracle_ebs_service_contract.md: window on the row's change stamp (the greatest LAST_UPDATE_DATE of
the joined rows) or a list of ids (PARTY_IDs, CODE_COMBINATION_IDs, PO_HEADER_IDs), ordered by (stamp, key), or the
rows after an id in id order (the initial load's keyset, where a procedure has one); offset/limit paging, every
value a string. GET_JOURNALS, whose rows hold their lines, is journals.py's."""

import sqlite3
from array import array
from dataclasses import dataclass
from datetime import UTC, datetime

from ml_connector_dagster.sandbox.oracle_ebs.chart import GL_APPLICATION_ID

MAX_LIMIT = 1000
MAX_IDS = 1000
SEGMENTS = 10  # the segment columns the package's records carry (a chart uses up to 30; EBS charts rarely exceed 10)


@dataclass(frozen=True)
class Procedure:
    sql: str  # selects the row columns plus STAMP, ROW_KEY and FILTER_ID (and ENDS where `ends`)
    dates: tuple[str, ...] = ("LAST_UPDATE_DATE",)
    # ENDS is the day the row stops being active (a supplier's END_DATE_ACTIVE, a site's INACTIVE_DATE, a contact's
    # relationship END_DATE): a window holding it returns the row too, as nobody edits a row when that day comes
    ends: bool = False
    ids_param: str = "P_PARTY_IDS"  # the comma list of FILTER_IDs that replaces the window
    after_param: str | None = None  # the id after which rows are read in ROW_KEY order, replacing the window
    window: bool = True  # False: the ids are required
    order: str = "STAMP, ROW_KEY"
    # columns that, with ROW_KEY, tell a window's rows apart where a join can repeat ROW_KEY
    distinct_by: tuple[str, ...] = ()


def _latest(*columns: str) -> str:
    return "MAX(" + ", ".join(f"COALESCE({c}, '')" for c in columns) + ")"


_PARENT = """(SELECT r.OBJECT_ID FROM HZ_RELATIONSHIPS r WHERE r.SUBJECT_ID = p.PARTY_ID AND r.DIRECTIONAL_FLAG = 'F'
    AND r.RELATIONSHIP_CODE = :rel_code AND r.STATUS = 'A' AND (r.END_DATE IS NULL OR r.END_DATE > :now)
    ORDER BY r.START_DATE DESC, r.RELATIONSHIP_ID DESC LIMIT 1)"""
_PARENT_STAMP = """(SELECT MAX(r.LAST_UPDATE_DATE) FROM HZ_RELATIONSHIPS r WHERE r.SUBJECT_ID = p.PARTY_ID
    AND r.DIRECTIONAL_FLAG = 'F' AND r.RELATIONSHIP_CODE = :rel_code)"""
_SITE_USES = "FROM HZ_CUST_SITE_USES_ALL u WHERE u.CUST_ACCT_SITE_ID = cas.CUST_ACCT_SITE_ID AND u.STATUS = 'A'"


_CONTACT_STAMP = _latest(
    "r.LAST_UPDATE_DATE",
    "per.LAST_UPDATE_DATE",
    "oc.LAST_UPDATE_DATE",
    "(SELECT MAX(cp.LAST_UPDATE_DATE) FROM HZ_CONTACT_POINTS cp WHERE cp.OWNER_TABLE_NAME = 'HZ_PARTIES'"
    " AND cp.OWNER_TABLE_ID = r.PARTY_ID)",
)


def _point(kind: str, line_type: str | None, column: str) -> str:
    line = f"AND cp.PHONE_LINE_TYPE = '{line_type}'" if line_type else ""
    return f"""(SELECT {column} FROM HZ_CONTACT_POINTS cp WHERE cp.OWNER_TABLE_NAME = 'HZ_PARTIES'
        AND cp.OWNER_TABLE_ID = r.PARTY_ID AND cp.CONTACT_POINT_TYPE = '{kind}' {line} AND cp.PRIMARY_FLAG = 'Y'
        AND cp.STATUS = 'A' ORDER BY cp.CONTACT_POINT_ID LIMIT 1)"""


def _phone(line_type: str) -> str:
    parts = ("'+' || cp.PHONE_COUNTRY_CODE", "cp.PHONE_AREA_CODE", "cp.PHONE_NUMBER")
    rendered = "TRIM(" + " || ' ' || ".join(f"COALESCE({p}, '')" for p in parts) + ")"
    return _point("PHONE", line_type, f"REPLACE(REPLACE({rendered}, '  ', ' '), '  ', ' ')")


_NUMBERS = range(1, SEGMENTS + 1)


def _columns(pattern: str) -> str:
    return ", ".join(pattern.format(n=n) for n in _NUMBERS)


def _segment_value(alias: str, n: int | None, aggregate: str) -> str:
    """`aggregate` over the value of segment n of a combination (every segment when n is None) in the value set the
    chart's structure validates it with. MIN: a dependent value set may hold a value under several parents."""
    column = (
        f"{alias}.SEGMENT{n}"
        if n
        else "CASE s.APPLICATION_COLUMN_NAME "
        + " ".join(f"WHEN 'SEGMENT{m}' THEN {alias}.SEGMENT{m}" for m in range(1, 31))
        + " END"
    )
    which = f"AND s.APPLICATION_COLUMN_NAME = 'SEGMENT{n}'" if n else ""
    return f"""(SELECT {aggregate} FROM FND_ID_FLEX_SEGMENTS s
        JOIN FND_FLEX_VALUES_VL v ON v.FLEX_VALUE_SET_ID = s.FLEX_VALUE_SET_ID
        WHERE s.APPLICATION_ID = {GL_APPLICATION_ID} AND s.ID_FLEX_CODE = 'GL#'
          AND s.ID_FLEX_NUM = {alias}.CHART_OF_ACCOUNTS_ID {which} AND v.FLEX_VALUE = {column})"""


# A combination changes when it is edited or when the description of one of its segment values is.
_CC_STAMP = _latest("cc.LAST_UPDATE_DATE", _segment_value("cc", None, "MAX(v.LAST_UPDATE_DATE)"))
# An order changes when its header, a line or a distribution does.
_PO_STAMP = _latest(
    "h.LAST_UPDATE_DATE",
    "(SELECT MAX(l.LAST_UPDATE_DATE) FROM PO_LINES_ALL l WHERE l.PO_HEADER_ID = h.PO_HEADER_ID)",
    "(SELECT MAX(d.LAST_UPDATE_DATE) FROM PO_DISTRIBUTIONS_ALL d WHERE d.PO_HEADER_ID = h.PO_HEADER_ID)",
)
# PO_HEADERS_ALL holds RFQs and quotations too, which are not orders.
_ORDER_TYPES = "'STANDARD', 'BLANKET', 'CONTRACT', 'PLANNED'"


PROCEDURES = {
    "GET_PARTIES": Procedure(
        f"""
        SELECT p.PARTY_ID, p.PARTY_NUMBER, p.PARTY_NAME, p.PARTY_TYPE, p.STATUS, p.PERSON_FIRST_NAME,
               p.PERSON_LAST_NAME, p.JGZZ_FISCAL_CODE, p.TAX_REFERENCE, p.EMAIL_ADDRESS, p.PRIMARY_PHONE_COUNTRY_CODE,
               p.PRIMARY_PHONE_AREA_CODE, p.PRIMARY_PHONE_NUMBER, p.URL, p.ADDRESS1, p.ADDRESS2, p.ADDRESS3,
               p.ADDRESS4, p.CITY, p.POSTAL_CODE, p.STATE, p.PROVINCE, p.COUNTRY, {_PARENT} AS PARENT_PARTY_ID,
               p.OBJECT_VERSION_NUMBER, p.CREATION_DATE, p.LAST_UPDATE_DATE,
               {_latest("p.LAST_UPDATE_DATE", _PARENT_STAMP)} AS STAMP, p.PARTY_ID AS ROW_KEY,
               p.PARTY_ID AS FILTER_ID
        FROM HZ_PARTIES p WHERE p.PARTY_TYPE IN ('ORGANIZATION', 'PERSON')""",
        ("CREATION_DATE", "LAST_UPDATE_DATE"),
        after_param="P_AFTER_PARTY_ID",
    ),
    "GET_CUST_ACCOUNTS": Procedure(
        """
        SELECT a.CUST_ACCOUNT_ID, a.PARTY_ID, a.ACCOUNT_NUMBER, a.ACCOUNT_NAME, a.STATUS, a.CUSTOMER_TYPE,
               a.CUSTOMER_CLASS_CODE, a.CREATION_DATE, a.LAST_UPDATE_DATE, a.LAST_UPDATE_DATE AS STAMP,
               a.CUST_ACCOUNT_ID AS ROW_KEY, a.PARTY_ID AS FILTER_ID
        FROM HZ_CUST_ACCOUNTS a""",
        ("CREATION_DATE", "LAST_UPDATE_DATE"),
    ),
    "GET_PARTY_SITES": Procedure(
        f"""
        SELECT ps.PARTY_SITE_ID, ps.PARTY_ID, ps.PARTY_SITE_NUMBER, ps.PARTY_SITE_NAME, ps.IDENTIFYING_ADDRESS_FLAG,
               ps.STATUS, ps.LOCATION_ID, l.ADDRESS1, l.ADDRESS2, l.ADDRESS3, l.ADDRESS4, l.CITY, l.POSTAL_CODE,
               l.STATE, l.PROVINCE, l.COUNTY, l.COUNTRY, cas.CUST_ACCT_SITE_ID, cas.CUST_ACCOUNT_ID, cas.ORG_ID,
               cas.BILL_TO_FLAG, cas.SHIP_TO_FLAG,
               CASE WHEN EXISTS (SELECT 1 {_SITE_USES} AND u.SITE_USE_CODE = 'BILL_TO' AND u.PRIMARY_FLAG = 'Y')
                    THEN 'Y' ELSE 'N' END AS PRIMARY_BILL_TO_FLAG,
               (SELECT GROUP_CONCAT(code, ',') FROM (SELECT DISTINCT u.SITE_USE_CODE AS code {_SITE_USES}
                                                     ORDER BY 1)) AS SITE_USE_CODES,
               {
            _latest(
                "ps.LAST_UPDATE_DATE",
                "l.LAST_UPDATE_DATE",
                "cas.LAST_UPDATE_DATE",
                f"(SELECT MAX(u.LAST_UPDATE_DATE) {_SITE_USES})",
            )
        } AS LAST_UPDATE_DATE,
               {
            _latest(
                "ps.LAST_UPDATE_DATE",
                "l.LAST_UPDATE_DATE",
                "cas.LAST_UPDATE_DATE",
                f"(SELECT MAX(u.LAST_UPDATE_DATE) {_SITE_USES})",
            )
        } AS STAMP,
               ps.PARTY_SITE_ID AS ROW_KEY, ps.PARTY_ID AS FILTER_ID
        FROM HZ_PARTY_SITES ps JOIN HZ_LOCATIONS l ON l.LOCATION_ID = ps.LOCATION_ID
        LEFT JOIN HZ_CUST_ACCT_SITES_ALL cas ON cas.PARTY_SITE_ID = ps.PARTY_SITE_ID AND cas.STATUS = 'A'
             AND (:org_id IS NULL OR cas.ORG_ID = :org_id)""",
        distinct_by=("CUST_ACCT_SITE_ID",),
    ),
    "GET_CONTACTS": Procedure(
        f"""
        SELECT r.RELATIONSHIP_ID, r.PARTY_ID AS REL_PARTY_ID, r.SUBJECT_ID AS CONTACT_PARTY_ID,
               r.OBJECT_ID AS ORG_PARTY_ID, oc.ORG_CONTACT_ID, oc.CONTACT_NUMBER, per.PERSON_FIRST_NAME,
               per.PERSON_LAST_NAME, oc.JOB_TITLE, oc.DEPARTMENT, {_point("EMAIL", None, "cp.EMAIL_ADDRESS")}
               AS EMAIL_ADDRESS, {_phone("GEN")} AS PHONE_NUMBER, {_phone("MOBILE")} AS MOBILE_NUMBER,
               CASE WHEN r.STATUS = 'A' AND oc.STATUS = 'A' THEN 'A' ELSE 'I' END AS STATUS, r.END_DATE,
               {_CONTACT_STAMP} AS LAST_UPDATE_DATE, {_CONTACT_STAMP} AS STAMP,
               r.END_DATE AS ENDS, r.RELATIONSHIP_ID AS ROW_KEY, r.OBJECT_ID AS FILTER_ID
        FROM HZ_RELATIONSHIPS r JOIN HZ_PARTIES per ON per.PARTY_ID = r.SUBJECT_ID
        JOIN HZ_ORG_CONTACTS oc ON oc.PARTY_RELATIONSHIP_ID = r.RELATIONSHIP_ID
        WHERE r.RELATIONSHIP_CODE = 'CONTACT_OF' AND r.DIRECTIONAL_FLAG = 'F'
          AND r.SUBJECT_TABLE_NAME = 'HZ_PARTIES' AND r.OBJECT_TABLE_NAME = 'HZ_PARTIES'""",
        ("END_DATE", "LAST_UPDATE_DATE"),
        ends=True,
        distinct_by=("ORG_CONTACT_ID",),
    ),
    "GET_VENDORS": Procedure(
        """
        SELECT s.VENDOR_ID, s.SEGMENT1, s.VENDOR_NAME, s.VENDOR_NAME_ALT, s.VENDOR_TYPE_LOOKUP_CODE, s.PARTY_ID,
               s.NUM_1099, s.VAT_REGISTRATION_NUM, s.ENABLED_FLAG, s.START_DATE_ACTIVE, s.END_DATE_ACTIVE,
               s.PARENT_VENDOR_ID, parent.PARTY_ID AS PARENT_VENDOR_PARTY_ID, s.TERMS_ID, s.CREATION_DATE,
               s.LAST_UPDATE_DATE, s.LAST_UPDATE_DATE AS STAMP, s.END_DATE_ACTIVE AS ENDS, s.VENDOR_ID AS ROW_KEY,
               s.PARTY_ID AS FILTER_ID
        FROM AP_SUPPLIERS s LEFT JOIN AP_SUPPLIERS parent ON parent.VENDOR_ID = s.PARENT_VENDOR_ID""",
        ("START_DATE_ACTIVE", "END_DATE_ACTIVE", "CREATION_DATE", "LAST_UPDATE_DATE"),
        ends=True,
    ),
    "GET_VENDOR_SITES": Procedure(
        """
        SELECT ss.VENDOR_SITE_ID, ss.VENDOR_ID, s.PARTY_ID, ss.VENDOR_SITE_CODE, ss.ORG_ID, ss.ADDRESS_LINE1,
               ss.ADDRESS_LINE2, ss.ADDRESS_LINE3, ss.ADDRESS_LINE4, ss.CITY, ss.STATE, ss.ZIP, ss.PROVINCE,
               ss.COUNTRY, ss.PAY_SITE_FLAG, ss.PURCHASING_SITE_FLAG, ss.PRIMARY_PAY_SITE_FLAG, ss.INACTIVE_DATE,
               ss.EMAIL_ADDRESS, ss.AREA_CODE, ss.PHONE, ss.LAST_UPDATE_DATE, ss.LAST_UPDATE_DATE AS STAMP,
               ss.INACTIVE_DATE AS ENDS, ss.VENDOR_SITE_ID AS ROW_KEY, s.PARTY_ID AS FILTER_ID
        FROM AP_SUPPLIER_SITES_ALL ss JOIN AP_SUPPLIERS s ON s.VENDOR_ID = ss.VENDOR_ID
        WHERE (:org_id IS NULL OR ss.ORG_ID = :org_id)""",
        ("INACTIVE_DATE", "LAST_UPDATE_DATE"),
        ends=True,
    ),
    "GET_CODE_COMBINATIONS": Procedure(
        f"""
        SELECT cc.CODE_COMBINATION_ID, cc.CHART_OF_ACCOUNTS_ID, {_columns("cc.SEGMENT{n}")}, cc.CONCATENATED_SEGMENTS,
               {", ".join(f"{_segment_value('cc', n, 'MIN(v.DESCRIPTION)')} AS SEGMENT{n}_DESC" for n in _NUMBERS)},
               cc.ACCOUNT_TYPE, cc.ENABLED_FLAG, cc.SUMMARY_FLAG, cc.DETAIL_POSTING_ALLOWED_FLAG,
               cc.START_DATE_ACTIVE, cc.END_DATE_ACTIVE, {_CC_STAMP} AS LAST_UPDATE_DATE, {_CC_STAMP} AS STAMP,
               cc.END_DATE_ACTIVE AS ENDS, cc.CODE_COMBINATION_ID AS ROW_KEY, cc.CODE_COMBINATION_ID AS FILTER_ID
        FROM GL_CODE_COMBINATIONS_KFV cc WHERE (:chart IS NULL OR cc.CHART_OF_ACCOUNTS_ID = :chart)""",
        ("START_DATE_ACTIVE", "END_DATE_ACTIVE", "LAST_UPDATE_DATE"),
        ends=True,
        ids_param="P_CCIDS",
        after_param="P_AFTER_CCID",
    ),
    "GET_PURCHASE_ORDERS": Procedure(
        f"""
        SELECT h.PO_HEADER_ID, h.SEGMENT1, h.TYPE_LOOKUP_CODE, h.VENDOR_ID, h.VENDOR_SITE_ID, h.ORG_ID,
               h.CURRENCY_CODE, h.AUTHORIZATION_STATUS, h.APPROVED_FLAG, h.APPROVED_DATE, h.CLOSED_CODE,
               h.CANCEL_FLAG, h.COMMENTS, h.ATTRIBUTE1, h.ATTRIBUTE2, h.ATTRIBUTE3, h.ATTRIBUTE4, h.ATTRIBUTE5,
               h.CREATION_DATE, {_PO_STAMP} AS LAST_UPDATE_DATE, {_PO_STAMP} AS STAMP, h.PO_HEADER_ID AS ROW_KEY,
               h.PO_HEADER_ID AS FILTER_ID
        FROM PO_HEADERS_ALL h
        WHERE h.TYPE_LOOKUP_CODE IN ({_ORDER_TYPES}) AND (:org_id IS NULL OR h.ORG_ID = :org_id)""",
        ("APPROVED_DATE", "CREATION_DATE", "LAST_UPDATE_DATE"),
        ids_param="P_PO_HEADER_IDS",
        after_param="P_AFTER_PO_HEADER_ID",
    ),
    "GET_PO_DISTRIBUTIONS": Procedure(
        f"""
        SELECT d.PO_HEADER_ID, d.PO_LINE_ID, l.LINE_NUM, l.ITEM_DESCRIPTION, l.UNIT_MEAS_LOOKUP_CODE, l.UNIT_PRICE,
               l.CANCEL_FLAG AS LINE_CANCEL_FLAG, d.PO_DISTRIBUTION_ID, d.DISTRIBUTION_NUM, d.QUANTITY_ORDERED,
               d.QUANTITY_CANCELLED, d.CODE_COMBINATION_ID, {_columns("cc.SEGMENT{n}")},
               {_latest("l.LAST_UPDATE_DATE", "d.LAST_UPDATE_DATE")} AS LAST_UPDATE_DATE,
               {_latest("l.LAST_UPDATE_DATE", "d.LAST_UPDATE_DATE")} AS STAMP, d.PO_DISTRIBUTION_ID AS ROW_KEY,
               d.PO_HEADER_ID AS FILTER_ID
        FROM PO_DISTRIBUTIONS_ALL d JOIN PO_LINES_ALL l ON l.PO_LINE_ID = d.PO_LINE_ID
        JOIN PO_HEADERS_ALL h ON h.PO_HEADER_ID = d.PO_HEADER_ID
        LEFT JOIN GL_CODE_COMBINATIONS cc ON cc.CODE_COMBINATION_ID = d.CODE_COMBINATION_ID
        WHERE h.TYPE_LOOKUP_CODE IN ({_ORDER_TYPES}) AND (:org_id IS NULL OR h.ORG_ID = :org_id)""",
        ids_param="P_PO_HEADER_IDS",
        window=False,
        order="FILTER_ID, LINE_NUM, DISTRIBUTION_NUM, ROW_KEY",
    ),
}


class InputError(ValueError):
    """Bad IN parameters: the package answers X_RETURN_STATUS E with this message."""


@dataclass(frozen=True)
class Page:
    rows: list[dict]
    has_more: bool


def run(
    db: sqlite3.Connection,
    method: str,
    params: dict,
    *,
    org_id: str | None,
    now: datetime,
    windows: "WindowOrders | None" = None,
) -> Page:
    """One call of a read method; `windows`, when given, keeps the order of the windows read, so that the pages after
    the first do not compute and sort every row of the window again."""
    procedure = PROCEDURES[method]
    offset, limit = paging(params)
    binds = {
        "rel_code": params.get("P_PARENT_REL_CODE") or "SUBSIDIARY_OF",
        "now": _server(now),
        "org_id": int(org_id) if org_id else None,
        "chart": chart_of(db, params),
        "limit": limit + 1,
        "offset": offset,
    }
    ids = id_list(params, procedure.ids_param, MAX_IDS)
    after = params.get(procedure.after_param) if procedure.after_param else None
    order = procedure.order
    if after not in (None, ""):
        if ids:
            raise InputError(f"Give {procedure.ids_param} or {procedure.after_param}, not both")
        binds["after"] = _number(params, procedure.after_param, 0)
        if binds["after"] < 0:
            raise InputError(f"{procedure.after_param} must be a whole number, 0 or more")
        where, order = "ROW_KEY > :after", "ROW_KEY"
    elif ids:
        if not all(i.isdigit() for i in ids):
            raise InputError(f"{procedure.ids_param} must be comma-separated numbers")
        names = [f"id{n}" for n in range(len(ids))]
        binds.update({name: int(value) for name, value in zip(names, ids, strict=True)})
        where = f"FILTER_ID IN ({', '.join(':' + n for n in names)})"
    elif not procedure.window:
        raise InputError(f"{procedure.ids_param} is required")
    else:
        start = _date(params, "P_LAST_UPDATE_FROM", procedure.ids_param)
        end = _date(params, "P_LAST_UPDATE_TO", procedure.ids_param)
        if start >= end:
            raise InputError("P_LAST_UPDATE_FROM must be before P_LAST_UPDATE_TO")
        binds.update(start=start, end=end)
        where = "(STAMP >= :start AND STAMP < :end)"
        if procedure.ends:
            where += " OR (ENDS >= :start AND ENDS < :end)"
        if windows is not None:
            return windows.page(db, procedure, where, binds, offset, limit)
    rows = _select(
        db, f"SELECT * FROM ({procedure.sql}) WHERE {where} ORDER BY {order} LIMIT :limit OFFSET :offset", binds
    )
    return Page([render(row, procedure.dates) for row in rows[:limit]], len(rows) > limit)


def _select(db: sqlite3.Connection, sql: str, binds: dict) -> list[dict]:
    cursor = db.execute(sql, binds)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


class WindowOrders:
    """The order of the windows read lately, kept while the tables do not change. The package runs its query again
    for every page and skips the offset; the same answer comes from placing the window's rows once (only what tells
    them apart, computing only the change stamp the window and the order need) and reading each page's rows by key.
    The window and the order depend on no bind but the window's own (`:now` only decides a returned column, the
    parent), so a kept order holds until a write."""

    KEPT = 8  # windows: a daily run reads a handful of methods, one window each

    def __init__(self) -> None:
        self._changes = -1
        self._orders: dict[tuple, _Placed] = {}
        self.rows_placed = 0  # rows whose place was computed: what tests count, where a page's cost shows

    def page(
        self, db: sqlite3.Connection, procedure: Procedure, where: str, binds: dict, offset: int, limit: int
    ) -> Page:
        order = self._order(db, procedure, where, binds)
        wanted = order.identities(offset, offset + limit)
        if not wanted:
            return Page([], False)
        keys = {identity[0] for identity in wanted}
        names = {f"key{n}": key for n, key in enumerate(keys)}
        rows = _select(
            db,
            f"SELECT * FROM ({procedure.sql}) WHERE ROW_KEY IN ({', '.join(':' + n for n in names)})",
            {**binds, **names},
        )
        by_identity = {_identity(row, procedure): row for row in rows}
        return Page(
            [render(by_identity[identity], procedure.dates) for identity in wanted], len(order) > offset + limit
        )

    def _order(self, db: sqlite3.Connection, procedure: Procedure, where: str, binds: dict) -> "_Placed":
        if db.total_changes != self._changes:
            self._orders.clear()
            self._changes = db.total_changes
        window = (procedure, where, *sorted((k, v) for k, v in binds.items() if k not in ("limit", "offset", "now")))
        if window not in self._orders:
            columns = ", ".join(("ROW_KEY", *procedure.distinct_by))
            placed = db.execute(
                f"SELECT {columns} FROM ({procedure.sql}) WHERE {where} ORDER BY {procedure.order}, {columns}", binds
            ).fetchall()
            self.rows_placed += len(placed)
            while len(self._orders) >= self.KEPT:
                del self._orders[next(iter(self._orders))]
            self._orders[window] = _Placed(placed)
        return self._orders[window]


class _Placed:
    """A window's rows in order, told apart by their identities (ROW_KEY and `distinct_by`), kept a column each, ids
    packed 8 bytes each: a window of a million rows is kept in tens of megabytes, not as a million tuples."""

    def __init__(self, rows: list[tuple]):
        self.columns = [_packed(column) for column in zip(*rows, strict=True)] or [array("q")]

    def __len__(self) -> int:
        return len(self.columns[0])

    def identities(self, start: int, stop: int) -> list[tuple]:
        return list(zip(*(column[start:stop] for column in self.columns), strict=True))


def _cell(value: object) -> object:
    # A site without an account site has no CUST_ACCT_SITE_ID (the LEFT JOIN's NULL), and then it is the only row of
    # its ROW_KEY: -1 stands for the NULL without meeting a real id of the same ROW_KEY.
    return -1 if value is None else value


def _packed(values: tuple) -> "array[int] | list":
    cells = [_cell(value) for value in values]
    try:
        return array("q", cells)
    except (TypeError, OverflowError):  # a text id an administrator inserted: kept as it is
        return cells


def _identity(row: dict, procedure: Procedure) -> tuple:
    return tuple(_cell(row[column]) for column in ("ROW_KEY", *procedure.distinct_by))


def paging(params: dict) -> tuple[int, int]:
    offset, limit = _number(params, "P_OFFSET", 0), _number(params, "P_LIMIT", 100)
    if offset < 0:
        raise InputError("P_OFFSET must be 0 or more")
    if not 1 <= limit <= MAX_LIMIT:
        raise InputError(f"P_LIMIT must be between 1 and {MAX_LIMIT}")
    return offset, limit


def id_list(params: dict, name: str, most: int) -> list[str]:
    """The items of a comma-separated list parameter, at most `most` of them."""
    items = [item.strip() for item in str(params.get(name) or "").split(",") if item.strip()]
    if len(items) > most:
        raise InputError(f"{name} holds {len(items)} ids; at most {most}")
    return items


def chart_of(db: sqlite3.Connection, params: dict) -> int | None:
    """The chart of accounts of P_LEDGER_ID, or None when it is not given."""
    if params.get("P_LEDGER_ID") in (None, ""):
        return None
    ledger = _number(params, "P_LEDGER_ID", 0)
    found = db.execute("SELECT CHART_OF_ACCOUNTS_ID FROM GL_LEDGERS WHERE LEDGER_ID = ?", (ledger,)).fetchone()
    if found is None:
        raise InputError(f"P_LEDGER_ID {ledger} is not a ledger")
    return found[0]


def render(row: dict, dates: tuple[str, ...]) -> dict:
    out = {}
    for name, value in row.items():
        if name in ("STAMP", "ENDS", "ROW_KEY", "FILTER_ID"):
            continue
        if value is None or value == "":
            out[name] = None
        elif name in dates:
            out[name] = value.replace(" ", "T")
        else:
            out[name] = str(value)
    return out


def _number(params: dict, name: str, default: int) -> int:
    value = params.get(name)
    if value in (None, ""):
        return default
    try:
        return int(str(value))
    except ValueError:
        raise InputError(f"{name} must be a number, got {value!r}") from None


def _date(params: dict, name: str, ids_param: str) -> str:
    value = params.get(name)
    if not value:
        raise InputError(f"{name} is required unless {ids_param} is given")
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{name} must be an ISO date-time YYYY-MM-DDTHH:MM:SS, got {value!r}") from None
    return _server(moment)


def _server(moment: datetime) -> str:
    """The sandbox database runs on UTC; a zoned input is converted, a plain one is taken as server time."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%d %H:%M:%S")
