"""The ECC tables the connector reads (erp_sources.md §2.5), with their DDIC field names, types and lengths, and how
the Gateway service exposes each as an entity set. Values are stored as SAP stores them: CHAR/NUMC text (NUMC keys
with their leading zeros), DATS as YYYYMMDD, TIMS as HHMMSS, amounts as decimal text."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    ddic: str  # CHAR NUMC DATS TIMS CURR QUAN DEC CUKY UNIT LANG
    length: int
    label: str
    decimals: int = 0

    @property
    def edm(self) -> str:
        return {
            "DATS": "Edm.DateTime",
            "TIMS": "Edm.Time",
            "CURR": "Edm.Decimal",
            "QUAN": "Edm.Decimal",
            "DEC": "Edm.Decimal",
        }.get(self.ddic, "Edm.String")


@dataclass(frozen=True)
class Table:
    name: str
    keys: tuple[str, ...]
    fields: tuple[Field, ...]
    label: str

    @property
    def entity_set(self) -> str:
        return f"{self.name}Set"

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def _f(name: str, ddic: str, length: int, label: str, decimals: int = 0) -> Field:
    return Field(name, ddic, length, label, decimals)


_ADDRESS = (
    _f("NAME1", "CHAR", 35, "Name"),
    _f("NAME2", "CHAR", 35, "Name 2"),
    _f("STRAS", "CHAR", 35, "Street"),
    _f("ORT01", "CHAR", 35, "City"),
    _f("PSTLZ", "CHAR", 10, "Postal Code"),
    _f("REGIO", "CHAR", 3, "Region"),
    _f("LAND1", "CHAR", 3, "Country"),
    _f("TELF1", "CHAR", 16, "Telephone 1"),
    _f("STCD1", "CHAR", 16, "Tax Number 1"),
    _f("STCEG", "CHAR", 20, "VAT Registration No."),
    _f("ERDAT", "DATS", 8, "Created On"),
    _f("ERNAM", "CHAR", 12, "Created By"),
)

TABLES = {
    table.name: table
    for table in (
        Table(
            "LFA1",
            ("LIFNR",),
            (
                _f("MANDT", "CLNT", 3, "Client"),
                _f("LIFNR", "CHAR", 10, "Vendor"),
                *_ADDRESS,
                _f("KUNNR", "CHAR", 10, "Customer"),
                _f("LOEVM", "CHAR", 1, "Deletion Flag"),
                _f("SPERR", "CHAR", 1, "Posting Block"),
                _f("SPERM", "CHAR", 1, "Purchasing Block"),
            ),
            "Vendor Master (General Section)",
        ),
        Table(
            "LFB1",
            ("LIFNR", "BUKRS"),
            (
                _f("MANDT", "CLNT", 3, "Client"),
                _f("LIFNR", "CHAR", 10, "Vendor"),
                _f("BUKRS", "CHAR", 4, "Company Code"),
                _f("AKONT", "CHAR", 10, "Reconciliation Account"),
                _f("ZTERM", "CHAR", 4, "Terms of Payment"),
                _f("ERDAT", "DATS", 8, "Created On"),
                _f("LOEVM", "CHAR", 1, "Deletion Flag"),
                _f("SPERR", "CHAR", 1, "Posting Block"),
            ),
            "Vendor Master (Company Code)",
        ),
        Table(
            "KNA1",
            ("KUNNR",),
            (
                _f("MANDT", "CLNT", 3, "Client"),
                _f("KUNNR", "CHAR", 10, "Customer"),
                *_ADDRESS,
                _f("LIFNR", "CHAR", 10, "Vendor"),
                _f("LOEVM", "CHAR", 1, "Deletion Flag"),
                _f("AUFSD", "CHAR", 2, "Order Block"),
            ),
            "General Data in Customer Master",
        ),
        Table(
            "KNB1",
            ("KUNNR", "BUKRS"),
            (
                _f("MANDT", "CLNT", 3, "Client"),
                _f("KUNNR", "CHAR", 10, "Customer"),
                _f("BUKRS", "CHAR", 4, "Company Code"),
                _f("AKONT", "CHAR", 10, "Reconciliation Account"),
                _f("ZTERM", "CHAR", 4, "Terms of Payment"),
                _f("ERDAT", "DATS", 8, "Created On"),
                _f("LOEVM", "CHAR", 1, "Deletion Flag"),
            ),
            "Customer Master (Company Code)",
        ),
        Table(
            "EKKO",
            ("EBELN",),
            (
                _f("MANDT", "CLNT", 3, "Client"),
                _f("EBELN", "CHAR", 10, "Purchasing Document"),
                _f("BUKRS", "CHAR", 4, "Company Code"),
                _f("BSTYP", "CHAR", 1, "Document Category"),
                _f("BSART", "CHAR", 4, "Document Type"),
                _f("LOEKZ", "CHAR", 1, "Deletion Indicator"),
                _f("AEDAT", "DATS", 8, "Created On"),
                _f("ERNAM", "CHAR", 12, "Created By"),
                _f("LIFNR", "CHAR", 10, "Vendor"),
                _f("ZTERM", "CHAR", 4, "Terms of Payment"),
                _f("EKORG", "CHAR", 4, "Purchasing Org."),
                _f("WAERS", "CUKY", 5, "Currency"),
                _f("BEDAT", "DATS", 8, "Document Date"),
            ),
            "Purchasing Document Header",
        ),
        Table(
            "EKPO",
            ("EBELN", "EBELP"),
            (
                _f("MANDT", "CLNT", 3, "Client"),
                _f("EBELN", "CHAR", 10, "Purchasing Document"),
                _f("EBELP", "NUMC", 5, "Item"),
                _f("LOEKZ", "CHAR", 1, "Deletion Indicator"),
                _f("AEDAT", "DATS", 8, "Changed On"),
                _f("TXZ01", "CHAR", 40, "Short Text"),
                _f("MATNR", "CHAR", 18, "Material"),
                _f("WERKS", "CHAR", 4, "Plant"),
                _f("MENGE", "QUAN", 13, "PO Quantity", 3),
                _f("MEINS", "UNIT", 3, "Order Unit"),
                _f("NETPR", "CURR", 11, "Net Price", 2),
                _f("PEINH", "DEC", 5, "Price Unit"),
                _f("NETWR", "CURR", 13, "Net Order Value", 2),
            ),
            "Purchasing Document Item",
        ),
        Table(
            "CDHDR",
            ("OBJECTCLAS", "OBJECTID", "CHANGENR"),
            (
                _f("MANDANT", "CLNT", 3, "Client"),
                _f("OBJECTCLAS", "CHAR", 15, "Object Class"),
                _f("OBJECTID", "CHAR", 90, "Object Value"),
                _f("CHANGENR", "CHAR", 10, "Document Number"),
                _f("USERNAME", "CHAR", 12, "User"),
                _f("UDATE", "DATS", 8, "Date"),
                _f("UTIME", "TIMS", 6, "Time"),
                _f("TCODE", "CHAR", 20, "Transaction Code"),
                _f("CHANGE_IND", "CHAR", 1, "Change Indicator"),
            ),
            "Change Document Header",
        ),
        Table(
            "CDPOS",
            ("OBJECTCLAS", "OBJECTID", "CHANGENR", "TABNAME", "TABKEY", "FNAME", "CHNGIND"),
            (
                _f("MANDANT", "CLNT", 3, "Client"),
                _f("OBJECTCLAS", "CHAR", 15, "Object Class"),
                _f("OBJECTID", "CHAR", 90, "Object Value"),
                _f("CHANGENR", "CHAR", 10, "Document Number"),
                _f("TABNAME", "CHAR", 30, "Table Name"),
                _f("TABKEY", "CHAR", 70, "Table Key"),
                _f("FNAME", "CHAR", 30, "Field Name"),
                _f("CHNGIND", "CHAR", 1, "Change Type"),
                _f("VALUE_NEW", "CHAR", 254, "New Value"),
                _f("VALUE_OLD", "CHAR", 254, "Old Value"),
            ),
            "Change Document Items",
        ),
    )
}

# Change-document object classes of the edited tables (SCDO): vendor KRED, customer DEBI, purchase order EINKBELEG.
OBJECT_CLASSES = {
    "LFA1": "KRED",
    "LFB1": "KRED",
    "KNA1": "DEBI",
    "KNB1": "DEBI",
    "EKKO": "EINKBELEG",
    "EKPO": "EINKBELEG",
}
TCODES = {"KRED": "XK02", "DEBI": "XD02", "EINKBELEG": "ME22N"}


def ddl() -> list[str]:
    return [
        f"CREATE TABLE IF NOT EXISTS {t.name} ({', '.join(f.name + ' TEXT' for f in t.fields)}, "
        f"PRIMARY KEY ({', '.join(t.keys)}))"
        for t in TABLES.values()
    ]
