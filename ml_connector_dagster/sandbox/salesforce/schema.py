"""The sObjects the emulator serves, with the standard fields of crm_targets.md §1.8, their lengths and what the
platform requires, and the org's custom External ID fields (Text, External ID, Unique)."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Field:
    type: str                  # string | id | reference | date | datetime | double | currency | boolean | int
    length: int | None = None
    required: bool = False
    writable: bool = True
    external_id: bool = False


@dataclass(frozen=True)
class SObject:
    name: str
    prefix: str                # the record id's key prefix
    fields: dict[str, Field] = field(default_factory=dict)

    def external_ids(self) -> list[str]:
        return [name for name, spec in self.fields.items() if spec.external_id]


def _text(length: int, **kw) -> Field:
    return Field("string", length, **kw)


_SYSTEM = {"Id": Field("id", 18, writable=False), "CreatedDate": Field("datetime", writable=False),
           "LastModifiedDate": Field("datetime", writable=False), "SystemModstamp": Field("datetime", writable=False),
           "IsDeleted": Field("boolean", writable=False), "OwnerId": Field("reference", 18, writable=False)}
_ADDRESS = {f"{kind}{part}": _text(length) for kind in ("Billing", "Shipping")
            for part, length in (("Street", 255), ("City", 40), ("State", 80), ("PostalCode", 20), ("Country", 80))}

OBJECTS = {o.name: o for o in (
    SObject("Account", "001", {**_SYSTEM, "Name": _text(255, required=True), "AccountNumber": _text(40),
                               "Type": _text(255), "Industry": _text(255), "Phone": _text(40), "Website": _text(255),
                               "Description": _text(32000), "ParentId": Field("reference", 18), **_ADDRESS,
                               "ERP_Account_Number__c": _text(100, external_id=True)}),
    SObject("Product2", "01t", {**_SYSTEM, "Name": _text(255, required=True), "ProductCode": _text(255),
                                "Description": _text(4000), "IsActive": Field("boolean"), "Family": _text(255),
                                "QuantityUnitOfMeasure": _text(255),
                                "ERP_Item_Number__c": _text(100, external_id=True)}),
    SObject("Opportunity", "006", {**_SYSTEM, "Name": _text(120, required=True), "AccountId": Field("reference", 18),
                                   "StageName": _text(255, required=True), "CloseDate": Field("date", required=True),
                                   "Amount": Field("currency"), "IsClosed": Field("boolean", writable=False),
                                   "IsWon": Field("boolean", writable=False), "Pricebook2Id": Field("reference", 18),
                                   "Description": _text(32000),
                                   "ERP_Sales_Order_Number__c": _text(100, external_id=True)}),
    SObject("OpportunityLineItem", "00k", {**_SYSTEM, "OpportunityId": Field("reference", 18, required=True),
                                           "Product2Id": Field("reference", 18), "Quantity": Field("double",
                                                                                                 required=True),
                                           "UnitPrice": Field("currency"), "Description": _text(255)}),
    SObject("Order", "801", {**_SYSTEM, "AccountId": Field("reference", 18, required=True),
                             "EffectiveDate": Field("date", required=True), "Status": _text(40, required=True),
                             "OrderNumber": _text(30, writable=False), "TotalAmount": Field("currency", writable=False),
                             "Pricebook2Id": Field("reference", 18), "Description": _text(32000),
                             "ERP_Sales_Order_Number__c": _text(100, external_id=True)}),
    SObject("OrderItem", "802", {**_SYSTEM, "OrderId": Field("reference", 18, required=True),
                                 "Product2Id": Field("reference", 18), "Quantity": Field("double", required=True),
                                 "UnitPrice": Field("currency", required=True), "Description": _text(255)}),
)}
