"""Every pair's rules file: the packaged one loads; a bad one fails with each bad field named."""

import pytest

from ml_connector_dagster.mapping import (
    dynamics_fo_salesforce,
    oracle_ebs_dynamics_sales,
    salesforce_dynamics_fo,
    sap_ecc_dynamics_sales,
)
from ml_connector_dagster.mapping.common import RulesError


@pytest.mark.parametrize(
    "module,bad,named",
    [
        (
            oracle_ebs_dynamics_sales,
            "vendor_type_code: 99\naccount_type_by_party_type: {ORGANISATION: 3}\n",
            ("vendor_type_code", "ORGANISATION"),
        ),
        (
            sap_ecc_dynamics_sales,
            "payment_terms:\n  ZB30: 9\npurchase_orders_as: quote\n",
            ("payment_terms", "purchase_orders_as"),
        ),
        (
            dynamics_fo_salesforce,
            "on_hold_field: On Hold\naccount_type: 7\n",
            ("on_hold_field", "account_type"),
        ),
        (
            salesforce_dynamics_fo,
            "countries:\n  France: {legal_entity: frsi}\nlegal_entities:\n  frsi: {currency: euro}\n",
            ("countries", "country_region", "currency"),
        ),
    ],
)
def test_packaged_rules_load_and_bad_ones_name_the_field(module, bad, named, tmp_path):
    assert module.load_pair_rules() == module.Rules()
    path = tmp_path / "rules.yaml"
    path.write_text(bad)
    with pytest.raises(RulesError) as error:
        module.load_pair_rules(path)
    assert all(name in str(error.value) for name in named) and str(path) in str(error.value)
    path.write_text("unknown_rule: true\n")
    with pytest.raises(RulesError, match="unknown_rule"):
        module.load_pair_rules(path)
