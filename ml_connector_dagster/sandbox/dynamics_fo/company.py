"""The environment's set-up that entities validate against: legal entities (companies) and their accounting
currencies, the currencies table, and the customer groups the environment starts with (CustomerGroups rows, which an
administrator can add to). Like the Contoso demo data: USMF (manufacturing, US), USRT (retail, US), DEMF
(manufacturing, Germany)."""

from ml_connector_dagster.mapping.address_states import STATES

COMPANIES = {"usmf": "USD", "usrt": "USD", "demf": "EUR"}
CURRENCIES = frozenset({"USD", "EUR", "CAD", "GBP", "MXN", "DKK", "CHF"})
# Country/regions (LogisticsAddressCountryRegion): F&O's id → its ISO 3166 code, which the address shows too.
COUNTRY_REGIONS = {
    "USA": "US",
    "CAN": "CA",
    "MEX": "MX",
    "DEU": "DE",
    "AUT": "AT",
    "FRA": "FR",
    "GBR": "GB",
    "DNK": "DK",
    "CHE": "CH",
}
# States (LogisticsAddressState) by country/region: the standard setup the connector's mapping knows too. A country
# without states here takes none.
ADDRESS_STATES = {region: frozenset(states) for region, (_, states) in STATES.items()}
# Guess: the descriptions, after the Contoso demo data's.
_GROUPS = {
    "10": "Wholesale customers",
    "20": "Major customers",
    "30": "Retail customers",
    "40": "Internet customers",
    "90": "Intercompany customers",
}
SEEDED_CUSTOMER_GROUPS = {
    company: {group: _GROUPS[group] for group in groups}
    for company, groups in (
        ("usmf", ("10", "20", "30", "40", "90")),
        ("usrt", ("10", "20", "30")),
        ("demf", ("10", "20", "30", "40")),
    )
}
