"""SAP ECC extract assets: one per table, a day per partition, and the snapshots that re-read whole business
partners and whole purchase orders for the mapping.

LFA1/KNA1/LFB1/KNB1 carry only a creation date (ERDAT) and EKKO's AEDAT is its creation date too, so a day's
changes are the rows created that day plus the objects with a change document (CDHDR) that day, read by key:
vendor (KRED), customer (DEBI), purchasing document (EINKBELEG). Days are the SAP server's days (DATS fields hold
its local date).
"""

from collections.abc import Iterable
from dataclasses import dataclass

import dagster as dg
import pandas as pd

from ml_connector_dagster.partitions import daily_partitions
from ml_connector_dagster.resources.sap_ecc import SapEccResource, SapReader
from ml_connector_dagster.resources.sap_ecc.alpha import alpha_in
from ml_connector_dagster.resources.sap_ecc.query import Condition, Select
from ml_connector_dagster.resources.sap_ecc.tables import CDHDR, EKKO, EKPO, KNA1, KNB1, LFA1, LFB1, SapTable

GROUP = "sap_ecc"
# Keys per call: keeps a Gateway $filter well under URL limits and RFC_READ_TABLE's OPTIONS short.
KEYS_PER_CALL = 100


@dataclass(frozen=True)
class Extract:
    table: SapTable
    created_on: str       # the DATS field holding the creation date
    object_class: str     # the change-document object class (SCDO) of edits to it
    object_key: str       # the key field that CDHDR-OBJECTID holds

    @property
    def name(self) -> str:
        return self.table.name.lower()


EXTRACTS = (Extract(LFA1, "ERDAT", "KRED", "LIFNR"), Extract(LFB1, "ERDAT", "KRED", "LIFNR"),
            Extract(KNA1, "ERDAT", "DEBI", "KUNNR"), Extract(KNB1, "ERDAT", "DEBI", "KUNNR"),
            Extract(EKKO, "AEDAT", "EINKBELEG", "EBELN"), Extract(EKPO, "AEDAT", "EINKBELEG", "EBELN"))
OBJECT_CLASSES = tuple(dict.fromkeys(extract.object_class for extract in EXTRACTS))


def sap_day(context: dg.AssetExecutionContext) -> str:
    return context.partition_time_window.start.strftime("%Y%m%d")


def read_keys(reader: SapReader, table: SapTable, field: str, keys: Iterable[str]) -> list[dict]:
    """Rows whose `field` is one of `keys` (internal form), in calls of KEYS_PER_CALL keys."""
    ordered = sorted(set(keys) - {""})
    rows: list[dict] = []
    for start in range(0, len(ordered), KEYS_PER_CALL):
        chunk = tuple(ordered[start:start + KEYS_PER_CALL])
        rows += reader.select(Select(table.name, table.fields, table.keys, any_of=(field, chunk)))
    return rows


def frame(rows: list[dict], table: SapTable) -> pd.DataFrame:
    result = pd.DataFrame(rows, columns=list(table.fields), dtype=object)
    # A row can come from both the created-on read and the key read; its last version wins.
    return result.drop_duplicates(subset=list(table.keys), keep="last").reset_index(drop=True)


@dg.asset(key=["sap_ecc", "change_documents"], group_name=GROUP, partitions_def=daily_partitions,
          kinds={"sap", "pandas"}, pool="sap_ecc_api", code_version="1",
          description="CDHDR headers written that day for vendors (KRED), customers (DEBI) and purchasing "
                      "documents (EINKBELEG): which objects were edited.")
def change_documents(context: dg.AssetExecutionContext, sap_ecc: SapEccResource) -> dg.Output[pd.DataFrame]:
    reader = sap_ecc.session()
    calls = reader.counter.total
    rows = list(reader.select(Select(CDHDR.name, CDHDR.fields, CDHDR.keys,
                                     (Condition("UDATE", "=", sap_day(context), is_date=True),),
                                     any_of=("OBJECTCLAS", OBJECT_CLASSES))))
    result = frame(rows, CDHDR)
    return dg.Output(result, metadata={"source_rows": len(result), "api_calls": reader.counter.total - calls,
                                       **{f"changed_{c.lower()}": int((result["OBJECTCLAS"] == c).sum())
                                          for c in OBJECT_CLASSES}})


def _extract_asset(extract: Extract) -> dg.AssetsDefinition:
    table = extract.table

    @dg.asset(key=["sap_ecc", extract.name], group_name=GROUP, partitions_def=daily_partitions,
              ins={"changes": dg.AssetIn(key=["sap_ecc", "change_documents"])}, kinds={"sap", "pandas"},
              pool="sap_ecc_api", code_version="1",
              description=f"{table.name} ({table.label}): rows created that day ({extract.created_on}) and rows of "
                          f"{extract.object_class} objects with a change document that day.")
    def _asset(context: dg.AssetExecutionContext, changes: pd.DataFrame,
               sap_ecc: SapEccResource) -> dg.Output[pd.DataFrame]:
        reader = sap_ecc.session()
        calls = reader.counter.total
        created = list(reader.select(Select(table.name, table.fields, table.keys, (
            Condition(extract.created_on, "=", sap_day(context), is_date=True),))))
        edited = changes.loc[changes["OBJECTCLAS"] == extract.object_class, "OBJECTID"] if not changes.empty else []
        changed = read_keys(reader, table, extract.object_key, (alpha_in(key) for key in edited))
        result = frame(created + changed, table)
        return dg.Output(result, metadata={"source_rows": len(result), "created_that_day": len(created),
                                           "changed_that_day": len(changed),
                                           "api_calls": reader.counter.total - calls})

    return _asset


extract_assets = [_extract_asset(extract) for extract in EXTRACTS]
_IN = {extract.name: dg.AssetIn(key=["sap_ecc", extract.name]) for extract in EXTRACTS}


@dg.asset(key=["sap_ecc", "business_partner_snapshots"], group_name=GROUP, partitions_def=daily_partitions,
          ins={name: _IN[name] for name in ("lfa1", "lfb1", "kna1", "knb1")}, kinds={"sap", "pandas"},
          pool="sap_ecc_api", code_version="1",
          description="Every vendor and customer the day touched, whole (LFA1, LFB1, KNA1, KNB1), with the partners "
                      "they are one company with: linked (LFA1-KUNNR, KNA1-LIFNR) or sharing a VAT number.")
def business_partner_snapshots(sap_ecc: SapEccResource, lfa1: pd.DataFrame, lfb1: pd.DataFrame,
                               kna1: pd.DataFrame, knb1: pd.DataFrame) -> dg.Output[dict[str, pd.DataFrame]]:
    reader = sap_ecc.session()
    calls = reader.counter.total
    vendors, customers = _related(reader, _values(lfa1, lfb1, field="LIFNR"), _values(kna1, knb1, field="KUNNR"))
    snapshot = {"LFA1": frame(list(vendors.values()), LFA1), "KNA1": frame(list(customers.values()), KNA1),
                "LFB1": frame(read_keys(reader, LFB1, "LIFNR", vendors), LFB1),
                "KNB1": frame(read_keys(reader, KNB1, "KUNNR", customers), KNB1)}
    return dg.Output(snapshot, metadata={"vendors": len(vendors), "customers": len(customers),
                                         "api_calls": reader.counter.total - calls})


def _related(reader: SapReader, vendor_keys: set[str], customer_keys: set[str]) -> tuple[dict, dict]:
    """The vendors and customers given, plus every partner reachable through links and shared VAT numbers."""
    vendors: dict[str, dict] = {}
    customers: dict[str, dict] = {}
    new_vendors, new_customers, new_tax, seen_tax = set(vendor_keys), set(customer_keys), set(), set()
    while new_vendors or new_customers or new_tax:
        found_vendors = (read_keys(reader, LFA1, "LIFNR", new_vendors) + read_keys(reader, LFA1, "KUNNR", new_customers)
                         + read_keys(reader, LFA1, "STCEG", new_tax))
        found_customers = (read_keys(reader, KNA1, "KUNNR", new_customers)
                           + read_keys(reader, KNA1, "LIFNR", new_vendors) + read_keys(reader, KNA1, "STCEG", new_tax))
        seen_tax |= new_tax
        new_vendors, new_customers, new_tax = set(), set(), set()
        for row in found_vendors:
            if row["LIFNR"] not in vendors:
                vendors[row["LIFNR"]] = row
                new_customers.add(row["KUNNR"])
                new_tax.add(row["STCEG"])
        for row in found_customers:
            if row["KUNNR"] not in customers:
                customers[row["KUNNR"]] = row
                new_vendors.add(row["LIFNR"])
                new_tax.add(row["STCEG"])
        new_vendors = {key for key in new_vendors if key and key not in vendors}
        new_customers = {key for key in new_customers if key and key not in customers}
        new_tax = {tax for tax in new_tax if tax and tax not in seen_tax}
    return vendors, customers


@dg.asset(key=["sap_ecc", "purchase_order_snapshots"], group_name=GROUP, partitions_def=daily_partitions,
          ins={name: _IN[name] for name in ("ekko", "ekpo")}, kinds={"sap", "pandas"}, pool="sap_ecc_api",
          code_version="1", description="Every purchase order the day touched, whole: its EKKO header and all its "
                                        "EKPO items (totals need every item, not only the changed ones).")
def purchase_order_snapshots(sap_ecc: SapEccResource, ekko: pd.DataFrame,
                             ekpo: pd.DataFrame) -> dg.Output[dict[str, pd.DataFrame]]:
    reader = sap_ecc.session()
    calls = reader.counter.total
    orders = _values(ekko, ekpo, field="EBELN")
    snapshot = {"EKKO": frame(read_keys(reader, EKKO, "EBELN", orders), EKKO),
                "EKPO": frame(read_keys(reader, EKPO, "EBELN", orders), EKPO)}
    return dg.Output(snapshot, metadata={"purchase_orders": len(snapshot["EKKO"]), "items": len(snapshot["EKPO"]),
                                         "api_calls": reader.counter.total - calls})


def _values(*frames: pd.DataFrame, field: str) -> set[str]:
    return {value for f in frames if not f.empty for value in f[field].dropna() if value}


assets = [change_documents, *extract_assets, business_partner_snapshots, purchase_order_snapshots]
