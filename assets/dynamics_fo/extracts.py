"""Dynamics 365 F&O extract assets: one legal entity per partition, read in full. CustomersV3 has no modified-date
field (microsoft.md §3.8), so there is no change window to read; the ledger's diff makes unchanged records cost no
write in the target. Business Events only say which legal entity to read again (sensors/dynamics_fo.py)."""

from collections.abc import Callable, Iterator, Sequence

import dagster as dg
import pandas as pd
from ml_connector_dagster.assets.extract import Extract, Read, Table, extract_asset

from ml_connector_dagster.initial_load import SourceRead
from ml_connector_dagster.spool import batched

SYSTEM = "dynamics_fo"


def _entity(entity_set: str, fields: tuple[str, ...]) -> Callable[[Read], list[dict]]:
    def read(read: Read) -> Iterator[dict]:
        return read.session.rows(entity_set, select=fields, company=read.partition_key)

    return read


def entity_pages(
    read: SourceRead, entity_set: str, table: Table, legal_entities: Sequence[str]
) -> Iterator[tuple[pd.DataFrame, str]]:
    """Every row of the legal entities, `read.page_size` rows at a time, each with the last legal entity read whole
    before it ("": none). F&O pages by a server-driven nextLink that cannot be asked for again later, so a restart
    goes on at the first entity not read whole (its rows read again cost reads only: the ledger finds them
    unchanged)."""
    done = list(legal_entities).index(read.after) + 1 if read.after else 0
    for position, entity in enumerate(legal_entities[done:], start=done):
        pages = batched(read.session.rows(entity_set, select=table.columns, company=entity), read.page_size)
        before = legal_entities[position - 1] if position else ""
        page = next(pages, None)
        while page is not None:
            following = next(pages, None)
            yield table.frame(page), entity if following is None else before
            page = following


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
CUSTOMERS = Table(("dataAreaId", "CustomerAccount"), CUSTOMER_FIELDS)
PRODUCTS = Table(("dataAreaId", "ItemNumber"), PRODUCT_FIELDS)
EXTRACTS = (
    Extract(
        SYSTEM,
        "customers_v3",
        _entity("CustomersV3", CUSTOMER_FIELDS),
        kinds=frozenset({"dynamics365"}),
        table=CUSTOMERS,
        description="CustomersV3: every customer of the legal entity (a full read; F&O gives no change stamp).",
    ),
    Extract(
        SYSTEM,
        "released_products_v2",
        _entity("ReleasedProductsV2", PRODUCT_FIELDS),
        kinds=frozenset({"dynamics365"}),
        table=PRODUCTS,
        description="ReleasedProductsV2: every released product of the legal entity (a full read; F&O gives no "
        "change stamp).",
    ),
)


def extract_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    return [extract_asset(extract, partitions_def) for extract in EXTRACTS]
