"""Oracle EBS extract assets: one per source table (a day of LAST_UPDATE_DATE per partition), and the party
snapshots that re-read every party those windows touched, whole, for the account mapping.

The extracts are change detection and lineage: each says which rows of its table changed that day. An account
needs a party's rows from five tables that change on different days, so `party_snapshots` reads all of them for
the parties any window touched (by PARTY_ID, 1,000 parties per call).
"""

from dataclasses import dataclass
from datetime import timedelta

import dagster as dg
import pandas as pd
from pydantic import Field

from ml_connector_dagster.partitions import daily_partitions
from ml_connector_dagster.resources.oracle_ebs import OracleEbsResource

GROUP = "oracle_ebs"
MAX_KEYS_PER_CALL = 1000


class ExtractConfig(dg.Config):
    overlap_minutes: int = Field(default=15, ge=0, le=24 * 60, description="Read this far before the window start "
                                 "too, for rows committed late with an earlier LAST_UPDATE_DATE")


@dataclass(frozen=True)
class Extract:
    table: str
    method: str
    key: str
    description: str


EXTRACTS = (
    Extract("hz_parties", "GET_PARTIES", "PARTY_ID", "HZ_PARTIES (organizations and persons) with the parent party "
                                                    "of the customer hierarchy"),
    Extract("hz_cust_accounts", "GET_CUST_ACCOUNTS", "CUST_ACCOUNT_ID", "HZ_CUST_ACCOUNTS"),
    Extract("hz_party_sites", "GET_PARTY_SITES", "PARTY_SITE_ID", "HZ_PARTY_SITES with HZ_LOCATIONS, the account "
                                                                  "site in the operating unit and its site uses"),
    Extract("hz_contacts", "GET_CONTACTS", "RELATIONSHIP_ID", "HZ_RELATIONSHIPS (CONTACT_OF) with the person, "
                                                              "HZ_ORG_CONTACTS and primary HZ_CONTACT_POINTS"),
    Extract("po_vendors", "GET_VENDORS", "VENDOR_ID", "PO_VENDORS (AP_SUPPLIERS)"),
    Extract("po_vendor_sites_all", "GET_VENDOR_SITES", "VENDOR_SITE_ID", "PO_VENDOR_SITES_ALL in the operating unit"),
)
_BY_TABLE = {extract.table: extract for extract in EXTRACTS}


def _method_params(extract: Extract, oracle_ebs: OracleEbsResource) -> dict[str, str]:
    return {"P_PARENT_REL_CODE": oracle_ebs.parent_relationship_code} if extract.method == "GET_PARTIES" else {}


def _frame(rows: list[dict], extract: Extract) -> pd.DataFrame:
    frame = pd.DataFrame(rows, dtype=object)
    if frame.empty:
        return frame
    # Overlapping windows and offset paging over rows edited mid-read can repeat a row; its last version wins.
    return frame.drop_duplicates(subset=[extract.key], keep="last").reset_index(drop=True)


def _extract_asset(extract: Extract) -> dg.AssetsDefinition:
    @dg.asset(
        key=["oracle_ebs", extract.table], group_name=GROUP, partitions_def=daily_partitions,
        description=f"{extract.description}: rows whose change stamp falls in the partition's day "
                    f"(service method {extract.method}).",
        kinds={"oracle", "pandas"}, pool="oracle_ebs_api", code_version="1",
    )
    def _asset(context: dg.AssetExecutionContext, config: ExtractConfig,
               oracle_ebs: OracleEbsResource) -> dg.Output[pd.DataFrame]:
        window = context.partition_time_window
        start = window.start - timedelta(minutes=config.overlap_minutes)
        service = oracle_ebs.session()
        calls_before = service.counter.total
        rows = list(service.read_window(extract.method, start, window.end, **_method_params(extract, oracle_ebs)))
        frame = _frame(rows, extract)
        return dg.Output(frame, metadata={
            "source_rows": len(frame), "api_calls": service.counter.total - calls_before,
            "window_start": start.isoformat(), "window_end": window.end.isoformat(),
        })

    return _asset


extract_assets = [_extract_asset(extract) for extract in EXTRACTS]

SNAPSHOT_TABLES = ("hz_parties", "hz_cust_accounts", "hz_party_sites", "po_vendors", "po_vendor_sites_all")


@dg.asset(
    key=["oracle_ebs", "party_snapshots"], group_name=GROUP, partitions_def=daily_partitions,
    ins={table: dg.AssetIn(key=["oracle_ebs", table]) for table in SNAPSHOT_TABLES},
    description="Every party touched by the day's windows (party, customer account, site, vendor, vendor site), "
                "re-read whole by PARTY_ID: the complete input of the account mapping.",
    kinds={"oracle", "pandas"}, pool="oracle_ebs_api", code_version="1",
)
def party_snapshots(context: dg.AssetExecutionContext, oracle_ebs: OracleEbsResource, hz_parties: pd.DataFrame,
                    hz_cust_accounts: pd.DataFrame, hz_party_sites: pd.DataFrame, po_vendors: pd.DataFrame,
                    po_vendor_sites_all: pd.DataFrame) -> dg.Output[dict[str, pd.DataFrame]]:
    service = oracle_ebs.session()
    calls_before = service.counter.total
    party_ids = set()
    for frame in (hz_parties, hz_cust_accounts, hz_party_sites, po_vendors, po_vendor_sites_all):
        party_ids |= _column(frame, "PARTY_ID")
    ordered = sorted(party_ids, key=_numeric_first)
    snapshot = {}
    for table in SNAPSHOT_TABLES:
        extract = _BY_TABLE[table]
        rows = []
        for start in range(0, len(ordered), MAX_KEYS_PER_CALL):
            chunk = ",".join(ordered[start:start + MAX_KEYS_PER_CALL])
            rows += service.read_keys(extract.method, chunk, **_method_params(extract, oracle_ebs))
        snapshot[table] = _frame(rows, extract)
    return dg.Output(snapshot, metadata={"parties": len(ordered),
                                         "api_calls": service.counter.total - calls_before})


def _column(frame: pd.DataFrame, name: str) -> set:
    return set(frame[name].dropna()) if not frame.empty else set()


def _numeric_first(value: str) -> tuple:
    return (0, int(value), "") if value.isdigit() else (1, 0, value)
