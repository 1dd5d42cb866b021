"""What the demo's runs did, record by record, per pair and target object: the numbers of its table and of its
progress lines, each meaning one thing.

A record is counted once per object however many runs read it (the initial load reads every master, then each day
reads what changed that day), from the audit log of the demo's runs, and put in the first of these that applies:

- `dead_letters`: it is in dead letters now (whichever run put it there; `new_dead_letters`: those this demo put
  there, not there before it);
- `created`, `updated`, `deleted`: this demo wrote it to the target (created it, else updated it, else deleted it);
- `skipped`: left out (by the mapping rules, or not sent);
- `unchanged`: the target already held it as it should be: no write.

The audit log names an unchanged record only when it has something new to say (ledger.py); the others a run only
counts (`audit_counts`). So where a run of the demo counted unchanged records of an object, its unchanged ones are
the records the ledger holds as in the target (sync_state) that no other column counts and that are not in dead
letters (a record read unchanged resolves its dead letter, with an audit row).

So `records` is the sum of those six, and a rerun over unchanged sources shows no writes and no new dead letters,
whatever stays in dead letters."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ml_connector_dagster.ledger import Action, Ledger

Object = tuple[str, str]  # (pair, target object)
# In the order a record is counted: the first that applies.
STATES = ("dead_letters", "created", "updated", "deleted", "skipped", "unchanged")
# What a load did to a record; the other audit actions (edited, drifted, not_in_source) are about other things.
_HANDLED = {Action.CREATED, Action.UPDATED, Action.DELETED, Action.SKIPPED, Action.UNCHANGED, Action.FAILED}


def describe(counts: dict[str, int]) -> str:
    """A pair's or an object's counts on one line, as the progress shows them."""
    return (
        ", ".join(f"{state.replace('_', ' ')} {counts[state]}" for state in STATES[1:])
        + f", in dead letters {counts['dead_letters']} ({counts['new_dead_letters']} new)"
    )


@dataclass
class Tally:
    """Open the tally before the first run (it notes what was in dead letters then), `add_run` after each run."""

    ledger: Ledger
    before: set[tuple[str, str, str]] = field(init=False)  # (pair, object, key) in dead letters before the demo
    actions: dict[Object, dict[str, set[str]]] = field(default_factory=lambda: defaultdict(dict))
    unchanged: set[Object] = field(default_factory=set)  # objects a run counted unchanged records of
    calls: dict[Object, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    def __post_init__(self):
        self.before = {(d.pair, d.target_object, d.source_key) for d in self.ledger.open_dead_letters()}

    def add_run(self, run_id: str) -> dict[Object, dict[str, int]]:
        """Adds one run's audit rows and counts; answers what that run did per object (its own counts, by action)."""
        this_run: dict[Object, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for row in self.ledger.audit(run_id=run_id):
            if row["action"] in _HANDLED:
                keys = self.actions[(row["pair"], row["target_object"])]
                keys.setdefault(row["source_key"], set()).add(row["action"])
        for counted in self.ledger.audit_counts(run_id=run_id):
            if counted["action"] in _HANDLED:
                obj = (counted["pair"], counted["target_object"])
                this_run[obj][counted["action"]] += counted["records"]
                if counted["action"] == Action.UNCHANGED:
                    self.unchanged.add(obj)
        return this_run

    def add_calls(self, obj: Object, api_calls: int, write_calls: int) -> None:
        self.calls[obj][0] += api_calls
        self.calls[obj][1] += write_calls

    def objects(self) -> list[Object]:
        return list(dict.fromkeys([*self.actions, *self.unchanged, *self.calls]))

    def counts(self, obj: Object) -> dict[str, int]:
        """`records`, how many of them are in each of STATES, and `new_dead_letters`."""
        pair, target_object = obj
        open_now = self.ledger.dead_letter_keys(pair, target_object)
        counts = dict.fromkeys(("records", *STATES, "new_dead_letters"), 0)
        audited = self.actions.get(obj, {})
        for key, actions in audited.items():
            state = _state(key in open_now, actions)
            counts["records"] += 1
            counts[state] += 1
            counts["new_dead_letters"] += state == "dead_letters" and (pair, target_object, key) not in self.before
        if obj in self.unchanged:
            held = self.ledger.target_ids(pair, target_object).keys() - audited.keys() - open_now
            counts["records"] += len(held)
            counts["unchanged"] += len(held)
        return counts

    def pair_counts(self, pair: str) -> dict[str, int]:
        total: Counter[str] = Counter()
        for obj in self.objects():
            if obj[0] == pair:
                total.update(self.counts(obj))
        return {name: total[name] for name in ("records", *STATES, "new_dead_letters")}


def _state(in_dead_letters: bool, actions: set[str]) -> str:
    if in_dead_letters:
        return "dead_letters"
    for action in (Action.CREATED, Action.UPDATED, Action.DELETED, Action.SKIPPED):
        if action in actions:
            return action.value
    # failed in a run and resolved by a later one without a write (found as it should be): unchanged
    return "unchanged"
