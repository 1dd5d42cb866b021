"""The sandbox's general ledger setup: one ledger, its chart of accounts, its calendar and the journal source and
categories the Procore pair posts under. The names a pair's mapping refers to are these constants, so a test or a
demo that needs them imports them from here rather than repeating them.

Vision Construction US is a contractor: the cost centre is the project, the account a job-cost account, the fourth
segment a CSI MasterFormat (1995, 16 divisions) cost division, the way construction companies commonly lay out an
EBS chart. Ids and names are the sandbox's own; nothing here is an Oracle seeded value except application 101
(SQLGL) and the flexfield code GL#.
"""

from dataclasses import dataclass
from datetime import date

GL_APPLICATION_ID = 101  # SQLGL: GL_PERIOD_STATUSES rows of the General Ledger
LEDGER_ID = 2041
LEDGER_NAME = "Vision Construction US"
CURRENCY = "USD"
CHART_ID = 50268  # GL_CODE_COMBINATIONS.CHART_OF_ACCOUNTS_ID = FND_ID_FLEX_SEGMENTS.ID_FLEX_NUM of the GL# flexfield
PERIOD_SET = "VC Calendar"
DELIMITER = "-"  # the structure's concatenated segment delimiter (GL_CODE_COMBINATIONS_KFV.CONCATENATED_SEGMENTS)

JOURNAL_SOURCE = "ML Connector"
REQUISITION_CATEGORY = "Procore Requisition"
CHANGE_ORDER_CATEGORY = "Procore Change Order"
# Sources and categories a ledger has besides ours (Oracle seeds these names; the sandbox keeps a few for realism).
OTHER_SOURCES = ("Manual", "Spreadsheet", "Payables", "Purchasing")
OTHER_CATEGORIES = ("Adjustment", "Accrual", "Purchase Invoices")

COMPANY = "01"
CORPORATE = "1000"
PROJECTS = {"1100": "Harbor Point Tower", "1200": "Riverside Clinic", "1300": "Depot Yard Expansion"}
NO_DIVISION = "00"
ACCRUAL_ACCOUNT = "2110"  # accrued job costs: the credit side of a job-cost accrual
ACCRUAL = (COMPANY, CORPORATE, ACCRUAL_ACCOUNT, NO_DIVISION)

DIVISIONS = {
    NO_DIVISION: "No Division",
    "01": "General Requirements",
    "02": "Site Construction",
    "03": "Concrete",
    "04": "Masonry",
    "05": "Metals",
    "06": "Wood and Plastics",
    "07": "Thermal and Moisture Protection",
    "08": "Doors and Windows",
    "09": "Finishes",
    "10": "Specialties",
    "11": "Equipment",
    "12": "Furnishings",
    "13": "Special Construction",
    "14": "Conveying Systems",
    "15": "Mechanical",
    "16": "Electrical",
}

# The job-cost accounts purchase orders charge, each with the division it belongs to (5100 under 01 is the
# "01-5100 General Conditions Labor" cost code a Procore project controller would enter).
JOB_COST = {
    "5100": ("01", "General Conditions Labor"),
    "5110": ("01", "General Conditions Materials"),
    "5200": ("02", "Site Work"),
    "5300": ("03", "Concrete"),
    "5400": ("04", "Masonry"),
    "5500": ("05", "Structural Steel"),
    "5600": ("06", "Carpentry"),
    "5700": ("07", "Roofing and Waterproofing"),
    "5800": ("08", "Doors and Windows"),
    "5900": ("09", "Finishes"),
    "5950": ("15", "Mechanical"),
    "5960": ("16", "Electrical"),
}
# Accounts no purchase order charges: the balance-sheet side and a few job-cost accounts kept for the combinations
# that are disabled, end-dated or closed to detail posting.
OTHER_ACCOUNTS = {
    "2010": "Accounts Payable Trade",
    ACCRUAL_ACCOUNT: "Accrued Job Costs",
    "5120": "Temporary Facilities",
    "5970": "Low Voltage Systems",
    "5980": "Special Construction",
    "5999": "Job Cost Total",
}
ACCOUNT_TYPES = {"1": "A", "2": "L", "3": "O", "4": "R"}  # by the account's first digit; the rest are expenses


@dataclass(frozen=True)
class Segment:
    column: str
    name: str
    value_set_id: int
    values: dict[str, str]


SEGMENTS = (
    Segment("SEGMENT1", "Company", 1015001, {COMPANY: LEDGER_NAME, "02": "Vision Construction Canada"}),
    Segment("SEGMENT2", "Cost Center", 1015002, {CORPORATE: "Corporate", **PROJECTS}),
    Segment(
        "SEGMENT3",
        "Account",
        1015003,
        {**{account: name for account, (_, name) in JOB_COST.items()}, **OTHER_ACCOUNTS},
    ),
    Segment("SEGMENT4", "Division", 1015004, DIVISIONS),
)


def account_type(account: str) -> str:
    return ACCOUNT_TYPES.get(account[:1], "E")


def period_name(day: date) -> str:
    """The calendar's monthly period of a day, as GL names them: OCT-26."""
    return day.strftime("%b-%y").upper()
