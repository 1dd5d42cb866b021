"""SAP's ALPHA conversion, the one place the connector handles leading zeros of LIFNR, KUNNR and EBELN.

ECC stores a purely numeric number right-aligned with leading zeros to the field length (`0000100001`) and an
alphanumeric one (external number ranges such as `CUST-0041`) left-aligned as typed; SAP GUI shows numeric ones
without the zeros. Keys sent to SAP must be in the internal form (a filter on `100001` finds nothing); external ids
and account numbers in the target use the external form, which is what users search for.
"""

LIFNR_LENGTH = KUNNR_LENGTH = EBELN_LENGTH = 10


def alpha_in(value: str | int, length: int = 10) -> str:
    """CONVERSION_EXIT_ALPHA_INPUT: `100001` → `0000100001`; `CUST-0041` stays as it is."""
    text = str(value).strip()
    if not text:
        return text
    if text.isdigit():
        if len(text.lstrip("0")) > length:
            raise ValueError(f"{text!r} is longer than {length} digits")
        return text.zfill(length)
    if len(text) > length:
        raise ValueError(f"{text!r} is longer than {length} characters")
    return text.upper()


def alpha_out(value: str) -> str:
    """CONVERSION_EXIT_ALPHA_OUTPUT: `0000100001` → `100001`; `CUST-0041` stays as it is."""
    text = str(value).strip()
    if text.isdigit():
        return text.lstrip("0") or "0"
    return text
