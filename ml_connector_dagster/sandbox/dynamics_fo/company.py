"""The environment's set-up that entities validate against: legal entities (companies) and their accounting
currencies, the currencies table, customer groups. Like the Contoso demo data: USMF (manufacturing, US), USRT
(retail, US), DEMF (manufacturing, Germany)."""

COMPANIES = {"usmf": "USD", "usrt": "USD", "demf": "EUR"}
CURRENCIES = frozenset({"USD", "EUR", "CAD", "GBP", "MXN", "DKK", "CHF"})
# Country/regions (LogisticsAddressCountryRegion): F&O's id → its ISO 3166 code, which the address shows too.
COUNTRY_REGIONS = {"USA": "US", "CAN": "CA", "MEX": "MX", "DEU": "DE", "AUT": "AT", "FRA": "FR", "GBR": "GB",
                   "DNK": "DK", "CHE": "CH"}
CUSTOMER_GROUPS = {"usmf": frozenset({"10", "20", "30", "40", "90"}),
                   "usrt": frozenset({"10", "20", "30"}),
                   "demf": frozenset({"10", "20", "30", "40"})}
