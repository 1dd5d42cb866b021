"""GET_JOURNALS and POST_JOURNALS of XXMLC_SYNC_PKG over the seeded GL tables, doing what the package body does
(docs/contributors/oracle_ebs_service_contract.md): each journal on its own, its reference checked first, then the
checks Journal Import (GLLEZL) makes, then the import into GL_JE_BATCHES / GL_JE_HEADERS / GL_JE_LINES.

The reference is the caller's idempotency key. Journal Import copies REFERENCE6 to GL_JE_HEADERS.EXTERNAL_REFERENCE,
which holds 80 characters (a column width recalled from the EBS data model, not confirmed here), so the package also
puts the whole reference (up to 240) in REFERENCE21, which Journal Import copies to each GL_JE_LINES.REFERENCE_1: a
journal is found by its header's EXTERNAL_REFERENCE and a line's REFERENCE_1.

Error codes are Journal Import's, as its documentation lists them (EP01 date not in an open or future-enterable
period, EU02 unbalanced without suspense posting, EF01 account inactive on the date, EF02 detail posting not allowed,
EF03 disabled account, EF04 invalid combination, EF05 no such CODE_COMBINATION_ID, EC06 no conversion rate, EC08
invalid currency). Journal Import has no code for an unknown source or category (it stops the whole run), nor for
input the package cannot read; those are the package's own, EMLC_*, starting with E like every refusal, so a row
whose STATUS starts with E is a refused one.
"""

import re
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from ml_connector_dagster.sandbox.oracle_ebs.chart import GL_APPLICATION_ID
from ml_connector_dagster.sandbox.oracle_ebs.procedures import (
    SEGMENTS,
    InputError,
    Page,
    id_list,
    paging,
    render,
)

METHODS = ("GET_JOURNALS", "POST_JOURNALS")
MAX_JOURNALS = 100
MAX_REFERENCES = 100
REFERENCE_LENGTH = 240
EXTERNAL_REFERENCE_LENGTH = 80
CONVERSION_TYPE = "Corporate"
FIRST_IDS = {"GL_JE_BATCHES": 81001, "GL_JE_HEADERS": 412001}
OPEN_STATUSES = {"O": "Open", "F": "Future-Entry"}
CLOSING_STATUSES = {"C": "Closed", "N": "Never Opened", "P": "Permanently Closed", "W": "Close Pending"}
_SEGMENT_NAMES = [f"SEGMENT{n}" for n in range(1, SEGMENTS + 1)]


class Refused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class Line:
    segments: dict[str, str | None]
    ccid: int | None
    dr: Decimal | None
    cr: Decimal | None
    description: str | None


@dataclass
class Journal:
    reference: str
    source: str
    category: str
    accounting_date: date
    currency: str
    name: str | None
    description: str | None
    batch_name: str | None
    lines: list[Line]
    # what the checks found
    period: str | None = None
    rate: Decimal = Decimal(1)
    ccids: list[int] = field(default_factory=list)


def items(table: object, item_key: str) -> list:
    """A PL/SQL table as ISG passes it: `{ITEM: [...]}`, `{ITEM: {...}}` for one row, or null."""
    if not table:
        return []
    found = table.get(item_key, []) if isinstance(table, dict) else table
    return [found] if isinstance(found, dict) else list(found or [])


def one_or_many(rows: list[dict], item_key: str) -> dict | None:
    """A PL/SQL table as the emulator renders it: a bare object for one row (see emulator._invoke), null for none."""
    if not rows:
        return None
    return {item_key: rows[0] if len(rows) == 1 else rows}


# POST_JOURNALS --------------------------------------------------------------------------------------------------
def post(db: sqlite3.Connection, params: dict, *, now: datetime, user_id: int) -> list[dict]:
    """The X_RESULTS items, one per journal, in order. Commits what it imported and what it refused."""
    ledger = _ledger(db, params.get("P_LEDGER_ID"))
    journals = items(params.get("P_JOURNALS"), "P_JOURNALS_ITEM")
    if not journals:
        raise InputError("P_JOURNALS holds no journal")
    if len(journals) > MAX_JOURNALS:
        raise InputError(f"P_JOURNALS holds {len(journals)} journals; at most {MAX_JOURNALS} a call")
    run = _ImportRun(db, ledger, now, user_id)
    seen: set[str] = set()
    results = [_post_one(db, ledger, given, seen, run) for given in journals]
    db.commit()
    return results


def _post_one(db: sqlite3.Connection, ledger: dict, given: dict, seen: set[str], run: "_ImportRun") -> dict:
    reference = str(given.get("REFERENCE") or "").strip() if isinstance(given, dict) else ""
    try:
        journal = _parse(given, reference)
        if reference in seen:
            raise Refused("EMLC_INPUT", "REFERENCE appears twice in this call")
    except Refused as refused:
        return _result(reference, "E", code=refused.code, message=refused.message)
    seen.add(reference)
    existing = _existing(db, ledger["LEDGER_ID"], reference)
    if existing is not None:
        je_header_id, where = existing
        return _result(reference, "D", je_header_id=je_header_id, message=where)
    # A journal refused before and posted again replaces its refused rows (they were the package's).
    db.execute(
        "DELETE FROM GL_INTERFACE WHERE LEDGER_ID = ? AND REFERENCE21 = ? AND REFERENCE6 = ? AND STATUS LIKE 'E%'",
        (ledger["LEDGER_ID"], reference, reference[:EXTERNAL_REFERENCE_LENGTH]),
    )
    try:
        _check(db, ledger, journal)
    except Refused as refused:
        run.refuse(journal, refused)
        return _result(reference, "E", code=refused.code, message=refused.message)
    return _result(reference, "S", je_header_id=run.import_journal(journal))


def _result(reference: str, status: str, *, je_header_id=None, code=None, message=None) -> dict:
    return {
        "REFERENCE": reference or None,
        "STATUS": status,
        "JE_HEADER_ID": str(je_header_id) if je_header_id is not None else None,
        "ERROR_CODE": code,
        "MESSAGE": message,
    }


def _ledger(db: sqlite3.Connection, value: object) -> dict:
    if value in (None, "") or not str(value).strip().isdigit():
        raise InputError("P_LEDGER_ID must be a ledger id")
    cursor = db.execute("SELECT * FROM GL_LEDGERS WHERE LEDGER_ID = ?", (int(str(value)),))
    row = cursor.fetchone()
    if row is None:
        raise InputError(f"P_LEDGER_ID {value} is not a ledger")
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


def _text(value: object, name: str, length: int, *, required: bool = False) -> str | None:
    text = str(value).strip() if value not in (None, "") else None
    if text is None and required:
        raise Refused("EMLC_INPUT", f"{name} is required")
    if text is not None and len(text) > length:
        raise Refused("EMLC_INPUT", f"{name} is longer than {length} characters")
    return text


def _amount(value: object, name: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise Refused("EMLC_INPUT", f"{name} {value!r} is not a number") from None
    if not amount.is_finite():
        raise Refused("EMLC_INPUT", f"{name} {value!r} is not a number")
    return amount


def _parse(given: object, reference: str) -> Journal:
    """What the package reads of one P_JOURNALS item; every field arrives as text and is parsed here, so a bad value
    refuses its journal, not the call."""
    if not isinstance(given, dict):
        raise Refused("EMLC_INPUT", "a P_JOURNALS item is not a record")
    _text(reference, "REFERENCE", REFERENCE_LENGTH, required=True)
    if "," in reference:
        raise Refused("EMLC_INPUT", "REFERENCE must not contain a comma (GET_JOURNALS takes a comma-separated list)")
    raw_date = _text(given.get("ACCOUNTING_DATE"), "ACCOUNTING_DATE", 30, required=True)
    try:
        accounting_date = date.fromisoformat(raw_date[:10])
    except ValueError:
        raise Refused("EMLC_INPUT", f"ACCOUNTING_DATE {raw_date!r} is not a date YYYY-MM-DD") from None
    lines = []
    for number, line in enumerate(items(given.get("LINES"), "LINES_ITEM"), start=1):
        if not isinstance(line, dict):
            raise Refused("EMLC_INPUT", f"line {number} is not a record")
        ccid = line.get("CODE_COMBINATION_ID")
        if ccid not in (None, "") and not str(ccid).strip().isdigit():
            raise Refused("EMLC_INPUT", f"line {number}: CODE_COMBINATION_ID {ccid!r} is not an id")
        dr, cr = (
            _amount(line.get("ENTERED_DR"), f"line {number} ENTERED_DR"),
            _amount(line.get("ENTERED_CR"), f"line {number} ENTERED_CR"),
        )
        if dr is None and cr is None:
            raise Refused("EMLC_INPUT", f"line {number} has neither ENTERED_DR nor ENTERED_CR")
        segments = {name: _text(line.get(name), f"line {number} {name}", 25) for name in _SEGMENT_NAMES}
        if not str(ccid or "").strip() and not any(segments.values()):
            raise Refused("EMLC_INPUT", f"line {number} names no account (CODE_COMBINATION_ID or segments)")
        lines.append(
            Line(
                segments,
                int(str(ccid)) if str(ccid or "").strip() else None,
                dr,
                cr,
                _text(line.get("DESCRIPTION"), f"line {number} DESCRIPTION", 240),
            )
        )
    if not lines:
        raise Refused("EMLC_INPUT", "the journal has no lines")
    return Journal(
        reference=reference,
        source=_text(given.get("USER_JE_SOURCE_NAME"), "USER_JE_SOURCE_NAME", 25, required=True),
        category=_text(given.get("USER_JE_CATEGORY_NAME"), "USER_JE_CATEGORY_NAME", 25, required=True),
        accounting_date=accounting_date,
        currency=_text(given.get("CURRENCY_CODE"), "CURRENCY_CODE", 15, required=True),
        name=_text(given.get("JOURNAL_NAME"), "JOURNAL_NAME", 100),
        description=_text(given.get("JOURNAL_DESCRIPTION"), "JOURNAL_DESCRIPTION", 240),
        batch_name=_text(given.get("BATCH_NAME"), "BATCH_NAME", 100),
        lines=lines,
    )


def _existing(db: sqlite3.Connection, ledger_id: int, reference: str) -> tuple[int | None, str] | None:
    """(JE_HEADER_ID or None, where) of the journal first imported under the reference (a reversal made later may
    copy its references), or of one still waiting for Journal Import in GL_INTERFACE (any STATUS but a refusal);
    None when there is none."""
    imported = db.execute(
        """SELECT h.JE_HEADER_ID, h.NAME FROM GL_JE_HEADERS h
           WHERE h.LEDGER_ID = ? AND h.EXTERNAL_REFERENCE = ?
             AND EXISTS (SELECT 1 FROM GL_JE_LINES l WHERE l.JE_HEADER_ID = h.JE_HEADER_ID AND l.REFERENCE_1 = ?)
           ORDER BY h.JE_HEADER_ID LIMIT 1""",
        (ledger_id, reference[:EXTERNAL_REFERENCE_LENGTH], reference),
    ).fetchone()
    if imported:
        return imported[0], f"imported before as journal {imported[0]} ({imported[1]})"
    waiting = db.execute(  # the latest group's rows: the journal as it was last sent
        """SELECT MAX(GROUP_ID), STATUS FROM GL_INTERFACE WHERE LEDGER_ID = ? AND REFERENCE21 = ? AND REFERENCE6 = ?
           GROUP BY STATUS ORDER BY MAX(GROUP_ID) DESC LIMIT 1""",
        (ledger_id, reference, reference[:EXTERNAL_REFERENCE_LENGTH]),
    ).fetchone()
    if waiting and waiting[1] and not waiting[1].startswith("E"):
        return None, f"waiting in GL_INTERFACE (GROUP_ID {waiting[0]}) for Journal Import"
    return None


def _check(db: sqlite3.Connection, ledger: dict, journal: Journal) -> None:
    """Journal Import's checks, first failure first; fills in the period, the rate and the combinations."""
    if not db.execute("SELECT 1 FROM GL_JE_SOURCES_TL WHERE USER_JE_SOURCE_NAME = ?", (journal.source,)).fetchone():
        raise Refused("EMLC_SOURCE", f"journal source {journal.source!r} is not defined in General Ledger")
    if not db.execute(
        "SELECT 1 FROM GL_JE_CATEGORIES_TL WHERE USER_JE_CATEGORY_NAME = ?", (journal.category,)
    ).fetchone():
        raise Refused("EMLC_CATEGORY", f"journal category {journal.category!r} is not defined in General Ledger")
    if not re.fullmatch(r"[A-Z]{3}", journal.currency):
        raise Refused("EC08", f"invalid currency {journal.currency!r}")
    if journal.currency != ledger["CURRENCY_CODE"]:
        rate = db.execute(
            """SELECT CONVERSION_RATE FROM GL_DAILY_RATES WHERE FROM_CURRENCY = ? AND TO_CURRENCY = ?
               AND date(CONVERSION_DATE) = ? AND CONVERSION_TYPE = ?""",
            (journal.currency, ledger["CURRENCY_CODE"], journal.accounting_date.isoformat(), CONVERSION_TYPE),
        ).fetchone()
        if rate is None:
            raise Refused(
                "EC06",
                f"no {CONVERSION_TYPE} rate from {journal.currency} to {ledger['CURRENCY_CODE']} on "
                f"{journal.accounting_date}",
            )
        journal.rate = Decimal(str(rate[0]))
    journal.period = _open_period(db, ledger, journal.accounting_date)
    journal.ccids = [_account(db, ledger, journal.accounting_date, n, line) for n, line in enumerate(journal.lines, 1)]
    debits = sum((line.dr or Decimal(0) for line in journal.lines), Decimal(0))
    credits = sum((line.cr or Decimal(0) for line in journal.lines), Decimal(0))
    if debits != credits:
        raise Refused("EU02", f"the journal is unbalanced: debits {debits}, credits {credits}")


def _open_period(db: sqlite3.Connection, ledger: dict, day: date) -> str:
    found = db.execute(
        """SELECT PERIOD_NAME, CLOSING_STATUS FROM GL_PERIOD_STATUSES WHERE APPLICATION_ID = ? AND LEDGER_ID = ?
           AND ADJUSTMENT_PERIOD_FLAG = 'N' AND date(START_DATE) <= ? AND date(END_DATE) >= ?""",
        (GL_APPLICATION_ID, ledger["LEDGER_ID"], day.isoformat(), day.isoformat()),
    ).fetchone()
    if found is None:
        raise Refused("EP01", f"{day} is in no period of ledger {ledger['NAME']}")
    name, status = found
    if status not in OPEN_STATUSES:
        raise Refused(
            "EP01",
            f"{day} is in period {name}, which is {CLOSING_STATUSES.get(status, status)} for ledger "
            f"{ledger['NAME']}: only an Open or Future-Entry period takes journals",
        )
    return name


def _account(db: sqlite3.Connection, ledger: dict, day: date, number: int, line: Line) -> int:
    cursor = db.execute(
        "SELECT * FROM GL_CODE_COMBINATIONS WHERE CHART_OF_ACCOUNTS_ID = ? AND "
        + (
            "CODE_COMBINATION_ID = ?"
            if line.ccid is not None
            else " AND ".join(f"{name} IS ?" for name in _SEGMENT_NAMES) + " AND SEGMENT11 IS NULL"
        ),
        (ledger["CHART_OF_ACCOUNTS_ID"], line.ccid)
        if line.ccid is not None
        else (ledger["CHART_OF_ACCOUNTS_ID"], *line.segments.values()),
    )
    row = cursor.fetchone()
    account = line.ccid if line.ccid is not None else "-".join(v for v in line.segments.values() if v)
    if row is None:
        if line.ccid is not None:
            raise Refused("EF05", f"line {number}: no account with CODE_COMBINATION_ID {line.ccid}")
        raise Refused("EF04", f"line {number}: {account} is not a combination of the chart (create it in GL first)")
    found = dict(zip([d[0] for d in cursor.description], row, strict=True))
    if found["ENABLED_FLAG"] != "Y":
        raise Refused("EF03", f"line {number}: account {account} is disabled")
    if found["SUMMARY_FLAG"] == "Y" or found["DETAIL_POSTING_ALLOWED_FLAG"] != "Y":
        raise Refused("EF02", f"line {number}: detail posting is not allowed to account {account}")
    starts, ends = found["START_DATE_ACTIVE"], found["END_DATE_ACTIVE"]
    if (starts and starts[:10] > day.isoformat()) or (ends and ends[:10] < day.isoformat()):
        raise Refused("EF01", f"line {number}: account {account} is not active on {day}")
    return found["CODE_COMBINATION_ID"]


class _ImportRun:
    """One call's Journal Import: its group in GL_INTERFACE, the batches it makes (one per batch name and period,
    as Journal Import groups them), and the group its refused journals stay in."""

    def __init__(self, db: sqlite3.Connection, ledger: dict, now: datetime, user_id: int):
        self.db, self.ledger, self.user_id = db, ledger, user_id
        self.now = now.strftime("%Y-%m-%d %H:%M:%S")
        self._groups: dict[str, int] = {}
        self._batches: dict[tuple[str | None, str], int] = {}

    def group(self, kind: str) -> int:
        """GL_INTERFACE_CONTROL_S.NEXTVAL, once per kind (imported, refused) and call."""
        if kind not in self._groups:
            self._groups[kind] = 1 + max(
                self.db.execute("SELECT COALESCE(MAX(GROUP_ID), 0) FROM GL_INTERFACE").fetchone()[0],
                self.db.execute("SELECT COALESCE(MAX(GROUP_ID), 0) FROM GL_JE_BATCHES").fetchone()[0],
                *self._groups.values(),
            )
        return self._groups[kind]

    def refuse(self, journal: Journal, refused: Refused) -> None:
        """The rows stay in GL_INTERFACE, in a group of their own (Journal Import never runs it), with the code."""
        for number, line in enumerate(journal.lines, start=1):
            self._interface_row(journal, number, line, refused, self.group("refused"))

    def import_journal(self, journal: Journal) -> int:
        """Journal Import of one journal into its batch: its GL_INTERFACE rows are imported and deleted at once."""
        batch_id = self._batch(journal)
        header_id = _next(self.db, "GL_JE_HEADERS", "JE_HEADER_ID")
        taken = {row[0] for row in self.db.execute("SELECT NAME FROM GL_JE_HEADERS WHERE JE_BATCH_ID = ?", (batch_id,))}
        # Journal Import names a journal with the first 25 characters of REFERENCE4 before its category and
        # currency; the suffix keeping names unique in a batch is a guess at what it does.
        name = " ".join(
            part for part in (journal.name and journal.name[:25], journal.category, journal.currency) if part
        )
        unique, n = name, 1
        while unique in taken:
            n += 1
            unique = f"{name} {n}"
        debits = sum((line.dr or Decimal(0) for line in journal.lines), Decimal(0))
        foreign = journal.currency != self.ledger["CURRENCY_CODE"]
        self._insert(
            "GL_JE_HEADERS",
            JE_HEADER_ID=header_id,
            JE_BATCH_ID=batch_id,
            LEDGER_ID=self.ledger["LEDGER_ID"],
            JE_SOURCE=self._name("GL_JE_SOURCES_TL", "JE_SOURCE_NAME", "USER_JE_SOURCE_NAME", journal.source),
            JE_CATEGORY=self._name(
                "GL_JE_CATEGORIES_TL", "JE_CATEGORY_NAME", "USER_JE_CATEGORY_NAME", journal.category
            ),
            PERIOD_NAME=journal.period,
            NAME=unique,
            DESCRIPTION=journal.description or f"Journal Import {journal.source} {self.group('imported')}",
            CURRENCY_CODE=journal.currency,
            STATUS="U",
            ACTUAL_FLAG="A",
            DEFAULT_EFFECTIVE_DATE=f"{journal.accounting_date} 00:00:00",
            EXTERNAL_REFERENCE=journal.reference[:EXTERNAL_REFERENCE_LENGTH],
            CURRENCY_CONVERSION_TYPE=CONVERSION_TYPE if foreign else None,
            CURRENCY_CONVERSION_RATE=str(journal.rate),
            RUNNING_TOTAL_DR=str(debits),
            RUNNING_TOTAL_CR=str(debits),
            RUNNING_TOTAL_ACCOUNTED_DR=str(_accounted(debits, journal.rate)),
            RUNNING_TOTAL_ACCOUNTED_CR=str(_accounted(debits, journal.rate)),
            POSTED_DATE=None,
            CREATED_BY=self.user_id,
            CREATION_DATE=self.now,
            LAST_UPDATE_DATE=self.now,
        )
        for number, (line, ccid) in enumerate(zip(journal.lines, journal.ccids, strict=True), start=1):
            self._insert(
                "GL_JE_LINES",
                JE_HEADER_ID=header_id,
                JE_LINE_NUM=number,
                LEDGER_ID=self.ledger["LEDGER_ID"],
                CODE_COMBINATION_ID=ccid,
                PERIOD_NAME=journal.period,
                EFFECTIVE_DATE=f"{journal.accounting_date} 00:00:00",
                STATUS="U",
                ENTERED_DR=_number(line.dr),
                ENTERED_CR=_number(line.cr),
                ACCOUNTED_DR=_number(line.dr and _accounted(line.dr, journal.rate)),
                ACCOUNTED_CR=_number(line.cr and _accounted(line.cr, journal.rate)),
                DESCRIPTION=line.description,
                REFERENCE_1=journal.reference,
                CREATION_DATE=self.now,
                LAST_UPDATE_DATE=self.now,
            )
        self.db.execute(
            "UPDATE GL_JE_BATCHES SET RUNNING_TOTAL_DR = RUNNING_TOTAL_DR + ?, RUNNING_TOTAL_CR = RUNNING_TOTAL_CR + ? "
            "WHERE JE_BATCH_ID = ?",
            (str(debits), str(debits), batch_id),
        )
        return header_id

    def _batch(self, journal: Journal) -> int:
        key = (journal.batch_name, journal.period)
        if key not in self._batches:
            group = self.group("imported")
            batch_id = _next(self.db, "GL_JE_BATCHES", "JE_BATCH_ID")
            # Journal Import's batch name: the first 50 characters of REFERENCE1, then the source, its request id
            # (which the sandbox has not), the balance type and the group.
            name = " ".join(
                part for part in (journal.batch_name and journal.batch_name[:50], journal.source, f"A {group}") if part
            )
            self._insert(
                "GL_JE_BATCHES",
                JE_BATCH_ID=batch_id,
                NAME=name,
                STATUS="U",
                ACTUAL_FLAG="A",
                DEFAULT_PERIOD_NAME=journal.period,
                DESCRIPTION=f"Journal Import {journal.source} {group}",
                GROUP_ID=group,
                RUNNING_TOTAL_DR=0,
                RUNNING_TOTAL_CR=0,
                CREATED_BY=self.user_id,
                CREATION_DATE=self.now,
                LAST_UPDATE_DATE=self.now,
            )
            self._batches[key] = batch_id
        return self._batches[key]

    def _name(self, table: str, column: str, user_column: str, user_name: str) -> str:
        return self.db.execute(f"SELECT {column} FROM {table} WHERE {user_column} = ?", (user_name,)).fetchone()[0]

    def _interface_row(self, journal: Journal, number: int, line: Line, refused: Refused, group: int) -> None:
        """A refused line as the package leaves it; REFERENCE22 keeps its place in the journal."""
        self._insert(
            "GL_INTERFACE",
            STATUS=refused.code,
            STATUS_DESCRIPTION=refused.message[:240],
            LEDGER_ID=self.ledger["LEDGER_ID"],
            SET_OF_BOOKS_ID=self.ledger["LEDGER_ID"],
            ACCOUNTING_DATE=f"{journal.accounting_date} 00:00:00",
            CURRENCY_CODE=journal.currency,
            DATE_CREATED=self.now,
            CREATED_BY=self.user_id,
            ACTUAL_FLAG="A",
            USER_JE_SOURCE_NAME=journal.source,
            USER_JE_CATEGORY_NAME=journal.category,
            PERIOD_NAME=journal.period,
            ENTERED_DR=_number(line.dr),
            ENTERED_CR=_number(line.cr),
            CODE_COMBINATION_ID=line.ccid,
            **line.segments,
            GROUP_ID=group,
            REFERENCE1=journal.batch_name,
            REFERENCE4=journal.name,
            REFERENCE5=journal.description,
            REFERENCE6=journal.reference[:EXTERNAL_REFERENCE_LENGTH],
            REFERENCE10=line.description,
            REFERENCE21=journal.reference,
            REFERENCE22=str(number),
        )

    def _insert(self, table: str, **row) -> None:
        self.db.execute(
            f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values())
        )


def _next(db: sqlite3.Connection, table: str, key: str) -> int:
    """The next id of a GL sequence (GL_JE_BATCHES_S, GL_JE_HEADERS_S), from ids of a ledger's size."""
    return db.execute(f"SELECT COALESCE(MAX({key}), ?) + 1 FROM {table}", (FIRST_IDS[table] - 1,)).fetchone()[0]


def _accounted(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount * rate).quantize(Decimal("0.01"))


def _number(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


# GET_JOURNALS ---------------------------------------------------------------------------------------------------
def read(db: sqlite3.Connection, params: dict) -> Page:
    """The journals of the references listed (P_REFERENCES) or starting with one of P_REFERENCE_PREFIXES, one row
    each, ordered by reference and paged: the imported journal if there is one, else its rows in GL_INTERFACE."""
    offset, limit = paging(params)
    references = id_list(params, "P_REFERENCES", MAX_REFERENCES)
    prefixes = id_list(params, "P_REFERENCE_PREFIXES", MAX_REFERENCES)
    if references and prefixes:
        raise InputError("Give P_REFERENCES or P_REFERENCE_PREFIXES, not both")
    if not references and not prefixes:
        raise InputError("P_REFERENCES or P_REFERENCE_PREFIXES is required")
    ledger = params.get("P_LEDGER_ID")
    if ledger not in (None, ""):
        ledger = _ledger(db, ledger)["LEDGER_ID"]
    else:
        ledger = None
    names = [f"r{n}" for n in range(len(references))]
    starts = [f"p{n}" for n in range(len(prefixes))]
    chosen = (
        f"REFERENCE IN ({', '.join(':' + n for n in names)})"
        if references
        else " OR ".join(f"substr(REFERENCE, 1, length(:{n})) = :{n}" for n in starts)
    )
    found = [
        row[0]
        for row in db.execute(
            f"""SELECT REFERENCE FROM (
                  SELECT l.REFERENCE_1 AS REFERENCE FROM GL_JE_HEADERS h JOIN GL_JE_LINES l
                    ON l.JE_HEADER_ID = h.JE_HEADER_ID AND h.EXTERNAL_REFERENCE = substr(l.REFERENCE_1, 1, :width)
                   WHERE :ledger IS NULL OR h.LEDGER_ID = :ledger
                  UNION
                  SELECT REFERENCE21 FROM GL_INTERFACE WHERE REFERENCE6 = substr(REFERENCE21, 1, :width)
                     AND (:ledger IS NULL OR LEDGER_ID = :ledger))
                WHERE {chosen} ORDER BY REFERENCE LIMIT :limit OFFSET :offset""",
            {
                **dict(zip(names, references, strict=True)),
                **dict(zip(starts, prefixes, strict=True)),
                "ledger": ledger,
                "width": EXTERNAL_REFERENCE_LENGTH,
                "limit": limit + 1,
                "offset": offset,
            },
        )
    ]
    rows = [_journal_row(db, reference, ledger) for reference in found[:limit]]
    return Page(rows, len(found) > limit)


def _journal_row(db: sqlite3.Connection, reference: str, ledger: int | None) -> dict:
    header = db.execute(
        """SELECT h.JE_HEADER_ID, h.STATUS, h.PERIOD_NAME, h.CURRENCY_CODE FROM GL_JE_HEADERS h
           WHERE (:ledger IS NULL OR h.LEDGER_ID = :ledger) AND h.EXTERNAL_REFERENCE = substr(:ref, 1, :width)
             AND EXISTS (SELECT 1 FROM GL_JE_LINES l WHERE l.JE_HEADER_ID = h.JE_HEADER_ID AND l.REFERENCE_1 = :ref)
           ORDER BY h.JE_HEADER_ID LIMIT 1""",
        {"ledger": ledger, "ref": reference, "width": EXTERNAL_REFERENCE_LENGTH},
    ).fetchone()
    segments = ", ".join(f"cc.{name}" for name in _SEGMENT_NAMES)
    if header:
        je_header_id, status, period, currency = header
        lines = _rows(
            db,
            f"""SELECT l.CODE_COMBINATION_ID, {segments}, l.ENTERED_DR, l.ENTERED_CR, l.DESCRIPTION
                FROM GL_JE_LINES l LEFT JOIN GL_CODE_COMBINATIONS cc ON cc.CODE_COMBINATION_ID = l.CODE_COMBINATION_ID
                WHERE l.JE_HEADER_ID = ? ORDER BY l.JE_LINE_NUM""",
            (je_header_id,),
        )
        row = {
            "REFERENCE": reference,
            "JE_HEADER_ID": je_header_id,
            "STATUS": "POSTED" if status == "P" else "UNPOSTED",
            "MESSAGE": None,
            "PERIOD_NAME": period,
            "CURRENCY_CODE": currency,
        }
    else:
        interface = ", ".join(f"i.{name}" for name in _SEGMENT_NAMES)
        lines = _rows(
            db,
            f"""SELECT i.CODE_COMBINATION_ID, {interface}, i.ENTERED_DR, i.ENTERED_CR, i.REFERENCE10 AS DESCRIPTION,
                       i.STATUS, i.STATUS_DESCRIPTION, i.PERIOD_NAME, i.CURRENCY_CODE, i.GROUP_ID
                FROM GL_INTERFACE i WHERE i.REFERENCE21 = ? AND i.REFERENCE6 = ? AND (? IS NULL OR i.LEDGER_ID = ?)
                ORDER BY i.GROUP_ID DESC, CAST(i.REFERENCE22 AS INTEGER)""",
            (reference, reference[:EXTERNAL_REFERENCE_LENGTH], ledger, ledger),
        )
        first = lines[0]  # the latest group's rows: the journal as it was last sent
        lines = [line for line in lines if line["GROUP_ID"] == first["GROUP_ID"]]
        row = {
            "REFERENCE": reference,
            "JE_HEADER_ID": None,
            "STATUS": first["STATUS"],
            "MESSAGE": first["STATUS_DESCRIPTION"],
            "PERIOD_NAME": first["PERIOD_NAME"],
            "CURRENCY_CODE": first["CURRENCY_CODE"],
        }
        for line in lines:
            for name in ("STATUS", "STATUS_DESCRIPTION", "PERIOD_NAME", "CURRENCY_CODE", "GROUP_ID"):
                del line[name]
    rendered = render(row, ())
    rendered["LINES"] = one_or_many([render(line, ()) for line in lines], "LINES_ITEM")
    return rendered


def _rows(db: sqlite3.Connection, sql: str, binds: tuple) -> list[dict]:
    cursor = db.execute(sql, binds)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
