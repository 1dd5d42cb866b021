"""States and provinces as F&O knows them (LogisticsAddressState), and the ways people write them: Salesforce's
BillingState is free text ("Massachusetts", "US-MA", "ma"), F&O's AddressState is a state id of at most 10 characters
that must exist for the address's country/region.

The id of a US state or territory, a Canadian province or territory and a German Land is the part of its ISO 3166-2
code after the hyphen (US-MA → MA). Guess: an environment set up from the Contoso demo data or the standard address
setup holds these ids; a pair's mapping rules can add or correct any (`states:`).
"""

from ml_connector_dagster.mapping.common import clean

# F&O country/region id → (its ISO 3166-1 alpha-2 code, {state id: the names people type for it}).
STATES: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {
    "USA": (
        "US",
        {
            "AL": ("Alabama",),
            "AK": ("Alaska",),
            "AZ": ("Arizona",),
            "AR": ("Arkansas",),
            "CA": ("California",),
            "CO": ("Colorado",),
            "CT": ("Connecticut",),
            "DE": ("Delaware",),
            "DC": ("District of Columbia", "Washington DC"),
            "FL": ("Florida",),
            "GA": ("Georgia",),
            "HI": ("Hawaii",),
            "ID": ("Idaho",),
            "IL": ("Illinois",),
            "IN": ("Indiana",),
            "IA": ("Iowa",),
            "KS": ("Kansas",),
            "KY": ("Kentucky",),
            "LA": ("Louisiana",),
            "ME": ("Maine",),
            "MD": ("Maryland",),
            "MA": ("Massachusetts",),
            "MI": ("Michigan",),
            "MN": ("Minnesota",),
            "MS": ("Mississippi",),
            "MO": ("Missouri",),
            "MT": ("Montana",),
            "NE": ("Nebraska",),
            "NV": ("Nevada",),
            "NH": ("New Hampshire",),
            "NJ": ("New Jersey",),
            "NM": ("New Mexico",),
            "NY": ("New York",),
            "NC": ("North Carolina",),
            "ND": ("North Dakota",),
            "OH": ("Ohio",),
            "OK": ("Oklahoma",),
            "OR": ("Oregon",),
            "PA": ("Pennsylvania",),
            "RI": ("Rhode Island",),
            "SC": ("South Carolina",),
            "SD": ("South Dakota",),
            "TN": ("Tennessee",),
            "TX": ("Texas",),
            "UT": ("Utah",),
            "VT": ("Vermont",),
            "VA": ("Virginia",),
            "WA": ("Washington",),
            "WV": ("West Virginia",),
            "WI": ("Wisconsin",),
            "WY": ("Wyoming",),
            "AS": ("American Samoa",),
            "GU": ("Guam",),
            "MP": ("Northern Mariana Islands",),
            "PR": ("Puerto Rico",),
            "VI": ("U.S. Virgin Islands", "Virgin Islands"),
            "UM": ("U.S. Minor Outlying Islands", "United States Minor Outlying Islands"),
        },
    ),
    "CAN": (
        "CA",
        {
            "AB": ("Alberta",),
            "BC": ("British Columbia",),
            "MB": ("Manitoba",),
            "NB": ("New Brunswick",),
            "NL": ("Newfoundland and Labrador", "Newfoundland"),
            "NS": ("Nova Scotia",),
            "NT": ("Northwest Territories",),
            "NU": ("Nunavut",),
            "ON": ("Ontario",),
            "PE": ("Prince Edward Island",),
            "QC": ("Quebec", "Québec"),
            "SK": ("Saskatchewan",),
            "YT": ("Yukon", "Yukon Territory"),
        },
    ),
    "DEU": (
        "DE",
        {
            "BW": ("Baden-Württemberg",),
            "BY": ("Bayern", "Bavaria"),
            "BE": ("Berlin",),
            "BB": ("Brandenburg",),
            "HB": ("Bremen",),
            "HH": ("Hamburg",),
            "HE": ("Hessen", "Hesse"),
            "MV": ("Mecklenburg-Vorpommern",),
            "NI": ("Niedersachsen", "Lower Saxony"),
            "NW": ("Nordrhein-Westfalen", "North Rhine-Westphalia"),
            "RP": ("Rheinland-Pfalz", "Rhineland-Palatinate"),
            "SL": ("Saarland",),
            "SN": ("Sachsen", "Saxony"),
            "ST": ("Sachsen-Anhalt", "Saxony-Anhalt"),
            "SH": ("Schleswig-Holstein",),
            "TH": ("Thüringen", "Thuringia"),
        },
    ),
}


def fold(text: str) -> str:
    """What two spellings of one state share: case, spacing, dots and hyphens do not count (`Washington D.C.`,
    `washington dc`; `US-MA`, `us ma`)."""
    return " ".join((clean(text) or "").replace(".", "").replace("-", " ").split()).casefold()


class StateIds:
    """Free-text state → F&O state id, per country/region: names, ISO 3166-2 codes (`US-MA`) and ids (`MA`), any case
    and spacing; `overrides` (country/region id → {text: state id}) add to the table or correct it."""

    def __init__(self, overrides: dict[str, dict[str, str]] | None = None):
        self._ids: dict[str, dict[str, str]] = {}
        for region, (iso, states) in STATES.items():
            known = self._ids.setdefault(region, {})
            for state_id, names in states.items():
                for text in (state_id, f"{iso}-{state_id}", *names):
                    known[fold(text)] = state_id
        for region, given in (overrides or {}).items():
            known = self._ids.setdefault(region.upper(), {})
            for text, state_id in given.items():
                known[fold(text)] = state_id

    def state_id(self, region: str, text: str) -> str | None:
        """The state id of `text` in `region`, None when the table does not know it."""
        return self._ids.get(region.upper(), {}).get(fold(text))

    def regions(self) -> set[str]:
        return set(self._ids)
