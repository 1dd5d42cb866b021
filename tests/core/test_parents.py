from ml_connector_dagster.ledger import Action, Outcome
from ml_connector_dagster.parents import KeptAs, never_synced, read_parents, record_not_in_source

KEPT = (KeptAs("src__dst", "account", lambda party: f"src.party.{party}"),)
# party → its parent; "9" refers to a parent the source does not have
SOURCE = {"1": None, "2": "1", "3": "2", "4": None, "9": "404"}


def read(ids: set[str]) -> dict[str, list[dict]]:
    read.calls.append(sorted(ids))
    return {"parties": [{"ID": i, "PARENT": SOURCE[i]} for i in sorted(ids) if i in SOURCE]}


def holds(snapshot):
    return {row["ID"] for row in snapshot["parties"]}


def refers_to(snapshot):
    return {row["PARENT"] for row in snapshot["parties"]}


def synced(ledger, *parties: str) -> None:
    ledger.record(
        pair="src__dst",
        target_object="account",
        outcomes=[Outcome(f"src.party.{p}", Action.CREATED, {"name": p}, f"id-{p}") for p in parties],
        run_id="r0",
        partition=None,
    )


def test_parents_the_ledger_never_synced_are_read_with_their_own_parents_and_synced_ones_cost_no_read(ledger):
    synced(ledger, "1")
    read.calls = []
    snapshot = read({"3"})
    on_demand = read_parents(
        snapshot,
        read_keys=read,
        holds=holds,
        refers_to=refers_to,
        unsynced=lambda ids: never_synced(ledger, ids, KEPT),
        referenced={"4", "1"},
    )
    assert read.calls == [["3"], ["2", "4"]], "2 and 4 once, 1 never: the ledger has it"
    assert on_demand.fetched == {"2", "4"} and not on_demand.not_in_source
    assert holds(snapshot) == {"2", "3", "4"}


def test_a_parent_the_source_lacks_is_audited_as_not_in_source(ledger):
    read.calls = []
    snapshot = read({"9"})
    on_demand = read_parents(
        snapshot, read_keys=read, holds=holds, refers_to=refers_to, unsynced=lambda ids: never_synced(ledger, ids, KEPT)
    )
    assert on_demand.not_in_source == {"404"}
    record_not_in_source(ledger, on_demand.not_in_source, KEPT, run_id="r1", partition="2026-10-01")
    [(action, changes)] = ledger.last_actions("src__dst", "account", ["src.party.404"]).values()
    assert action == "not_in_source" and "does not have it" in changes["reason"]
