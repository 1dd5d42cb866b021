"""Oracle EBS → Dynamics 365 Sales: account and contact payloads (pure mapping) and their loads (upserts by
external id), with the agreement checks. Accounts load before contacts, which bind to their parent account."""

from collections.abc import Iterator
from datetime import datetime

import dagster as dg
import pandas as pd
from ml_connector_dagster.assets.load import LoadTarget, TargetAssets, load_asset, mapped
from ml_connector_dagster.assets.oracle_ebs import extracts as oracle_ebs
from ml_connector_dagster.resources.dynamics_sales import DynamicsSalesResource
from ml_connector_dagster.resources.oracle_ebs import OracleEbsResource

from ml_connector_dagster.initial_load import MasterObject, SourceRead
from ml_connector_dagster.mapping import oracle_ebs_dynamics_sales as mapping
from ml_connector_dagster.mapping.common import MappingResult
from ml_connector_dagster.source_rows import SourceRows
from ml_connector_dagster.spool import Page, Spool

GROUP = "dynamics_sales"
PAIR = mapping.PAIR

ACCOUNT_PAYLOADS = dg.AssetKey([GROUP, "oracle_ebs_account_payloads"])
CONTACT_PAYLOADS = dg.AssetKey([GROUP, "oracle_ebs_contact_payloads"])
ACCOUNTS = LoadTarget(PAIR, "account", GROUP)
CONTACTS = LoadTarget(PAIR, "contact", GROUP)


def account_payloads(
    snapshot: dict[str, pd.DataFrame], rules: mapping.Rules, key_column: str, as_of: datetime
) -> MappingResult:
    rows = SourceRows()
    vendors = snapshot["po_vendors"]
    with_party = vendors if vendors.empty else vendors.dropna(subset=["PARTY_ID"])
    party_of_vendor = dict(zip(with_party.get("VENDOR_ID", ()), with_party.get("PARTY_ID", ()), strict=True))

    def of_party(row) -> str:
        return mapping.account_key(row["PARTY_ID"])

    result = mapping.map_accounts(
        rows.models(snapshot["hz_parties"], mapping.Party, of_party),
        rows.models(snapshot["hz_cust_accounts"], mapping.CustAccount, of_party),
        rows.models(snapshot["hz_party_sites"], mapping.PartySite, of_party),
        rows.models(snapshot["po_vendors"], mapping.Vendor, of_party),
        rows.models(
            snapshot["po_vendor_sites_all"],
            mapping.VendorSite,
            lambda row: mapping.account_key(party_of_vendor[row["VENDOR_ID"]]),
        ),
        rules,
        key_column=key_column,
        as_of=as_of,
    )
    return rows.reject_in(result)


def contact_payloads(contacts: pd.DataFrame, rules: mapping.Rules, key_column: str, as_of: datetime) -> MappingResult:
    rows = SourceRows()
    valid = rows.models(contacts, mapping.Contact, lambda row: mapping.contact_key(row["RELATIONSHIP_ID"]))
    return rows.reject_in(mapping.map_contacts(valid, rules, key_column=key_column, as_of=as_of))


def as_of(ebs: OracleEbsResource) -> datetime:
    """The moment whose end dates count: the EBS server's time now, in its own zone (its DATE columns carry none).
    The extracts read the source as it is now, so every run at a moment states one truth, whichever day it syncs:
    a rerun of an old day does not bring back a supplier a later day ended, and two days run at once agree. A day's
    end date is applied by the first run after it passes, which the day's own run (after the day ends) is."""
    return ebs.server_time(ebs.session().now())


def initial_load_objects(rules: mapping.Rules) -> list[MasterObject]:
    """Every party whole (its customer accounts, sites, supplier rows) as accounts; then the contacts of every
    organization, once every account they bind to is in. Both walk the parties in PARTY_ID order; a position is the
    last PARTY_ID of a loaded page."""

    def account_pages(read: SourceRead) -> Iterator[Page]:
        for party_ids in oracle_ebs.party_pages(read):
            snapshot = oracle_ebs.read_parties(read.session, read.resource, party_ids)
            yield Page(oracle_ebs.snapshot_frames(snapshot), party_ids[-1], len(party_ids))

    def contact_pages(read: SourceRead) -> Iterator[Page]:
        for party_ids in oracle_ebs.party_pages(read):
            rows = oracle_ebs.read_parties(read.session, read.resource, party_ids, ("hz_contacts",))["hz_contacts"]
            contacts = oracle_ebs.METHOD_TABLES["hz_contacts"].frame(rows)
            yield Page(contacts, party_ids[-1], len(contacts))

    return [
        MasterObject(
            "accounts",
            ACCOUNTS,
            account_pages,
            lambda snapshot, given: account_payloads(
                snapshot, rules, given.target.external_id_column, as_of(given.source)
            ),
            "Every EBS party, whole, upserted as a Dataverse account (customers, suppliers or both), whatever its "
            "change stamp.",
        ),
        MasterObject(
            "contacts",
            CONTACTS,
            contact_pages,
            lambda contacts, given: contact_payloads(
                contacts, rules, given.target.external_id_column, as_of(given.source)
            ),
            "The contacts of every EBS organization, upserted as Dataverse contacts bound to their account.",
        ),
    ]


def target_assets(partitions_def: dg.PartitionsDefinition, rules: mapping.Rules) -> TargetAssets:
    @dg.asset(
        key=ACCOUNT_PAYLOADS,
        group_name=GROUP,
        partitions_def=partitions_def,
        ins={"snapshot": dg.AssetIn(key=["oracle_ebs", "party_snapshots"])},
        kinds={"python"},
        code_version="3",
        description="Validated Dataverse account payloads for the parties that changed or whose supplier ended "
        "that day: customers, suppliers or both, active or not as of the EBS server's time, with billing address and "
        "parent account; invalid ones carry the reason.",
    )
    def oracle_ebs_account_payloads(
        snapshot: Spool,
        dynamics_sales: DynamicsSalesResource,
        oracle_ebs: OracleEbsResource,
    ) -> dg.Output[Spool]:
        moment = as_of(oracle_ebs)
        return mapped(snapshot, lambda page: account_payloads(page, rules, dynamics_sales.external_id_column, moment))

    @dg.asset(
        key=CONTACT_PAYLOADS,
        group_name=GROUP,
        partitions_def=partitions_def,
        ins={"contacts": dg.AssetIn(key=["oracle_ebs", "hz_contacts"])},
        kinds={"python"},
        code_version="4",
        description="Validated Dataverse contact payloads bound to their parent account, active or not as of the "
        "EBS server's time.",
    )
    def oracle_ebs_contact_payloads(
        contacts: Spool,
        dynamics_sales: DynamicsSalesResource,
        oracle_ebs: OracleEbsResource,
    ) -> dg.Output[Spool]:
        moment = as_of(oracle_ebs)
        return mapped(contacts, lambda page: contact_payloads(page, rules, dynamics_sales.external_id_column, moment))

    accounts = load_asset(
        ACCOUNTS,
        plural="accounts",
        payloads_key=ACCOUNT_PAYLOADS,
        partitions_def=partitions_def,
        kinds={"dynamics365"},
        description="EBS customers and suppliers upserted as Dataverse "
        "accounts by external id (UpsertMultiple), parents "
        "before children.",
    )
    contacts = load_asset(
        CONTACTS,
        plural="contacts",
        payloads_key=CONTACT_PAYLOADS,
        partitions_def=partitions_def,
        kinds={"dynamics365"},
        deps=[accounts.key],
        description="EBS organization contacts upserted as Dataverse contacts, bound to their parent account.",
    )
    return TargetAssets(
        [oracle_ebs_account_payloads, oracle_ebs_contact_payloads, accounts, contacts], [ACCOUNTS, CONTACTS]
    )
