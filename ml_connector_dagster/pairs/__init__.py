"""The pairs this code location syncs. Each module defines one `Pair`; this list is the only place that names
them (adding a pair: its module here, its assets and mapping, and one entry below)."""

from ml_connector_dagster.pairs import (
    dynamics_fo__salesforce,
    jde__zoho_crm,
    oracle_ebs__dynamics_sales,
    oracle_ebs__procore,
    procore__oracle_ebs,
    salesforce__dynamics_fo,
    sap_ecc__dynamics_sales,
    zoho_crm__jde,
)

PAIRS = (
    oracle_ebs__dynamics_sales.PAIR,
    sap_ecc__dynamics_sales.PAIR,
    dynamics_fo__salesforce.PAIR,
    salesforce__dynamics_fo.PAIR,
    jde__zoho_crm.PAIR,
    zoho_crm__jde.PAIR,
    oracle_ebs__procore.PAIR,
    procore__oracle_ebs.PAIR,
)
