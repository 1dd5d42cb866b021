"""Dynamics 365 Sales (Dataverse) as a target, for every source pair: the payload models with the platform's column
names, lengths and choice values (microsoft.md §2.4), and the bind paths of lookups by external id.

Payloads are dumped with `exclude_unset`: a column a pair does not map is left alone in the target, never nulled.
Lengths are counted as Dataverse counts them (`units`).
"""

from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError, core_schema

from ml_connector_dagster.mapping.common import is_email
from ml_connector_dagster.odata import key_path

# account.customertypecode ("Relationship Type")
CUSTOMER_TYPE_CODES = {
    1: "Competitor",
    2: "Consultant",
    3: "Customer",
    4: "Investor",
    5: "Partner",
    6: "Influencer",
    7: "Press",
    8: "Prospect",
    9: "Reseller",
    10: "Supplier",
    11: "Vendor",
    12: "Other",
}
# account.paymenttermscode and salesorder.paymenttermscode
PAYMENT_TERMS_CODES = {1: "Net 30", 2: "2% 10, Net 30", 3: "Net 45", 4: "Net 60"}
ADDRESS_BILL_TO, ADDRESS_PRIMARY = 1, 3
ACTIVE, INACTIVE = (0, 1), (1, 2)  # account and contact (statecode, statuscode)


def state_fields(*, active: bool) -> dict[str, int]:
    """statecode and statuscode of an account or contact. Dataverse sets them through an update (PATCH, or an
    upsert of an existing row) but creates every record active, refusing an inactive statuscode on create
    (microsoft.md §2.4; "Behavior of specialized update operations"): an inactive payload is therefore a
    TargetRecord with `update_only`, sent only for records the connector wrote earlier."""
    statecode, statuscode = ACTIVE if active else INACTIVE
    return {"statecode": statecode, "statuscode": statuscode}


def bind(entity_set: str, key_column: str, external_id: str) -> str:
    """The `@odata.bind` path of a row the connector wrote, by its alternate key (a URL, so percent-encoded)."""
    return "/" + key_path(entity_set, {key_column: external_id})


def units(text: str) -> int:
    """A text's length as Dataverse counts MaxLength: in UTF-16 code units, so a character outside the Basic
    Multilingual Plane (an emoji, some CJK) counts two. Guess: microsoft.md §2.4 says only "characters"; the
    platform's .NET strings and nvarchar columns both count UTF-16 code units."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def fit(text: str, limit: int) -> str:
    """The longest start of `text` that is at most `limit` units, never half of a surrogate pair."""
    used = 0
    for position, character in enumerate(text):
        used += 2 if ord(character) > 0xFFFF else 1
        if used > limit:
            return text[:position]
    return text


@dataclass(frozen=True)
class MaxUnits:
    """A column's MaxLength in Dataverse's units: `Annotated[str, MaxUnits(160)]`."""

    limit: int

    def __get_pydantic_core_schema__(self, source, handler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def _check(self, value: str | None) -> str | None:
        # A character counts at most two units: a value of at most half the limit in characters fits, uncounted.
        if value is not None and 2 * len(value) > self.limit and units(value) > self.limit:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters as Dataverse counts them (UTF-16 code units)",
                {"max_length": self.limit, "length": units(value)},
            )
        return value


def valid_customer_type(code: int) -> int:
    if code not in CUSTOMER_TYPE_CODES:
        raise ValueError(f"{code} is not a customertypecode; use one of {CUSTOMER_TYPE_CODES}")
    return code


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("emailaddress1", check_fields=False)
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if not is_email(value):
            raise ValueError("is not an e-mail address")
        return value

    @classmethod
    def dump(cls, fields: dict) -> dict:
        """The request body for these fields; raises ValidationError with every failed field."""
        return cls.model_validate(fields).model_dump(by_alias=True, exclude_unset=True)

    @classmethod
    def limit(cls, column: str) -> int:
        """The column's MaxLength, in `units`."""
        return next(rule.limit for rule in cls.model_fields[column].metadata if isinstance(rule, MaxUnits))


class AccountPayload(_Payload):
    name: Annotated[str, MaxUnits(160)] = Field(min_length=1)
    accountnumber: Annotated[str | None, MaxUnits(20)] = None
    customertypecode: int
    telephone1: Annotated[str | None, MaxUnits(50)] = None
    emailaddress1: Annotated[str | None, MaxUnits(100)] = None
    websiteurl: Annotated[str | None, MaxUnits(200)] = None
    address1_addresstypecode: int | None = None
    address1_line1: Annotated[str | None, MaxUnits(250)] = None
    address1_line2: Annotated[str | None, MaxUnits(250)] = None
    address1_line3: Annotated[str | None, MaxUnits(250)] = None
    address1_city: Annotated[str | None, MaxUnits(80)] = None
    address1_stateorprovince: Annotated[str | None, MaxUnits(50)] = None
    address1_postalcode: Annotated[str | None, MaxUnits(20)] = None
    address1_county: Annotated[str | None, MaxUnits(50)] = None
    address1_country: Annotated[str | None, MaxUnits(80)] = None
    paymenttermscode: int | None = Field(default=None, ge=1, le=4)
    description: Annotated[str | None, MaxUnits(2000)] = None
    statecode: int | None = Field(default=None, ge=0, le=1)  # see state_fields
    statuscode: int | None = Field(default=None, ge=1, le=2)
    parent: str | None = Field(default=None, serialization_alias="parentaccountid@odata.bind")


class ContactPayload(_Payload):
    firstname: Annotated[str | None, MaxUnits(50)] = None
    lastname: Annotated[str, MaxUnits(50)] = Field(min_length=1)
    jobtitle: Annotated[str | None, MaxUnits(100)] = None
    emailaddress1: Annotated[str | None, MaxUnits(100)] = None
    telephone1: Annotated[str | None, MaxUnits(50)] = None
    mobilephone: Annotated[str | None, MaxUnits(50)] = None
    statecode: int | None = Field(default=None, ge=0, le=1)  # see state_fields
    statuscode: int | None = Field(default=None, ge=1, le=2)
    parent: str | None = Field(default=None, serialization_alias="parentcustomerid_account@odata.bind")


class _Document(_Payload):
    """What an opportunity and an order share: a name, the customer account, the currency."""

    name: Annotated[str, MaxUnits(300)] = Field(min_length=1)
    description: Annotated[str | None, MaxUnits(2000)] = None
    customer: str = Field(serialization_alias="customerid_account@odata.bind")
    currency: str = Field(serialization_alias="transactioncurrencyid@odata.bind")


class OpportunityPayload(_Document):
    estimatedvalue: float | None = None
    estimatedclosedate: str | None = None


class SalesOrderPayload(_Document):
    paymenttermscode: int | None = Field(default=None, ge=1, le=4)
    requestdeliveryby: str | None = None
    submitdate: str | None = None


class _Line(_Payload):
    """A write-in product line (no product catalogue needed): description, quantity and price as the source has
    them. The platform computes baseamount/extendedamount and the document's totals."""

    isproductoverridden: bool = True
    productdescription: Annotated[str, MaxUnits(500)] = Field(min_length=1)
    quantity: float = Field(ge=0)
    priceperunit: float
    ispriceoverridden: bool = True
    lineitemnumber: int | None = None
    description: Annotated[str | None, MaxUnits(2000)] = None


class OpportunityProductPayload(_Line):
    document: str = Field(serialization_alias="opportunityid@odata.bind")


class SalesOrderDetailPayload(_Line):
    document: str = Field(serialization_alias="salesorderid@odata.bind")
