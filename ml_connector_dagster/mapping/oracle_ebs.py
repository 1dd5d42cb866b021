"""Oracle EBS source rows as the connector's read service returns them (every value a string or null), and the
small facts about them that every pair reading EBS judges the same way: when a date has passed, how a phone reads,
which supplier site is the one to show."""

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict

from ml_connector_dagster.mapping.common import clean
from ml_connector_dagster.source_rows import readable

# Text as the service renders it, checked to be what the mapping reads it as (source_rows.py): a date the service
# rendered without validating it (`2026-02-31`, `0000-00-00`) fails its record, not the partition.
EbsDate = Annotated[str, readable("a date", datetime.fromisoformat)]
EbsNumber = Annotated[str, readable("a number", Decimal)]
EbsWholeNumber = Annotated[str, readable("a whole number", int)]


class Row(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Vendor(Row):
    VENDOR_ID: str
    PARTY_ID: str | None = None
    SEGMENT1: str | None = None
    VENDOR_NAME: str | None = None
    VENDOR_NAME_ALT: str | None = None
    VENDOR_TYPE_LOOKUP_CODE: str | None = None
    NUM_1099: str | None = None
    VAT_REGISTRATION_NUM: str | None = None
    ENABLED_FLAG: str | None = "Y"
    END_DATE_ACTIVE: EbsDate | None = None
    PARENT_VENDOR_PARTY_ID: str | None = None

    def active_at(self, moment: datetime) -> bool:
        return self.ENABLED_FLAG != "N" and not passed(self.END_DATE_ACTIVE, moment)


class VendorSite(Row):
    VENDOR_SITE_ID: str
    VENDOR_ID: str
    ADDRESS_LINE1: str | None = None
    ADDRESS_LINE2: str | None = None
    ADDRESS_LINE3: str | None = None
    ADDRESS_LINE4: str | None = None
    CITY: str | None = None
    STATE: str | None = None
    PROVINCE: str | None = None
    ZIP: str | None = None
    COUNTRY: str | None = None
    PAY_SITE_FLAG: str | None = None
    PURCHASING_SITE_FLAG: str | None = None
    PRIMARY_PAY_SITE_FLAG: str | None = None
    INACTIVE_DATE: EbsDate | None = None
    EMAIL_ADDRESS: str | None = None
    AREA_CODE: str | None = None
    PHONE: str | None = None


def passed(moment_text: str | None, moment: datetime) -> bool:
    """Whether an EBS date (server time; the xsd form's offset is that of the server too) lies before `moment`."""
    return bool(moment_text) and datetime.fromisoformat(moment_text).replace(tzinfo=None) < moment


def phone(country: str | None, area: str | None, number: str | None) -> str | None:
    if not clean(number):
        return None
    parts = [f"+{clean(country)}" if clean(country) else None, clean(area), clean(number)]
    return " ".join(p for p in parts if p)


def primary_pay_site(sites: list[VendorSite]) -> VendorSite | None:
    """The site a supplier is addressed at: its primary pay site, else its first."""
    return next((s for s in sites if s.PRIMARY_PAY_SITE_FLAG == "Y"), sites[0] if sites else None)


def group_by(rows: list, attribute: str) -> dict[str, list]:
    grouped: dict[str, list] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, attribute)].append(row)
    return grouped
