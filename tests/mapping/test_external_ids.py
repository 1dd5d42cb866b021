"""External ids: what every record the connector writes is keyed by in its target (mapping/common.external_id)."""

import itertools

import pytest

from ml_connector_dagster.mapping.common import external_id, key_prefix
from ml_connector_dagster.mapping.sap_ecc_dynamics_sales import item_key

# Dataverse cannot address an alternate-key value holding any of these ("Define alternate keys using Power Apps")
UNADDRESSABLE = "/#<>*%&:\\?+"
NASTY = [*UNADDRESSABLE, " ", "'", '"', "é", "日", "🚀", "%41", "~", ".", "~2F", "\t", "\u00a0", "\u200b", ""]


@pytest.mark.parametrize("key", [f"A{c}1" for c in NASTY])
def test_an_external_id_holds_nothing_dataverse_cannot_address_whatever_the_source_key_holds(key):
    value = external_id("sap_ecc", "customer", key)
    assert not set(value) & set(UNADDRESSABLE), value
    assert value.startswith(key_prefix("sap_ecc")) and value.isprintable() and " " not in value


def test_external_ids_stay_readable():
    assert external_id("oracle_ebs", "party", 1001) == "oracle_ebs.party.1001"
    assert external_id("sap_ecc", "customer", "CU/01") == "sap_ecc.customer.CU~2F01"
    assert external_id("oracle_ebs", "party", "A&B 7") == "oracle_ebs.party.A~26B~207"
    assert external_id("sap_ecc", "vendor", "O'Brien-Müller") == "sap_ecc.vendor.O'Brien-Müller"
    assert item_key("4500000001", "00010") == "sap_ecc.po_item.4500000001.00010"


def test_no_two_source_keys_share_an_external_id():
    parts = ["a", "a.b", "b", "a~2Eb", "a b", "a ", "a~20", "%2F", "/", "~", "~7E", ""]
    keys = [(p,) for p in parts] + list(itertools.product(parts, repeat=2))
    ids = [external_id("sap_ecc", "po_item", *key) for key in keys]
    assert len(set(ids)) == len(keys)
    assert external_id("sap_ecc", "vendor", "1") != external_id("sap_ecc", "customer", "1")
    assert external_id("sap_ecc", "vendor", "1") != external_id("oracle_ebs", "vendor", "1")
