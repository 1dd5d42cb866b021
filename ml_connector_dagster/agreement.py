"""Whether a target agrees with its source, record by record: the demo's last word and the e2e tests' check.

`Agreement` is one object's verdict. `salesforce_to_dynamics_fo` reads the whole Salesforce org and the whole F&O
environment: every won deal and activated order must be exactly one F&O order with the same customer and lines and
show that order's number; every new account must be its F&O customer and carry that customer's key, unless the
record waits in dead letters with its reason. `jde_and_zoho_crm` compares both sides of the JD Edwards ↔ Zoho CRM
pair whole, field by field; `oracle_ebs_and_procore` both directions of Oracle EBS ↔ Procore.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.loading import TargetRecord
from ml_connector_dagster.mapping import salesforce_dynamics_fo as mapping
from ml_connector_dagster.mapping.common import MappingResult
from ml_connector_dagster.materialize import frame_models
from ml_connector_dagster.settings import Settings


@dataclass
class Agreement:
    object: str
    expected: int
    in_target: int
    dead_letters: int
    missing: list[str]
    different: list[str]
    unexpected: list[str]

    @property
    def agrees(self) -> bool:
        return not (self.missing or self.different or self.unexpected)


def judge(
    name: str,
    expected: MappingResult,
    dead: set[str],
    find: Callable[[TargetRecord], object | None],
    differs: Callable[[TargetRecord, object], bool],
    unexpected: list[str],
) -> Agreement:
    """Each expected record is in the target as mapped, or waits in dead letters; so is each rejected one. A record
    that may only update (inactive at the source) may be absent: the connector never creates it. One that waits may
    be in the target as it was before (the update the target refused, a move it could not make)."""
    missing, different, found = [], [], 0
    for record in expected.records:
        row = find(record)
        if row is None:
            if record.source_key not in dead and not record.update_only:
                missing.append(record.source_key)
            continue
        found += 1
        if record.source_key not in dead and differs(record, row):
            different.append(record.source_key)
    missing += [r.source_key for r in expected.rejected if r.source_key not in dead]
    known = {r.source_key for r in expected.records} | {r.source_key for r in expected.rejected}
    return Agreement(name, len(known), found, len(known & dead), missing, different, unexpected)


def salesforce_to_dynamics_fo(config: Settings, resources: dict, ledger: Ledger) -> list[Agreement]:
    from ml_connector_dagster.assets.salesforce import (
        extracts,  # the extracts' own reads, over the whole org (no window)
    )

    rules = mapping.load_pair_rules(config.mapping_file(mapping.PAIR))
    with resources["salesforce"].open() as salesforce, resources["dynamics_fo"].open() as fo:
        opportunities = extracts.read_won_opportunities(salesforce, None)
        orders = extracts.read_activated_orders(salesforce, None)
        key = salesforce.key_field("Account")
        accounts = [
            mapping.Account.model_validate({**row, "ErpKey": row.get(key)})
            for row in salesforce.query(f"SELECT {', '.join(extracts.ACCOUNT_FIELDS)}, {key} FROM Account")
        ]
        deals = frame_models(opportunities, mapping.Deal) + frame_models(orders, mapping.Deal)
        expected = mapping.map_sales_orders(
            deals,
            frame_models(extracts.read_lines(salesforce, opportunities, orders), mapping.DealLine),
            accounts,
            rules,
        )
        number_field = resources["salesforce"].order_number_field
        shown = {
            row["Id"]: row.get(number_field)
            for sobject in ("Opportunity", "Order")
            for row in salesforce.query(f"SELECT Id, {number_field} FROM {sobject}")
        }
        held = [
            row
            for row in fo.rows(mapping.SALES_ORDERS, expand=("SalesOrderLines",))
            if row["CustomersOrderReference"][:3] in mapping.WRITE_BACK_OBJECTS
        ]
        # Accounts this flow made customers of carry their customer's key now; map them as the new accounts they were.
        made = [
            account.model_copy(update={"ErpKey": None})
            for account in accounts
            if not account.ErpKey or mapping.account_id_of(account.ErpKey.partition("/")[2], rules) == account.Id
        ]
        customers = mapping.map_customers(made, rules)
        present = {
            (row["dataAreaId"].lower(), row["CustomerAccount"].upper()): row
            for row in fo.rows(mapping.CUSTOMERS)
            if row["CustomerAccount"].startswith(rules.customer_account_prefix)
        }
    dead_orders = ledger.dead_letter_keys(mapping.PAIR, mapping.SALES_ORDERS)
    dead_customers = ledger.dead_letter_keys(mapping.PAIR, mapping.CUSTOMERS)
    return [
        _orders(expected, held, shown, dead_orders),
        _customers(customers, present, {a.Id: a.ErpKey for a in accounts}, dead_customers),
    ]


def _orders(expected: MappingResult, held: list[dict], shown: dict[str, str | None], dead: set[str]) -> Agreement:
    by_reference = {row["CustomersOrderReference"]: row for row in held}
    copies = Counter(row["CustomersOrderReference"] for row in held)

    def differs(record: TargetRecord, order: dict) -> bool:
        lines = sorted(_line(line) for line in record.payload["lines"])
        return (
            lines != sorted(_line(line) for line in order.get("SalesOrderLines", []))
            or copies[record.source_key] > 1
            or shown.get(record.source_key) != f"{order['dataAreaId']}/{order['SalesOrderNumber']}"
            or order["OrderingCustomerAccountNumber"].upper()
            != record.payload["header"]["OrderingCustomerAccountNumber"].upper()
        )

    known = {r.source_key for r in expected.records} | {r.source_key for r in expected.rejected}
    return judge(
        "salesforce SalesOrderHeadersV2",
        expected,
        dead,
        lambda r: by_reference.get(r.source_key),
        differs,
        sorted(set(by_reference) - known),
    )


def _line(line: dict) -> tuple:
    return (
        line["ItemNumber"].upper(),
        float(line["OrderedSalesQuantity"]),
        float(line["SalesPrice"]),
        float(line.get("LineDiscountPercentage", 0)),
    )


def _customers(
    expected: MappingResult, present: dict[tuple[str, str], dict], erp_keys: dict[str, str | None], dead: set[str]
) -> Agreement:
    fields = ("OrganizationName", "CustomerGroupId", "SalesCurrencyCode", "AddressCountryRegionId")

    def key(record: TargetRecord) -> tuple[str, str]:
        return record.payload["dataAreaId"].lower(), record.payload["CustomerAccount"].upper()

    def differs(record: TargetRecord, row: dict) -> bool:
        linked = f"{record.payload['dataAreaId']}/{record.payload['CustomerAccount']}"
        return erp_keys.get(record.source_key) != linked or any(row[f] != record.payload[f] for f in fields)

    made = {key(record) for record in expected.records}
    return judge(
        "salesforce CustomersV3",
        expected,
        dead,
        lambda r: present.get(key(r)),
        differs,
        sorted(f"{c}/{n}" for c, n in set(present) - made),
    )


def jde_and_zoho_crm(config: Settings, resources: dict, ledger: Ledger) -> list[Agreement]:
    """Both sides of the two-way pair, whole: every JDE customer and supplier is one Zoho Account carrying its address
    number, and every who's-who line one Contact carrying its key, with the same shared values field by field (both
    sides hold what the ownership rules settled on, so after a sync they are equal); every Zoho account JDE should
    hold carries its JDE key; unless a record waits in dead letters with its reason. A value one side cannot hold
    (an industry without a SIC code in the rules) is not compared."""
    from ml_connector_dagster.assets.zoho_crm.jde import address_book, address_book_pages
    from ml_connector_dagster.initial_load import SourceRead
    from ml_connector_dagster.mapping import jde_zoho_crm as shared
    from ml_connector_dagster.mapping import zoho_crm_jde as reverse

    rules = shared.load_pair_rules(config.mapping_file(shared.PAIR))
    jde_resource = resources["jde"]
    with jde_resource.open() as jde, resources["zoho_crm"].open() as zoho:
        entries = {}
        for page in address_book_pages(SourceRead(jde_resource, jde, None, 500)):
            entries.update(address_book(page.rows))
        ever, soon = datetime(1970, 1, 1, tzinfo=UTC), datetime.now(UTC) + timedelta(days=1)
        accounts = list(zoho.modified_between(shared.ACCOUNTS, shared.ACCOUNT_FIELDS_READ, ever, soon))
        contacts = list(zoho.modified_between(shared.CONTACTS, shared.CONTACT_FIELDS_READ, ever, soon))
    synced = {an8: e for an8, e in entries.items() if (e.book.AT1 or "").strip() in rules.search_types}
    as_of = datetime.now(ZoneInfo(jde_resource.server_time_zone)).date()
    expected_accounts = MappingResult(
        [
            TargetRecord(shared.account_key(an8), shared.account_from_jde(entry, rules, as_of=as_of))
            for an8, entry in synced.items()
        ]
    )
    expected_contacts = MappingResult(
        [
            TargetRecord(shared.contact_key(an8, line.IDLN), shared.contact_from_jde(entry, line))
            for an8, entry in synced.items()
            for line in entry.lines
            if line.IDLN
        ]
    )
    waiting_in_zoho = ledger.dead_letter_keys(reverse.PAIR, reverse.CUSTOMERS)
    new_without_key = sorted(
        str(a["id"])
        for a in accounts
        if not a.get(shared.ACCOUNT_KEY_FIELD)
        and shared.account_from_zoho(a)["account_type"] in rules.new_account_types
        and str(a["id"]) not in waiting_in_zoho
    )
    linked_accounts = {str(a["id"]) for a in accounts if a.get(shared.ACCOUNT_KEY_FIELD)}
    return [
        _two_way(
            "jde ↔ zoho_crm Accounts",
            expected_accounts,
            accounts,
            shared.ACCOUNT_KEY_FIELD,
            shared.account_from_zoho,
            ledger.dead_letter_keys(shared.PAIR, shared.ACCOUNTS),
            new_without_key,
        ),
        _two_way(
            "jde ↔ zoho_crm Contacts",
            expected_contacts,
            contacts,
            shared.CONTACT_KEY_FIELD,
            shared.contact_from_zoho,
            ledger.dead_letter_keys(shared.PAIR, shared.CONTACTS),
            sorted(
                str(c["id"])
                for c in contacts
                if not c.get(shared.CONTACT_KEY_FIELD)
                and str((c.get("Account_Name") or {}).get("id")) in linked_accounts
                and str(c["id"]) not in ledger.dead_letter_keys(reverse.PAIR, reverse.CONTACTS)
            ),
        ),
    ]


def _two_way(name, expected: MappingResult, records, key_field, shared_of, dead: set[str], without_key) -> Agreement:
    by_key: dict[str, list[dict]] = {}
    for record in records:
        if record.get(key_field):
            by_key.setdefault(str(record[key_field]), []).append(record)

    def differs(expected_record: TargetRecord, found: list[dict]) -> bool:
        held = shared_of(found[0])
        return len(found) > 1 or any(
            held.get(field) != value
            for field, value in expected_record.payload.items()
            if not (field == "industry" and value is None)
        )

    known = {record.source_key for record in expected.records}
    unexpected = sorted(key for key in by_key if key not in known) + list(without_key)
    return judge(name, expected, dead, lambda r: by_key.get(r.source_key), differs, unexpected)


def oracle_ebs_and_procore(config: Settings, resources: dict, ledger: Ledger) -> list[Agreement]:
    """Both directions of Oracle EBS ↔ Procore, whole. Every supplier, job-cost combination (with its division) and
    purchase order EBS holds, mapped afresh, is one Procore record carrying its EBS key as origin_id, with the same
    values, in the project the rules give it (contracts: with their line items on the right cost codes); no record
    of the connector's is anywhere else. Every approved requisition and change order in Procore is in EBS as
    journals that add up to what it costs, nothing more, unless a record waits in dead letters with its reason."""
    from ml_connector_dagster.assets.oracle_ebs import extracts as ebs_extracts
    from ml_connector_dagster.assets.oracle_ebs.procore import journal_payloads
    from ml_connector_dagster.assets.procore import extracts as procore_extracts
    from ml_connector_dagster.assets.procore.oracle_ebs import linked
    from ml_connector_dagster.mapping import oracle_ebs_procore as forward
    from ml_connector_dagster.mapping import procore_oracle_ebs as journals
    from ml_connector_dagster.mapping.oracle_ebs import Vendor, VendorSite

    rules = forward.load_pair_rules(config.mapping_file(forward.PAIR))
    ebs_resource = resources["oracle_ebs"]
    with ebs_resource.open() as ebs, resources["procore"].open() as procore:
        as_of = ebs_resource.server_time(ebs.now())
        ever, soon = datetime(1900, 1, 1, tzinfo=UTC), datetime.now(UTC) + timedelta(days=1)
        vendors = forward.map_vendors(
            [Vendor.model_validate(row) for row in ebs.read_window("GET_VENDORS", ever, soon)],
            [VendorSite.model_validate(row) for row in ebs.read_window("GET_VENDOR_SITES", ever, soon)],
            rules,
            as_of=as_of,
        )
        combinations = [
            forward.CodeCombination.model_validate(row)
            for row in _every(ebs, "GET_CODE_COMBINATIONS", "P_AFTER_CCID", "CODE_COMBINATION_ID")
        ]
        cost_codes = forward.map_cost_codes(
            combinations, rules, as_of=as_of, linked=linked(ledger, forward.COST_CODES), in_procore={}
        ).result
        orders = list(_every(ebs, "GET_PURCHASE_ORDERS", "P_AFTER_PO_HEADER_ID", "PO_HEADER_ID"))
        contracts = forward.map_purchase_orders(
            [forward.PurchaseOrder.model_validate(row) for row in orders],
            [
                forward.Distribution.model_validate(row)
                for row in ebs_extracts.read_distributions(ebs, [row["PO_HEADER_ID"] for row in orders])
            ],
            rules,
            contracts=linked(ledger, forward.CONTRACTS),
        )
        projects = sorted(rules.projects.values())
        held_vendors = list(procore.vendors())
        held_codes = {project: list(procore.cost_codes(project)) for project in projects}
        held_contracts = {
            project: [
                {**contract, "line_items": list(procore.contract_line_items(project, contract["id"]))}
                for contract in procore.contracts(project)
            ]
            for project in projects
        }
        costs = [
            journals.requisition_cost(
                {**procore_extracts.requisition_with_items(procore, project, row), "project_id": project}
            )
            for project in projects
            for row in procore.requisitions(project)
        ] + [
            journals.change_order_cost(
                {**procore_extracts.change_order_with_lines(procore, project, row), "project_id": project}
            )
            for project in projects
            for row in procore.change_orders(project)
        ]
        posted = journal_payloads(costs, ebs, ledger, rules)
    origin_of = _origins(held_vendors, held_codes)
    return [
        _procore_records(
            "oracle_ebs → procore vendors", vendors, {None: held_vendors}, origin_of, ledger, forward.VENDORS
        ),
        _procore_records(
            "oracle_ebs → procore cost_codes", cost_codes, held_codes, origin_of, ledger, forward.COST_CODES
        ),
        _procore_records(
            "oracle_ebs → procore purchase_order_contracts",
            contracts,
            held_contracts,
            origin_of,
            ledger,
            forward.CONTRACTS,
        ),
        judge(
            "procore → oracle_ebs gl_journals",
            posted,
            ledger.dead_letter_keys(journals.PAIR, journals.JOURNALS),
            lambda record: record if record.agrees_with_target() else None,
            lambda record, found: False,
            [],
        ),
    ]


def _every(service, method: str, after_param: str, key: str):
    after = "0"
    while True:
        rows, more = service.rows_after(method, after_param, after, 1000)
        yield from rows
        if not rows or not more:
            return
        after = rows[-1][key]


def _origins(vendors: list[dict], codes: dict[int, list[dict]]) -> dict[tuple[str, int], str | None]:
    """(object, Procore id) → the origin_id Procore holds on it: what a reference of the connector's resolves to."""
    found = {("vendors", v["id"]): v.get("origin_id") for v in vendors}
    found.update({("cost_codes", c["id"]): c.get("origin_id") for rows in codes.values() for c in rows})
    return found


def _procore_records(name, expected: MappingResult, held: dict, origin_of: dict, ledger: Ledger, target_object: str):
    from ml_connector_dagster.mapping.oracle_ebs_procore import PAIR

    where: dict[str, list[tuple[int | None, dict]]] = {}
    for project, rows in held.items():
        for row in rows:
            if row.get("origin_id") and not row.get("deleted_at"):
                where.setdefault(str(row["origin_id"]), []).append((project, row))

    def find(record: TargetRecord):
        places = where.get(record.source_key, [])
        return places or None

    def differs(record: TargetRecord, places: list) -> bool:
        wanted_project = record.payload.get("project_id")
        if len(places) != 1 or (wanted_project is not None and places[0][0] != wanted_project):
            return True
        return _differs(record.payload, places[0][1], origin_of)

    known = {r.source_key for r in expected.records} | {r.source_key for r in expected.rejected}
    excluded = {e.source_key for e in expected.excluded}
    unexpected = sorted(key for key in where if key not in known and key not in excluded)
    return judge(name, expected, ledger.dead_letter_keys(PAIR, target_object), find, differs, unexpected)


def _differs(payload: dict, row: dict, origin_of: dict) -> bool:
    for field, value in payload.items():
        if field in ("project_id", "moved_from"):
            continue
        held = row.get(field)
        if field == "line_items":
            lines = {str(line.get("origin_id")): line for line in held or []}
            if set(lines) != {line["origin_id"] for line in value} or any(
                _differs({k: v for k, v in line.items() if k != "origin_id"}, lines[line["origin_id"]], origin_of)
                for line in value
            ):
                return True
        elif isinstance(value, dict) and "origin_id" in value:
            obj = "vendors" if field == "vendor_id" else "cost_codes"
            nested = row.get(field.removesuffix("_id"))
            procore_id = held if held is not None else nested.get("id") if isinstance(nested, dict) else None
            if origin_of.get((obj, procore_id)) != value["origin_id"]:
                return True
        elif _plain(held) != _plain(value):
            return True
    return False


def _plain(value) -> object:
    """A value as both sides can say it: numbers as Decimal (`1255.0` is `1255.00`), blanks as None."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return value
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return value
