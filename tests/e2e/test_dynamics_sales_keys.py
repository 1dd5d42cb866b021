"""Keys real Dataverse accepts, end to end against the strict emulator: source keys holding any of `/ # < > * % & :
\\ ? +`, spaces, quotes or non-ASCII go through the SAP pair's mapping and the load (ledger diff, UpsertMultiple and
`$batch`, binds, lookups, an item's deletion) and come back as they went; and a ledger and a target the first key
format wrote (`oracle_ebs:party:1001`) are upgraded to today's without a duplicate, resumably."""

from collections import Counter
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from ml_connector_dagster import cli
from ml_connector_dagster.demo import verify
from ml_connector_dagster.http import ApiError
from ml_connector_dagster.initial_load import job_name
from ml_connector_dagster.key_upgrade import FirstFormatKeys, upgrade_keys, upgraded
from ml_connector_dagster.ledger import dead_letters, sync_state
from ml_connector_dagster.loading import TargetRecord
from ml_connector_dagster.mapping import sap_ecc_dynamics_sales as sap
from ml_connector_dagster.mapping.common import ESCAPE, SEPARATOR
from ml_connector_dagster.odata import literal
from ml_connector_dagster.sandbox.dynamics_sales.tables import TABLES
from ml_connector_dagster.sandbox.faults import FaultPlan
from ml_connector_dagster.sync import SyncTarget, sync
from tests.awkward import AWKWARD
from tests.e2e.conftest import EBS_JOB, SAP_JOB, load_metadata

ENTITY_SETS = {"account": "accounts", "contact": "contacts", "opportunity": "opportunities"}
KEYED_TABLES = ("account", "contact", "opportunity", "opportunityproduct")
QUOTE = "'"


def sap_sources(deleted_items: bool = False):
    vendors = [sap.Vendor(LIFNR=f"V{c}1", NAME1=f"Vendor {c}") for c in AWKWARD]
    orders = [sap.PurchaseOrder(EBELN=f"P{c}1", LIFNR=f"V{c}1", WAERS="EUR", BSART="NB") for c in AWKWARD]
    items = [
        sap.PurchaseOrderItem(
            EBELN=f"P{c}1",
            EBELP=ebelp,
            TXZ01=f"Item {c}",
            MENGE="2",
            NETPR="10",
            NETWR="20",
            LOEKZ="L" if deleted_items and ebelp == "00020" else "",
        )
        for c in AWKWARD
        for ebelp in ("00010", "00020")
    ]
    return vendors, orders, items


def sync_sap(env, client, *, deleted_items: bool = False) -> dict:
    rules = sap.load_pair_rules()
    vendors, orders, items = sap_sources(deleted_items)
    documents = sap.map_purchase_orders(
        orders, items, rules, key_column=client.external_id_column, currencies=client.currencies()
    )
    results = {
        "account": sap.map_accounts(vendors, [], [], [], rules),
        rules.document_object: documents["document"],
        rules.line_object: documents["line"],
    }
    return {
        target_object: (
            result,
            sync(result, SyncTarget(SAP_JOB, target_object, client, 1000), env.ledger, run_id=None, partition=None),
        )
        for target_object, result in results.items()
    }


def test_source_keys_with_any_character_round_trip_through_upsert_bind_lookup_and_delete(env):
    with env.resources["dynamics_sales"].open() as client:
        synced = sync_sap(env, client)
        for target_object, (result, summary) in synced.items():
            assert summary.created == len(result.records) == len(AWKWARD) * (2 if "product" in target_object else 1)
            assert summary.failed == 0
            keys = {record.source_key for record in result.records}
            assert client.existing_keys(target_object, env.ledger.target_ids(SAP_JOB, target_object)) == keys
            columns = sorted({column for record in result.records for column in record.payload})
            snapshot = client.snapshot(target_object, columns)
            for record in result.records:
                assert {c: snapshot[record.source_key][c] for c in record.payload} == record.payload, record.source_key

        writes = client.counter.writes
        assert all(summary.unchanged == len(result.records) for result, summary in sync_sap(env, client).values())
        assert client.counter.writes == writes, "a rerun writes nothing"

        _, lines = sync_sap(env, client, deleted_items=True)["opportunityproduct"]
        assert lines.deleted == len(AWKWARD)
    remaining = {row["mlc_externalid"] for row in env.dataverse.rows("opportunityproduct")}
    assert remaining == {sap.item_key(f"P{c}1", "00010") for c in AWKWARD}
    for opportunity in env.dataverse.rows("opportunity"):
        assert opportunity["totalamount"] == 20.0, "each document's total follows its one remaining line"


def first_format(key: str) -> str:
    """The id the first key format gave this record: `sap_ecc.po_item.4500000001.00010` →
    `sap_ecc:po_item:4500000001/00010`."""
    system, kind, *parts = key.split(SEPARATOR)
    return f"{system}:{kind}:" + "/".join(_unescaped(part) for part in parts)


def _unescaped(part: str) -> str:
    raw, position = bytearray(), 0
    while position < len(part):
        if part[position] == ESCAPE:
            raw.append(int(part[position + 1 : position + 3], 16))
            position += 3
        else:
            raw += part[position].encode()
            position += 1
    return raw.decode()


def keyed_bind(name: str, value) -> bool:
    return name.endswith("@odata.bind") and isinstance(value, str) and "mlc_externalid" in value


def first_bind(path: str) -> str:
    """The bind path the first format's mapping wrote: its key literal not percent-encoded."""
    entity_set, _, rest = path.lstrip("/").partition("(mlc_externalid=")
    return f"/{entity_set}(mlc_externalid={literal(first_format(unquote(rest[1:-2]).replace(QUOTE * 2, QUOTE)))})"


def as_the_first_format_left_them(env) -> None:
    """What a version before today's external ids left behind: the target's rows, the ledger's records (key, target
    id, binds, refs) and its open dead letters, all under first-format ids."""
    store = env.dataverse.store
    with store.transaction() as tx:
        for table in KEYED_TABLES:
            for row in store.snapshot(table):
                if row.get("mlc_externalid"):
                    tx.put(TABLES[table], {**row, "mlc_externalid": first_format(row["mlc_externalid"])})

    def payload_of(payload: dict | None) -> dict | None:
        return payload and {k: first_bind(v) if keyed_bind(k, v) else v for k, v in payload.items()}

    with env.ledger.engine.begin() as conn:
        for row in conn.execute(sa.select(sync_state)).all():
            key = first_format(row.source_key)
            conn.execute(
                sync_state.update()
                .where(
                    sync_state.c.pair == row.pair,
                    sync_state.c.target_object == row.target_object,
                    sync_state.c.source_key == row.source_key,
                )
                .values(
                    source_key=key,
                    target_id=f"{ENTITY_SETS.get(row.target_object, row.target_object + 's')}(mlc_externalid='{key}')",
                    payload=payload_of(row.payload),
                    refs=[[obj, first_format(ref)] for obj, ref in row.refs] if row.refs else sa.null(),
                )
            )
        for letter in conn.execute(sa.select(dead_letters)).all():
            stored = letter.payload
            if stored and stored.get("payload") is not None:
                stored = {**stored, "payload": payload_of(stored["payload"])}
            conn.execute(
                dead_letters.update()
                .where(dead_letters.c.id == letter.id)
                .values(source_key=first_format(letter.source_key), payload=stored)
            )


def keyed_rows(env) -> dict[str, Counter]:
    return {table: Counter(row["mlc_externalid"] for row in env.dataverse.rows(table)) for table in KEYED_TABLES}


@pytest.mark.slow
def test_a_ledger_and_a_target_of_the_first_key_format_are_upgraded_resumably_and_then_nothing_is_written(
    cli_env, capsys
):
    env = cli_env
    env.run_all(EBS_JOB)
    env.run_all(SAP_JOB)
    today = keyed_rows(env)
    letters = sorted(letter.source_key for letter in env.ledger.open_dead_letters(EBS_JOB))
    assert letters, "the seed has records the mapping rejects"
    as_the_first_format_left_them(env)
    first = keyed_rows(env)
    assert all(":" in key for rows in first.values() for key in rows)

    assert cli.main(["upgrade-keys", "--dry-run"]) == 0
    report = capsys.readouterr().out
    ebs_accounts = sum(1 for key in first["account"] if key.startswith("oracle_ebs:"))
    assert f"{EBS_JOB} account: to rekey (dry run: nothing changed): {ebs_accounts} target rows" in report
    assert keyed_rows(env) == first, "a dry run changes nothing"

    # stopped halfway: the second object's rekeying $batch fails
    env.dataverse.faults.add(FaultPlan(status=500, skip=1, path_contains="$batch"))
    with pytest.raises(ApiError, match="500"):
        upgrade_keys(env.config, target=env.resources.get, by="tester")
    assert cli.main(["upgrade-keys", "--by", "tester"]) == 0
    assert keyed_rows(env) == today, "every row under today's id, none twice"
    assert sorted(letter.source_key for letter in env.ledger.open_dead_letters(EBS_JOB)) == letters
    assert all(
        done.target_rows == done.ledger_records == 0
        for done in upgrade_keys(env.config, target=env.resources.get, by="tester")
    )

    key = next(iter(today["account"]))
    [audit] = [row for row in env.ledger.audit(source_key=key) if row["actor"] == "upgrade-keys by tester"]
    assert audit["changes"] == {"mlc_externalid": [first_format(key), key]}

    for job in (EBS_JOB, SAP_JOB):
        for day in env.size.partition_keys():
            for name, metadata in load_metadata(env.run(day, job=job)).items():
                assert metadata.get("write_calls", 0) == 0, name
    assert keyed_rows(env) == today
    for agreement in verify(env.config, env.resources, pairs=(EBS_JOB, SAP_JOB)):
        assert agreement.agrees, agreement


def test_a_record_a_load_wrote_again_before_the_upgrade_is_reported_for_merging_not_rekeyed_into_a_duplicate(
    cli_env, capsys
):
    env = cli_env
    day = env.size.partition_keys()[0]
    env.run(day, job=EBS_JOB)
    as_the_first_format_left_them(env)
    key = next(iter(keyed_rows(env)["account"]))
    with env.resources["dynamics_sales"].open() as client:
        today = upgraded(key)
        assert client.upsert("account", [TargetRecord(today, {"name": "Written again", "customertypecode": 3})])[0].ok

    assert cli.main(["upgrade-keys", "--pair", EBS_JOB]) == 1
    assert f"both {key} and {today} are in the target" in capsys.readouterr().out
    assert keyed_rows(env)["account"][key] == keyed_rows(env)["account"][today] == 1
    assert today in env.ledger.target_ids(EBS_JOB, "account")

    [old_row] = env.dataverse.rows("account", mlc_externalid=key)
    with env.dataverse.store.transaction() as tx:
        tx.delete(TABLES["account"], old_row["accountid"])  # merged in Dynamics 365
    assert cli.main(["upgrade-keys", "--pair", EBS_JOB]) == 0
    assert not [k for k in keyed_rows(env)["account"] if ":" in k]


def test_a_load_against_a_ledger_of_the_first_key_format_refuses_to_run_and_names_the_upgrade(cli_env):
    env = cli_env
    day = env.size.partition_keys()[0]
    env.run(day, job=EBS_JOB)
    as_the_first_format_left_them(env)
    first = keyed_rows(env)
    with pytest.raises(FirstFormatKeys, match=f"ml-connector upgrade-keys --pair {EBS_JOB}"):
        env.run(day, job=EBS_JOB)
    initial_load = env.defs.resolve_job_def(job_name(EBS_JOB))
    with pytest.raises(FirstFormatKeys, match=f"ml-connector upgrade-keys --pair {EBS_JOB}"):
        initial_load.execute_in_process(instance=env.instance)
    assert keyed_rows(env) == first, "no row written under today's ids beside the first ones"

    assert cli.main(["upgrade-keys", "--pair", EBS_JOB]) == 0
    assert env.run(day, job=EBS_JOB).success
    assert not [key for rows in keyed_rows(env).values() for key, count in rows.items() if count > 1 or ":" in key]
