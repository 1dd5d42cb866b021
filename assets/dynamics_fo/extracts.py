"""Dynamics 365 F&O extract assets: one legal entity per partition, read in full. CustomersV3 has no modified-date
field (microsoft.md §3.8), so there is no change window to read; the ledger's diff makes unchanged records cost no
write in the target. Business Events only say which legal entity to read again (sensors/dynamics_fo.py)."""

from collections.abc import Callable

import dagster as dg
from ml_connector_dagster.assets.extract import Extract, Read, Table, extract_asset

SYSTEM = "dynamics_fo"


def _entity(entity_set: str, fields: tuple[str, ...]) -> Callable[[Read], list[dict]]:
    def read(read: Read) -> list[dict]:
        return list(read.session.rows(entity_set, select=fields, company=read.partition_key))

    return read


CUSTOMER_FIELDS = (
    "dataAreaId",
    "CustomerAccount",
    "PartyType",
    "OrganizationName",
    "PersonFirstName",
    "PersonLastName",
    "SalesCurrencyCode",
    "AddressStreet",
    "AddressCity",
    "AddressZipCode",
    "AddressState",
    "AddressCountryRegionISOCode",
    "PrimaryContactPhone",
    "PrimaryContactURL",
    "OnHoldStatus",
)
PRODUCT_FIELDS = (
    "dataAreaId",
    "ItemNumber",
    "ProductNumber",
    "SearchName",
    "ProductSearchName",
    "ProductType",
    "SalesUnitSymbol",
)
EXTRACTS = (
    Extract(
        SYSTEM,
        "customers_v3",
        _entity("CustomersV3", CUSTOMER_FIELDS),
        kinds=frozenset({"dynamics365"}),
        table=Table(("dataAreaId", "CustomerAccount"), CUSTOMER_FIELDS),
        description="CustomersV3: every customer of the legal entity (a full read; F&O gives no change stamp).",
    ),
    Extract(
        SYSTEM,
        "released_products_v2",
        _entity("ReleasedProductsV2", PRODUCT_FIELDS),
        kinds=frozenset({"dynamics365"}),
        table=Table(("dataAreaId", "ItemNumber"), PRODUCT_FIELDS),
        description="ReleasedProductsV2: every released product of the legal entity (a full read; F&O gives no "
        "change stamp).",
    ),
)


def extract_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    return [extract_asset(extract, partitions_def) for extract in EXTRACTS]
