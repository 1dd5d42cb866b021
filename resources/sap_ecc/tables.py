"""The ECC tables the connector reads and the fields it needs of each (erp_sources.md §2.5): the read side of the
contract with the Gateway service and with RFC_READ_TABLE. A field the mapping needs is added here once."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SapTable:
    name: str
    keys: tuple[str, ...]
    fields: tuple[str, ...]
    label: str


_ADDRESS = ("NAME1", "NAME2", "STRAS", "ORT01", "PSTLZ", "REGIO", "LAND1", "TELF1", "STCD1", "STCEG", "ERDAT")

LFA1 = SapTable(
    "LFA1", ("LIFNR",), ("LIFNR", *_ADDRESS, "KUNNR", "LOEVM", "SPERR", "SPERM"), "vendor master, general data"
)
LFB1 = SapTable(
    "LFB1",
    ("LIFNR", "BUKRS"),
    ("LIFNR", "BUKRS", "ZTERM", "ERDAT", "LOEVM", "SPERR"),
    "vendor master, company code data",
)
KNA1 = SapTable("KNA1", ("KUNNR",), ("KUNNR", *_ADDRESS, "LIFNR", "LOEVM", "AUFSD"), "customer master, general data")
KNB1 = SapTable(
    "KNB1", ("KUNNR", "BUKRS"), ("KUNNR", "BUKRS", "ZTERM", "ERDAT", "LOEVM"), "customer master, company code data"
)
EKKO = SapTable(
    "EKKO",
    ("EBELN",),
    ("EBELN", "BUKRS", "BSTYP", "BSART", "LOEKZ", "AEDAT", "LIFNR", "ZTERM", "EKORG", "WAERS", "BEDAT"),
    "purchasing document header",
)
EKPO = SapTable(
    "EKPO",
    ("EBELN", "EBELP"),
    ("EBELN", "EBELP", "LOEKZ", "AEDAT", "TXZ01", "MATNR", "WERKS", "MENGE", "MEINS", "NETPR", "PEINH", "NETWR"),
    "purchasing document item",
)
CDHDR = SapTable(
    "CDHDR",
    ("OBJECTCLAS", "OBJECTID", "CHANGENR"),
    ("OBJECTCLAS", "OBJECTID", "CHANGENR", "USERNAME", "UDATE", "UTIME", "TCODE", "CHANGE_IND"),
    "change document header",
)

# Every table an extract reads (assets/sap_ecc.py): what the technical user must be allowed to read.
READ = (LFA1, LFB1, KNA1, KNB1, EKKO, EKPO, CDHDR)
