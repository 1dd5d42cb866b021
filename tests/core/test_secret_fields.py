"""Secrets given as values reach the run through the process environment, while the definitions hold only the
variable's name: for every system's secret fields and for the ledger's password."""

from urllib.parse import quote

import dagster as dg
import pytest
from ml_connector_dagster.resources.ledger import LedgerResource

from ml_connector_dagster.connections import SYSTEM_RESOURCES
from ml_connector_dagster.secret_fields import secrets_in_environment
from ml_connector_dagster.systems import sandbox_urls


def resolved_in_a_run(key: str, resource: dg.ConfigurableResource, read) -> object:
    """What `read(resource)` answers inside a run, where Dagster has resolved the resource's config."""

    @dg.asset(required_resource_keys={key})
    def seen(context: dg.AssetExecutionContext):
        return read(getattr(context.resources, key))

    return dg.materialize([seen], resources={key: resource}).output_for_node("seen")


@pytest.mark.parametrize("kind", SYSTEM_RESOURCES, ids=lambda kind: kind.system)
def test_every_secret_of_a_sandbox_resource_is_held_as_a_variable_and_resolved_in_the_run(kind):
    given = kind.sandbox(sandbox_urls())
    values = {name: getattr(given, name) for name in kind.secrets if getattr(given, name)}
    assert values
    held = secrets_in_environment({kind.system: given})[kind.system]
    for name in values:
        assert isinstance(getattr(held, name), dg.EnvVar), name
        assert getattr(held, name).env_var_name == f"ML_CONNECTOR_SECRET_{kind.system}_{name}".upper()
    seen = resolved_in_a_run(kind.system, held, lambda resource: {name: getattr(resource, name) for name in values})
    assert seen == values


def test_two_definitions_in_one_process_with_different_secrets_each_keep_their_own():
    urls = sandbox_urls()
    kind = SYSTEM_RESOURCES[0]
    [first, second] = [
        secrets_in_environment({kind.system: kind.sandbox(urls, password=password)})[kind.system]
        for password in ("first-password", "second-password")
    ]
    assert first.password.env_var_name != second.password.env_var_name
    assert resolved_in_a_run(kind.system, first, lambda resource: resource.password) == "first-password"
    assert resolved_in_a_run(kind.system, second, lambda resource: resource.password) == "second-password"


def test_a_secret_already_named_by_a_variable_stays_as_it_is(monkeypatch):
    kind = SYSTEM_RESOURCES[0]
    monkeypatch.setenv("ORACLE_EBS_PASSWORD", "from-the-operator")
    given = kind.sandbox(sandbox_urls(), password=dg.EnvVar("ORACLE_EBS_PASSWORD"))
    held = secrets_in_environment({kind.system: given})[kind.system]
    assert held is given
    assert resolved_in_a_run(kind.system, held, lambda resource: resource.password) == "from-the-operator"


@pytest.mark.parametrize("password", ["s3cret", "p@ss/w:rd%?#"])
def test_the_ledger_url_shown_has_no_password_and_the_run_connects_with_it(postgres_url, password):
    user, rest = postgres_url.split("://", 1)[1].split("@", 1)
    given = LedgerResource(url=f"postgresql://{user}:{quote(password, safe='')}@{rest}")
    held = secrets_in_environment({"ledger": given})["ledger"]
    assert held.url == postgres_url and password not in held.url
    assert isinstance(held.password, dg.EnvVar)
    answered = resolved_in_a_run(
        "ledger", held, lambda resource: (resource.password, resource.ledger().open_dead_letters("any__pair"))
    )
    assert answered == (password, [])


def test_a_ledger_url_without_a_password_is_kept_as_given(tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    given = LedgerResource(url=url)
    assert given.password is None and given.connection_url() == url
    assert secrets_in_environment({"ledger": given})["ledger"] is given


def test_a_ledger_password_given_in_the_url_and_apart_is_refused():
    with pytest.raises(ValueError, match="give it once"):
        LedgerResource(url="postgresql://postgres:one@127.0.0.1/test", password="two")
