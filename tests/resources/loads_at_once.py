"""Two loads at once against one target, as two runs of a deployment: each its own pair, ledger connection and session
of one resource (whose budget_url names the shared budget), through the real load loop. What the shared-budget tests
of every target run."""

import threading
from collections.abc import Hashable, Sequence

from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.loading import LoadSummary, TargetRecord, load


def loads_at_once(
    resource, ledger_url: str, records: dict[Hashable, Sequence[TargetRecord]], *, target_object: str, batch_size: int
) -> tuple[dict[Hashable, LoadSummary], list[Exception]]:
    """`records`: each run's records by its name (the pair is `p-<name>`); each run's summary by name, and whatever
    a run raised, for the test to assert there was nothing."""
    summaries, errors = {}, []

    def run(name: Hashable) -> None:
        ledger = Ledger(ledger_url)
        try:
            with resource.open() as client:
                summaries[name] = load(
                    records[name],
                    writer=client,
                    ledger=ledger,
                    pair=f"p-{name}",
                    target_object=target_object,
                    batch_size=batch_size,
                )
        except Exception as error:  # noqa: BLE001 (returned to the test)
            errors.append(error)
        finally:
            ledger.dispose()

    runs = [threading.Thread(target=run, args=(name,)) for name in records]
    for each in runs:
        each.start()
    for each in runs:
        each.join(timeout=120)
    return summaries, errors
