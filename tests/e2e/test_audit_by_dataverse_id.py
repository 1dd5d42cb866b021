"""`ml-connector audit <GUID>`: the ledger holds a Dynamics 365 Sales row by its alternate key, the Dynamics UI shows
its GUID; the CLI asks the Dataverse emulator for the row's external id, table by table of those the pairs write,
and shows the history of that source key. An unknown GUID matches nothing; an unreachable Dataverse is one line."""

import uuid

from ml_connector_dagster import cli
from ml_connector_dagster.connections import sandbox_resources
from ml_connector_dagster.loading import TargetRecord
from tests.e2e.conftest import EBS_JOB, SAP_JOB


def test_the_guid_of_a_row_a_load_wrote_gives_its_history_and_an_unknown_one_nothing(cli_env, capsys):
    env = cli_env
    day = env.size.partition_keys()[0]
    env.run(day, job=EBS_JOB)
    env.run(day, job=SAP_JOB)
    for table, source in (("account", "oracle_ebs."), ("contact", "oracle_ebs."), ("opportunity", "sap_ecc.")):
        row = next(row for row in env.dataverse.rows(table) if (row.get("mlc_externalid") or "").startswith(source))
        guid, key = row[f"{table}id"], row["mlc_externalid"]
        assert not env.ledger.find_records(guid), "the ledger holds the alternate key, not the GUID"

        assert cli.main(["audit", guid]) == 0
        out = capsys.readouterr().out
        assert f"{table} {key} (by its Dataverse id in dynamics_sales)" in out
        assert "created" in out and f"partition {day}" in out

    unknown = str(uuid.uuid4())
    assert cli.main(["audit", unknown]) == 1
    assert "no record has" in capsys.readouterr().err

    with env.resources["dynamics_sales"].open() as client:  # a row another integration keyed
        client.upsert("account", [TargetRecord("elsewhere.1", {"name": "Not ours"})])
        [row] = client.rows("account", ["accountid"], "mlc_externalid eq 'elsewhere.1'")
    assert cli.main(["audit", row["accountid"]]) == 1
    assert "is the Dataverse id of dynamics_sales account elsewhere.1, which no record of the ledger has" in (
        capsys.readouterr().err
    )


def test_a_guid_when_dataverse_cannot_be_reached_says_so_in_one_line(cli_env, monkeypatch, capsys):
    env = cli_env
    urls = {**env.sandbox.urls, "dynamics_sales": "http://127.0.0.1:9"}  # nothing listens on the discard port
    unreachable = sandbox_resources(env.config, urls, dynamics_sales={"max_attempts": 1})
    monkeypatch.setattr("ml_connector_dagster.connections.sandbox_resources", lambda config: unreachable)

    assert cli.main(["audit", str(uuid.uuid4())]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert "dynamics_sales: cannot connect to 127.0.0.1:9" in line
