"""Reading ECC tables through RFC_READ_TABLE (erp_sources.md §2.3): field lists split so a row never exceeds the
512-character DATA line (each group carries the keys, rows are merged by key), OPTIONS in lines of at most 72
characters, ROWSKIPS/ROWCOUNT paging, fixed-width rows cut by the FIELDS offsets. Communication failures reconnect
and retry; a logon failure is a clear error. The RFC library is passed in as a module (pyrfc in production), so the
same code runs against the sandbox's fake connection."""

import time
from collections.abc import Callable, Iterator
from types import ModuleType

from ml_connector_dagster.resources.sap_ecc.gateway import decimal_text
from ml_connector_dagster.resources.sap_ecc.query import Select, open_sql_lines

from ml_connector_dagster.http import ApiError, AuthError, CallCounter

ROW_WIDTH = 512


class RfcReader:
    def __init__(
        self,
        rfc: ModuleType,
        connect: Callable[[], object],
        *,
        counter: CallCounter,
        page_size: int,
        max_attempts: int,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.rfc = rfc
        self._connect = connect
        self.counter = counter
        self.page_size = page_size
        self.max_attempts = max_attempts
        self.sleep = sleep
        self._connection = None

    def select(self, select: Select) -> Iterator[dict[str, str]]:
        widths = self._widths(select.table, list(select.fields))
        groups = _groups(select.fields, select.keys, widths)
        options = [{"TEXT": line} for line in open_sql_lines(select)]
        skip = 0
        while True:
            merged: dict[tuple, dict[str, str]] = {}
            for group in groups:
                answer = self._call(
                    QUERY_TABLE=select.table,
                    OPTIONS=options,
                    ROWSKIPS=skip,
                    ROWCOUNT=self.page_size,
                    FIELDS=[{"FIELDNAME": name} for name in group],
                )
                for row in _rows(answer):
                    merged.setdefault(tuple(row[k] for k in select.keys), {}).update(row)
            yield from (merged[key] for key in sorted(merged))
            if len(merged) < self.page_size:
                return
            skip += len(merged)

    def _widths(self, table: str, fields: list[str]) -> dict[str, int]:
        """Output lengths from FIELDS metadata (NO_DATA); a list too wide even for that is described in halves."""
        try:
            described = self._call(QUERY_TABLE=table, NO_DATA="X", FIELDS=[{"FIELDNAME": n} for n in fields])
        except ApiError as error:
            if error.code != "DATA_BUFFER_EXCEEDED" or len(fields) == 1:
                raise
            middle = len(fields) // 2
            return {**self._widths(table, fields[:middle]), **self._widths(table, fields[middle:])}
        return {f["FIELDNAME"]: int(f["LENGTH"]) for f in described["FIELDS"]}

    def _call(self, **params) -> dict:
        for attempt in range(1, self.max_attempts + 1):
            try:
                if self._connection is None:
                    self._connection = self._connect()
                self.counter.add("RFC")
                return self._connection.call("RFC_READ_TABLE", **params)
            except self.rfc.LogonError as error:
                raise AuthError("sap_ecc", f"RFC logon refused: {error.message}") from None
            except self.rfc.CommunicationError as error:
                self._connection = None
                if attempt == self.max_attempts:
                    raise ApiError(
                        "sap_ecc",
                        f"RFC communication failed {attempt} times: {error.message}",
                        code="COMMUNICATION_FAILURE",
                    ) from None
                self.sleep(min(30.0, 0.5 * 2 ** (attempt - 1)))
            except self.rfc.ABAPApplicationError as error:
                raise ApiError(
                    "sap_ecc",
                    f"RFC_READ_TABLE on {params['QUERY_TABLE']} raised {error.key}: {error.message}",
                    code=error.key,
                ) from None
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _groups(fields: tuple[str, ...], keys: tuple[str, ...], widths: dict[str, int]) -> list[list[str]]:
    """Field lists whose rows fit in 512 characters, each led by the key fields so the parts can be merged."""
    key_width = sum(widths[k] for k in keys)
    groups, current, width = [], list(keys), key_width
    for name in fields:
        if name in keys:
            continue
        if width + widths[name] > ROW_WIDTH and len(current) > len(keys):
            groups.append(current)
            current, width = list(keys), key_width
        current.append(name)
        width += widths[name]
    return groups + [current]


def _rows(answer: dict) -> Iterator[dict[str, str]]:
    fields = [(f["FIELDNAME"], int(f["OFFSET"]), int(f["LENGTH"]), f["TYPE"]) for f in answer["FIELDS"]]
    for line in answer["DATA"]:
        text = line["WA"]
        yield {name: _value(text[offset : offset + length], kind) for name, offset, length, kind in fields}


def _value(raw: str, kind: str) -> str:
    text = raw.strip()
    if kind == "D":
        return "" if text in ("", "00000000") else text
    if kind == "P" and text:
        return decimal_text(text)
    return raw.rstrip()
