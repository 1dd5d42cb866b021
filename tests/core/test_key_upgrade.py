"""The first external-id format's keys, as `ml-connector upgrade-keys` maps them onto today's (key_upgrade.py)."""

import pytest

from ml_connector_dagster.key_upgrade import upgraded
from ml_connector_dagster.mapping import oracle_ebs_dynamics_sales as ebs
from ml_connector_dagster.mapping import sap_ecc_dynamics_sales as sap


@pytest.mark.parametrize(
    "first, today",
    [
        ("oracle_ebs:party:1001", ebs.account_key("1001")),
        ("oracle_ebs:contact:77", ebs.contact_key("77")),
        ("sap_ecc:vendor:100001", sap.vendor_key("0000100001")),
        ("sap_ecc:customer:CU/01", sap.customer_key("CU/01")),
        ("sap_ecc:customer:A:B&C", sap.customer_key("A:B&C")),
        ("sap_ecc:po:4500000001", sap.order_key("4500000001")),
        ("sap_ecc:po_item:4500000001/00010", sap.item_key("4500000001", "00010")),
        ("sap_ecc:po_item:PO/7/00020", sap.item_key("PO/7", "00020")),
    ],
)
def test_a_first_format_key_becomes_the_id_todays_mapping_gives_the_same_record(first, today):
    assert upgraded(first) == today


@pytest.mark.parametrize("key", ["oracle_ebs.party.1001", "sap_ecc.customer.CU~2F01", "acct-1", "unknown:x:1", "a:b"])
def test_what_is_not_a_first_format_key_is_left_alone(key):
    assert upgraded(key) is None
