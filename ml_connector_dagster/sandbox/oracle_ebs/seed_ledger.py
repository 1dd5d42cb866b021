"""Deterministic seed of the general ledger (chart.py): the ledger, its chart's segments and value descriptions,
its calendar, the journal sources and categories, and the code combinations the purchase orders (seed_purchasing.py)
charge. Most setup predates the seeded days, as a ledger's does at go-live; some combinations were changed or disabled
during them, and one ends on a seeded day without an edit (a window must return it, as GET_VENDORS does for a
supplier's end date).
"""

import random
import sqlite3
from datetime import date, datetime, timedelta

from ml_connector_dagster.sandbox.oracle_ebs import chart

Combination = tuple[str, str, str, str]  # SEGMENT1..SEGMENT4
FIRST_CCID, FIRST_FLEX_VALUE_ID = 13001, 70001


class Stamps:
    """Change stamps: on a seeded day, or months before the first one (go-live data)."""

    def __init__(self, rng: random.Random, first_day: datetime, days: int):
        self.rng, self.first_day, self.days = rng, first_day, days

    def on(self, day: int, earliest_hour: int = 0, latest_hour: int = 24) -> datetime:
        seconds = self.rng.randrange(earliest_hour * 3600, latest_hour * 3600)
        return self.first_day + timedelta(days=day, seconds=seconds)

    def recent(self) -> datetime:
        return self.on(self.rng.randrange(self.days))

    def go_live(self, earliest_days: int = 60, latest_days: int = 900) -> datetime:
        return self.first_day - timedelta(days=self.rng.randrange(earliest_days, latest_days), hours=9)


def insert(db: sqlite3.Connection, table: str, **row) -> None:
    db.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))


def text(moment: datetime | date | None) -> str | None:
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, datetime.min.time())
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def seed_ledger(db: sqlite3.Connection, stamps: Stamps) -> dict[Combination, int]:
    setup = text(stamps.first_day - timedelta(days=1200))
    insert(
        db,
        "GL_LEDGERS",
        LEDGER_ID=chart.LEDGER_ID,
        NAME=chart.LEDGER_NAME,
        SHORT_NAME="VC US",
        DESCRIPTION=chart.LEDGER_NAME,
        LEDGER_CATEGORY_CODE="PRIMARY",
        CHART_OF_ACCOUNTS_ID=chart.CHART_ID,
        CURRENCY_CODE=chart.CURRENCY,
        PERIOD_SET_NAME=chart.PERIOD_SET,
        ACCOUNTED_PERIOD_TYPE="Month",
        SUSPENSE_ALLOWED_FLAG="N",  # so Journal Import refuses an unbalanced journal (EU02) rather than balance it
        CREATION_DATE=setup,
        LAST_UPDATE_DATE=setup,
    )
    _segments(db, setup)
    _periods(db, stamps.first_day.date(), setup)
    _sources_and_categories(db, setup)
    return _combinations(db, stamps)


def _segments(db: sqlite3.Connection, setup: str) -> None:
    flex_value_id = FIRST_FLEX_VALUE_ID
    for number, segment in enumerate(chart.SEGMENTS, start=1):
        insert(
            db,
            "FND_ID_FLEX_SEGMENTS",
            APPLICATION_ID=chart.GL_APPLICATION_ID,
            ID_FLEX_CODE="GL#",
            ID_FLEX_NUM=chart.CHART_ID,
            APPLICATION_COLUMN_NAME=segment.column,
            SEGMENT_NAME=segment.name,
            SEGMENT_NUM=number,
            FLEX_VALUE_SET_ID=segment.value_set_id,
            ENABLED_FLAG="Y",
            DISPLAY_FLAG="Y",
            LAST_UPDATE_DATE=setup,
        )
        for value, description in segment.values.items():
            insert(
                db,
                "FND_FLEX_VALUES_VL",
                FLEX_VALUE_ID=flex_value_id,
                FLEX_VALUE_SET_ID=segment.value_set_id,
                FLEX_VALUE=value,
                DESCRIPTION=description,
                ENABLED_FLAG="Y",
                SUMMARY_FLAG="N",
                LAST_UPDATE_DATE=setup,
            )
            flex_value_id += 1


def _periods(db: sqlite3.Connection, first_day: date, setup: str) -> None:
    """Monthly periods from January of the year before the first seeded day to December of the year after: the
    year before permanently closed (P), the months before closed (C), the first day's month and the next two open
    (O), the month after future-entry (F), the rest never opened (N)."""
    current = first_day.year * 12 + first_day.month - 1
    for month in range((first_day.year - 1) * 12, (first_day.year + 2) * 12):
        start = date(month // 12, month % 12 + 1, 1)
        end = date((month + 1) // 12, (month + 1) % 12 + 1, 1) - timedelta(days=1)
        offset = month - current
        if start.year < first_day.year:
            status = "P"
        else:
            status = "C" if offset < 0 else "O" if offset <= 2 else "F" if offset == 3 else "N"
        insert(
            db,
            "GL_PERIOD_STATUSES",
            APPLICATION_ID=chart.GL_APPLICATION_ID,
            LEDGER_ID=chart.LEDGER_ID,
            SET_OF_BOOKS_ID=chart.LEDGER_ID,
            PERIOD_NAME=chart.period_name(start),
            CLOSING_STATUS=status,
            START_DATE=text(start),
            END_DATE=text(end),
            PERIOD_TYPE="Month",
            PERIOD_YEAR=start.year,
            PERIOD_NUM=start.month,
            ADJUSTMENT_PERIOD_FLAG="N",
            LAST_UPDATE_DATE=setup,
        )


def _sources_and_categories(db: sqlite3.Connection, setup: str) -> None:
    for name in (*chart.OTHER_SOURCES, chart.JOURNAL_SOURCE):
        ours = name == chart.JOURNAL_SOURCE
        insert(
            db,
            "GL_JE_SOURCES_TL",
            JE_SOURCE_NAME=name,
            LANGUAGE="US",
            SOURCE_LANG="US",
            USER_JE_SOURCE_NAME=name,
            DESCRIPTION="Journals of the ml-connector-dagster sync" if ours else name,
            JOURNAL_REFERENCE_FLAG="Y" if ours else "N",  # "Import Journal References"
            OVERRIDE_EDITS_FLAG="N" if ours else "Y",  # "Freeze Journals": imported journals are not edited
            JOURNAL_APPROVAL_FLAG="N",
            LAST_UPDATE_DATE=setup,
        )
    for name in (*chart.OTHER_CATEGORIES, chart.REQUISITION_CATEGORY, chart.CHANGE_ORDER_CATEGORY):
        insert(
            db,
            "GL_JE_CATEGORIES_TL",
            JE_CATEGORY_NAME=name,
            LANGUAGE="US",
            SOURCE_LANG="US",
            USER_JE_CATEGORY_NAME=name,
            DESCRIPTION=name,
            LAST_UPDATE_DATE=setup,
        )


def _combinations(db: sqlite3.Connection, stamps: Stamps) -> dict[Combination, int]:
    """Every project × job-cost account (with its division), a third of them changed during the seeded days, and
    the accounts no purchase order charges: the accrual and payables accounts, a corporate one, another company's,
    one closed to detail posting, one disabled during the seeded days, one that ended long ago and one that ends on
    a seeded day."""
    job_cost = [
        (chart.COMPANY, project, account, division)
        for project in chart.PROJECTS
        for account, (division, _) in chart.JOB_COST.items()
    ]
    ends_on = stamps.first_day + timedelta(days=min(2, stamps.days - 1))
    extras: list[tuple[Combination, dict]] = [
        (chart.ACCRUAL, {}),
        ((chart.COMPANY, chart.CORPORATE, "2010", chart.NO_DIVISION), {}),
        ((chart.COMPANY, chart.CORPORATE, "5100", "01"), {}),
        (("02", chart.CORPORATE, chart.ACCRUAL_ACCOUNT, chart.NO_DIVISION), {}),
        ((chart.COMPANY, "1100", "5999", chart.NO_DIVISION), {"DETAIL_POSTING_ALLOWED_FLAG": "N"}),
        ((chart.COMPANY, "1200", "5120", "01"), {"ENABLED_FLAG": "N", "LAST_UPDATE_DATE": text(stamps.recent())}),
        ((chart.COMPANY, "1100", "5970", "16"), {"END_DATE_ACTIVE": text(stamps.first_day - timedelta(days=45))}),
        ((chart.COMPANY, "1300", "5980", "13"), {"END_DATE_ACTIVE": text(ends_on)}),
    ]
    ccids: dict[Combination, int] = {}
    for ccid, (segments, overrides) in enumerate([(segments, None) for segments in job_cost] + extras, FIRST_CCID):
        created = stamps.go_live()
        changed = stamps.recent() if overrides is None and stamps.rng.random() < 1 / 3 else created
        insert(
            db,
            "GL_CODE_COMBINATIONS",
            **{
                "CODE_COMBINATION_ID": ccid,
                **new_combination(dict(zip(("SEGMENT1", "SEGMENT2", "SEGMENT3", "SEGMENT4"), segments, strict=True))),
                "CREATION_DATE": text(created),
                "LAST_UPDATE_DATE": text(changed),
                **(overrides or {}),
            },
        )
        ccids[segments] = ccid
    return ccids


def new_combination(columns: dict) -> dict:
    """A combination as an administrator creates one in the chart (the sandbox's chart has no dynamic insertion):
    enabled, detail posting and budgeting allowed, its type from its account."""
    return {
        "CHART_OF_ACCOUNTS_ID": chart.CHART_ID,
        "ACCOUNT_TYPE": chart.account_type(str(columns.get("SEGMENT3") or "")),
        "ENABLED_FLAG": "Y",
        "SUMMARY_FLAG": "N",
        "DETAIL_POSTING_ALLOWED_FLAG": "Y",
        "DETAIL_BUDGETING_ALLOWED_FLAG": "Y",
        "START_DATE_ACTIVE": None,
        "END_DATE_ACTIVE": None,
        **columns,
    }
