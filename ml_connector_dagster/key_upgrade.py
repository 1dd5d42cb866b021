"""`ml-connector upgrade-keys`: a ledger and its Dynamics 365 Sales target moved from the first external-id format
to today's, without a duplicate.

The first format (`oracle_ebs:party:1001`, `sap_ecc:po_item:4500000001/00010`) put `:` into every external id, and
Dataverse does not address a row by an alternate-key value holding `:` (nor `/ # < > * % & \\ ? +`): against a real
environment each keyed write of one fails. Today's format (mapping/common.external_id, `oracle_ebs.party.1001`)
holds none of them. A load under today's keys would not find the rows and ledger records of the first ones and
would write every record again, so the upgrade runs before the new version's first load.

For each object a Dataverse pair loads, holding the object's lease (no load of it runs meanwhile):

1. The target: each row whose external id is in the first format of the pair's source system (one `startswith`
   query finds them, without addressing any by its key) gets today's id, written by its primary id in `$batch`es
   (`If-Match: *`, so nothing is created). A row whose new id another row holds already (a load ran before the
   upgrade) is left as it is and reported, for a person to merge the two in Dynamics 365.
2. The ledger, in one transaction: sync state (source key, target id, the bind paths in the payload and so its hash,
   refs) and open dead letters (source key, bind paths, refs) under today's ids, and an `updated` row per rekeyed
   record in the audit log, with both ids and who upgraded. Earlier audit rows keep the ids they were written with.
   A record whose row the target refused to rekey keeps its first id here too, so that no load creates it again.

Today's id is a function of the first one alone (`upgraded`): a step stopped halfway is finished by the next run,
which finds only what is left, and a run with nothing left changes nothing. `dry_run` counts and changes nothing.

Until then a load of such an object refuses to run (`refuse_first_format`), naming this command: it would write a
second row of every record.
"""

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa

from ml_connector_dagster.lease import Lease
from ml_connector_dagster.ledger import Action, Ledger, audit_log, dead_letters, payload_hash, sync_state
from ml_connector_dagster.mapping.common import external_id
from ml_connector_dagster.mapping.dynamics_sales import bind
from ml_connector_dagster.odata import literal
from ml_connector_dagster.settings import Settings
from ml_connector_dagster.systems import SYSTEMS

_logger = logging.getLogger(__name__)
TARGET = "dynamics_sales"
FIRST_SEPARATOR = ":"
# The first format's only key of two parts: `sap_ecc:po_item:<EBELN>/<EBELP>`; EBELP is numeric, so the last `/`
# is the one between them.
_TWO_PARTS = {("sap_ecc", "po_item")}
# A bind path as the first format's mapping wrote it: the key literal not percent-encoded.
_FIRST_BIND = re.compile(r"^/(?P<set>\w+)\((?P<column>\w+)='(?P<key>(?:[^']|'')*)'\)$")


def upgraded(key: str) -> str | None:
    """Today's external id of a first-format one (`oracle_ebs:party:1001` → `oracle_ebs.party.1001`), None for
    anything else (today's ids hold no `:`)."""
    system, _, rest = key.partition(FIRST_SEPARATOR)
    kind, separated, source_key = rest.partition(FIRST_SEPARATOR)
    if system not in SYSTEMS or not separated or not kind.isidentifier():
        return None
    parts = source_key.rsplit("/", 1) if (system, kind) in _TWO_PARTS else [source_key]
    return external_id(system, kind, *parts)


class FirstFormatKeys(RuntimeError):
    """A load of an object whose ledger still holds first-format external ids: it would find none of its records."""


def refuse_first_format(ledger: Ledger, pair: str, target: str, target_object: str) -> None:
    """Raises FirstFormatKeys when a load into Dynamics 365 Sales finds its ledger under the first format's ids: under
    today's it would find neither the ledger's records nor the target's rows and create every record a second time."""
    if target != TARGET:
        return
    prefix = pair.split("__")[0] + FIRST_SEPARATOR
    with ledger.engine.connect() as conn:
        found = [
            conn.execute(
                sa.select(table.c.source_key)
                .where(
                    table.c.pair == pair,
                    table.c.target_object == target_object,
                    table.c.source_key.startswith(prefix, autoescape=True),
                    *only,
                )
                .limit(1)
            ).scalar()
            for table, only in ((sync_state, ()), (dead_letters, (dead_letters.c.resolved_at.is_(None),)))
        ]
    first = next((key for key in found if key and upgraded(key)), None)
    if first is not None:
        raise FirstFormatKeys(
            f"{pair} {target_object}: the ledger holds external ids of the first format ({first!r}); a load under "
            f"today's ({upgraded(first)!r}) would write every record again. Run `ml-connector upgrade-keys --pair "
            f"{pair}` once (it moves the ledger and the target's rows), then run this again."
        )


@dataclass
class Upgraded:
    pair: str
    target_object: str
    target_rows: int = 0  # rows of the target given today's id (in a dry run: to be given)
    ledger_records: int = 0  # sync-state records rekeyed (in a dry run: to be)
    dead_letters: int = 0  # open dead letters rekeyed (in a dry run: to be)
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (first id, today's): both rows exist; merge them
    refused: dict[str, str] = field(default_factory=dict)  # first id → why the target did not take today's


def upgrade_keys(
    config: Settings,
    *,
    target: Callable[[str], object],
    by: str,
    pair: str | None = None,
    dry_run: bool = False,
    log: Callable[[str], None] = _logger.warning,
) -> list[Upgraded]:
    """`upgrade` for every object a pair loads into Dynamics 365 Sales (only `pair`'s, if given), through the
    target's resource `target("dynamics_sales")`. Raises LookupError for a pair that loads nothing there."""
    # Imported here: the load asset imports this module for its guard, and the pairs import the load asset.
    from ml_connector_dagster.code_location import build_pairs

    loads = [
        load
        for part in build_pairs(config)
        for load in part.loads
        if load.target == TARGET and pair in (None, load.pair)
    ]
    if not loads:
        raise LookupError(f"no load of {pair!r} writes to {TARGET}" if pair else f"no load writes to {TARGET}")
    ledger = Ledger(config.ledger_url)
    try:
        with target(TARGET).open() as client:
            return [
                upgrade(ledger, client, load.pair, load.target_object, by=by, dry_run=dry_run, log=log)
                for load in loads
            ]
    finally:
        ledger.dispose()


def upgrade(
    ledger: Ledger,
    client,
    pair: str,
    target_object: str,
    *,
    by: str,
    dry_run: bool = False,
    log: Callable[[str], None] = _logger.warning,
) -> Upgraded:
    """Moves one (pair, target object) of a Dataverse target (`client`: a DataverseClient) to today's ids."""
    done = Upgraded(pair, target_object)
    with Lease(ledger, pair, target_object, log=log):
        _upgrade_target(client, pair, target_object, done, dry_run=dry_run)
        _upgrade_ledger(ledger, client, pair, target_object, done, by=by, dry_run=dry_run)
    return done


def _upgrade_target(client, pair: str, target_object: str, done: Upgraded, *, dry_run: bool) -> None:
    """Rekeys the target's rows of the pair's source system."""
    column, primary = client.external_id_column, target_object + "id"
    prefix = pair.split("__")[0] + FIRST_SEPARATOR
    rows = client.rows(target_object, [primary, column], f"startswith({column},{literal(prefix)})")
    found = {row[primary]: (row[column], new) for row in rows if (new := upgraded(row[column]))}
    taken = client.existing_keys(target_object, {new: None for _, new in found.values()}) if found else set()
    done.conflicts = sorted((old, new) for old, new in found.values() if new in taken)
    rekey = {row_id: new for row_id, (_, new) in found.items() if new not in taken}
    refusals = client.set_external_ids(target_object, rekey) if rekey and not dry_run else {}
    done.refused = {found[row_id][0]: reason for row_id, reason in refusals.items() if reason}
    done.target_rows = len(rekey) - len(done.refused)


def _upgrade_ledger(
    ledger: Ledger, client, pair: str, target_object: str, done: Upgraded, *, by: str, dry_run: bool
) -> None:
    """Sync state and open dead letters under today's ids, in one transaction, except the records whose row the
    target refused to rekey."""
    keep = set(done.refused)
    now = datetime.now(UTC)
    of_object = (sync_state.c.pair == pair, sync_state.c.target_object == target_object)
    with ledger.engine.begin() as conn:
        states = list(conn.execute(sa.select(sync_state).where(*of_object)))
        held = {row.source_key for row in states}
        audits = []
        for row in states:
            key = _new_key(row.source_key, keep)
            payload, refs = _upgraded_payload(row.payload), _upgraded_refs(row.refs)
            if key == row.source_key and payload == row.payload and refs == row.refs:
                continue
            if key != row.source_key:
                done.ledger_records += 1
            if dry_run:
                continue
            where = sa.and_(*of_object, sync_state.c.source_key == row.source_key)
            if key in held and key != row.source_key:
                conn.execute(sync_state.delete().where(where))  # a load under today's id wrote it already
                continue
            conn.execute(
                sync_state.update()
                .where(where)
                .values(
                    source_key=key,
                    target_id=client.key_path(target_object, key) if row.target_id else None,
                    payload=payload,
                    payload_hash=payload_hash(payload),
                    refs=refs if refs else sa.null(),
                )
            )
            if key != row.source_key:
                audits.append(
                    {
                        "audit_id": str(uuid.uuid4()),
                        "pair": pair,
                        "target_object": target_object,
                        "source_key": key,
                        "target_id": client.key_path(target_object, key),
                        "action": Action.UPDATED,
                        "at": now,
                        "changes": {client.external_id_column: [row.source_key, key]},
                        "actor": f"upgrade-keys by {by}",
                    }
                )
        open_letters = (
            dead_letters.c.pair == pair,
            dead_letters.c.target_object == target_object,
            dead_letters.c.resolved_at.is_(None),
        )
        letters = list(conn.execute(sa.select(dead_letters).where(*open_letters)))
        open_keys = {letter.source_key for letter in letters}
        for letter in letters:
            key = _new_key(letter.source_key, keep)
            stored = _upgraded_letter(letter.payload)
            if key == letter.source_key and stored == letter.payload:
                continue
            if key != letter.source_key:
                done.dead_letters += 1
            if dry_run:
                continue
            this = dead_letters.c.id == letter.id
            if key in open_keys and key != letter.source_key:
                # one open dead letter per record: the one under today's id is the newer failure
                conn.execute(dead_letters.update().where(this).values(resolved_at=now))
                continue
            conn.execute(dead_letters.update().where(this).values(source_key=key, payload=stored))
        if audits:
            conn.execute(audit_log.insert(), audits)


def _new_key(key: str, keep: set[str]) -> str:
    return key if key in keep else upgraded(key) or key


def _upgraded_payload(payload: dict | None) -> dict | None:
    """The payload with each bind path of the first format's mapping as today's mapping writes it."""
    if not payload:
        return payload
    rebound = dict(payload)
    for name, value in payload.items():
        match = _FIRST_BIND.match(value) if name.endswith("@odata.bind") and isinstance(value, str) else None
        new = match and upgraded(match["key"].replace("''", "'"))
        if new:
            rebound[name] = bind(match["set"], match["column"], new)
    return rebound


def _upgraded_refs(refs: list | None) -> list | None:
    return [[target_object, upgraded(key) or key] for target_object, key in refs] if refs else refs


def _upgraded_letter(stored: dict | None) -> dict | None:
    """A dead letter's stored {"payload", "refs"} (or rejected source rows, left alone) under today's ids."""
    if not stored or stored.get("payload") is None:
        return stored
    return {**stored, "payload": _upgraded_payload(stored["payload"]), "refs": _upgraded_refs(stored.get("refs"))}
