"""Dynamics 365 Sales (Dataverse) as a target, for every source pair: the payload models with the platform's column
names, lengths and choice values (microsoft.md §2.4), and the bind paths of lookups by external id.

Payloads are dumped with `exclude_unset`: a column a pair does not map is left alone in the target, never nulled.
"""

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ml_connector_dagster.mapping.common import is_email
from ml_connector_dagster.odata import literal

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
ACTIVE, INACTIVE = (0, 1), (1, 2)  # account (statecode, statuscode)


def bind(entity_set: str, key_column: str, external_id: str) -> str:
    """The `@odata.bind` path of a row the connector wrote, by its alternate key."""
    return f"/{entity_set}({key_column}={literal(external_id)})"


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


class AccountPayload(_Payload):
    name: str = Field(min_length=1, max_length=160)
    accountnumber: str | None = Field(default=None, max_length=20)
    customertypecode: int
    telephone1: str | None = Field(default=None, max_length=50)
    emailaddress1: str | None = Field(default=None, max_length=100)
    websiteurl: str | None = Field(default=None, max_length=200)
    address1_addresstypecode: int | None = None
    address1_line1: str | None = Field(default=None, max_length=250)
    address1_line2: str | None = Field(default=None, max_length=250)
    address1_line3: str | None = Field(default=None, max_length=250)
    address1_city: str | None = Field(default=None, max_length=80)
    address1_stateorprovince: str | None = Field(default=None, max_length=50)
    address1_postalcode: str | None = Field(default=None, max_length=20)
    address1_county: str | None = Field(default=None, max_length=50)
    address1_country: str | None = Field(default=None, max_length=80)
    paymenttermscode: int | None = Field(default=None, ge=1, le=4)
    description: str | None = Field(default=None, max_length=2000)
    # Guess (microsoft.md §2.4 says statecode is "not valid on create"): sent on upsert so that a deleted source
    # record's account is deactivated and a restored one reactivated; the emulator accepts it on create.
    statecode: int | None = Field(default=None, ge=0, le=1)
    statuscode: int | None = Field(default=None, ge=1, le=2)
    parent: str | None = Field(default=None, serialization_alias="parentaccountid@odata.bind")


class ContactPayload(_Payload):
    firstname: str | None = Field(default=None, max_length=50)
    lastname: str = Field(min_length=1, max_length=50)
    jobtitle: str | None = Field(default=None, max_length=100)
    emailaddress1: str | None = Field(default=None, max_length=100)
    telephone1: str | None = Field(default=None, max_length=50)
    mobilephone: str | None = Field(default=None, max_length=50)
    parent: str | None = Field(default=None, serialization_alias="parentcustomerid_account@odata.bind")


class _Document(_Payload):
    """What an opportunity and an order share: a name, the customer account, the currency."""

    name: str = Field(min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=2000)
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
    productdescription: str = Field(min_length=1, max_length=500)
    quantity: float = Field(ge=0)
    priceperunit: float
    ispriceoverridden: bool = True
    lineitemnumber: int | None = None
    description: str | None = Field(default=None, max_length=2000)


class OpportunityProductPayload(_Line):
    document: str = Field(serialization_alias="opportunityid@odata.bind")


class SalesOrderDetailPayload(_Line):
    document: str = Field(serialization_alias="salesorderid@odata.bind")
