"""Running SOQL against the org (crm_targets.md §1.7): records with `attributes`, parent fields nested under the
relationship name, pages of `batch` records with a nextRecordsUrl `/services/data/vXX.X/query/01g…-{offset}`."""

import threading
from collections import OrderedDict
from collections.abc import Callable

from ml_connector_dagster.sandbox.salesforce import soql
from ml_connector_dagster.sandbox.salesforce.errors import SfError
from ml_connector_dagster.sandbox.salesforce.schema import SObject
from ml_connector_dagster.sandbox.salesforce.store import Store

# A user has at most 10 query cursors open; opening another closes the oldest, whose locator then fails.
OPEN_CURSORS = 10


def attributes(sobject: SObject, row_id: str, version: str) -> dict:
    return {"type": sobject.name, "url": f"/services/data/v{version}/sobjects/{sobject.name}/{row_id}"}


class Queries:
    def __init__(self, store: Store, new_locator: Callable[[], str]):
        self.store = store
        self.new_locator = new_locator
        self._cursors: OrderedDict[str, tuple[list[dict], int]] = OrderedDict()
        self._lock = threading.Lock()

    def run(self, text: str, objects: dict[str, SObject], *, include_deleted: bool, version: str, batch: int) -> dict:
        try:
            query = soql.parse(text, objects)
        except soql.SoqlError as error:
            raise SfError(400, error.code, str(error)) from None
        with self.store.lock:
            rows = [
                row for row in self.store.rows[query.sobject.name].values() if include_deleted or not row["IsDeleted"]
            ]
            flat = [(row, self._flatten(row, query)) for row in rows]
        selected = [(row, view) for row, view in flat if query.where(view)]
        selected.sort(key=lambda pair: pair[0]["Id"])  # Guess: without ORDER BY, rows come in creation order
        for path, descending, nulls_last in reversed(query.order):
            kind = query.columns[path].kind
            selected.sort(
                key=lambda pair: soql.sort_key(pair[1][path], kind, nulls_last != descending), reverse=descending
            )
        end = None if query.limit is None else query.offset + query.limit
        records = [self._render(query, row, view, version) for row, view in selected[query.offset : end]]
        return self._page(records, None, 0, batch, version)

    def more(self, locator: str, version: str) -> dict:
        cursor, _, offset = locator.rpartition("-")
        with self._lock:
            found = self._cursors.get(cursor)
        if found is None or not offset.isdigit():
            raise SfError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        records, batch = found
        return self._page(records, cursor, int(offset), batch, version)

    def _page(self, records: list[dict], cursor: str | None, offset: int, batch: int, version: str) -> dict:
        end = offset + batch
        body = {"totalSize": len(records), "done": end >= len(records), "records": records[offset:end]}
        with self._lock:
            if body["done"]:
                self._cursors.pop(cursor, None)  # the last page closes the cursor
                return body
            if cursor is None:
                cursor = self.new_locator()
                self._cursors[cursor] = (records, batch)
                while len(self._cursors) > OPEN_CURSORS:
                    self._cursors.popitem(last=False)
        body["nextRecordsUrl"] = f"/services/data/v{version}/query/{cursor}-{end}"
        return body

    def _flatten(self, row: dict, query: soql.Query) -> soql.Row:
        view = {}
        for path, column in query.columns.items():
            if column.parent is None:
                view[path] = row.get(column.field)
            else:
                parent = self.store.rows[column.parent.name].get(row.get(column.lookup) or "")
                view[path] = parent.get(column.field) if parent else None
        return view

    def _render(self, query: soql.Query, row: dict, view: soql.Row, version: str) -> dict:
        record = {"attributes": attributes(query.sobject, row["Id"], version)}
        for column in query.select:
            if column.parent is None:
                record[column.path] = view[column.path]
                continue
            relationship = column.lookup[:-2]
            parent_id = row.get(column.lookup)
            if not parent_id:
                record[relationship] = None
                continue
            nested = record.setdefault(relationship, {"attributes": attributes(column.parent, parent_id, version)})
            nested[column.field] = view[column.path]
        return record
