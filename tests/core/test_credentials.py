"""Credentials stored with `ml-connector connect`: secrets encrypted with the operator's key (never in the database in
plain text), taken by a resource where its variable is not set, checked before they are stored, a key rotation in
one transaction, and a wrong or missing key a clear error, never a garbled secret."""

import io
import os
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from ml_connector_dagster.resources.oracle_ebs import OracleEbsResource
from ml_connector_dagster.resources.procore import ProcoreResource
from ml_connector_dagster.resources.sap_ecc import SapEccResource
from ml_connector_dagster.resources.zoho_crm import ZohoCrmResource

from ml_connector_dagster import cli, connect
from ml_connector_dagster.cli import _stored_webhook_keys
from ml_connector_dagster.connections import SYSTEM_RESOURCES, production_resource
from ml_connector_dagster.credentials import CredentialStore, credentials
from ml_connector_dagster.credentials_key import KEY, NEW_KEY, CredentialsError, key_from
from ml_connector_dagster.settings import Settings, SettingsError
from ml_connector_dagster.webhooks import SourceAuth, configured_sources
from tests.core.test_invalid_settings import CASES

PASSWORD = "ebs-pass-8412-secret"
EBS = {"base_url": "https://ebs.example.com", "username": "MLC_SYNC", "password": PASSWORD}


@pytest.fixture
def config(tmp_path, monkeypatch) -> Settings:
    """The production profile, no system variable set, a key in the environment."""
    for name in list(os.environ):
        if name.startswith(tuple(f"{kind.system.upper()}_" for kind in SYSTEM_RESOURCES)) or "CREDENTIALS_KEY" in name:
            monkeypatch.delenv(name)
    monkeypatch.setenv(KEY, Fernet.generate_key().decode())
    return Settings(profile="production", home=tmp_path, ledger_url=f"sqlite:///{tmp_path / 'ledger.sqlite'}")


def store(kind, config: Settings, values: dict) -> str:
    out = io.StringIO()
    connect.store_values(kind, config, values, by="test", out=out)
    return out.getvalue()


def database_bytes(config: Settings) -> bytes:
    folder = Path(config.ledger_url.removeprefix("sqlite:///")).parent
    return b"".join(path.read_bytes() for path in folder.glob("ledger.sqlite*"))


def test_a_stored_secret_is_encrypted_at_rest_and_taken_where_its_variable_is_not_set(config, monkeypatch):
    said = store(OracleEbsResource, config, EBS)

    assert "ORACLE_EBS_PASSWORD stored encrypted" in said and PASSWORD not in said
    assert PASSWORD.encode() not in database_bytes(config)
    with CredentialStore(config.ledger_url).engine.connect() as conn:
        rows = {row.field: row for row in conn.execute(sa.select(credentials))}
    assert rows["password"].encrypted and rows["password"].value.startswith("gAAAAA"), "a Fernet token"
    assert rows["username"].value == "MLC_SYNC" and not rows["username"].encrypted, "a setting stays readable"

    resource = production_resource(OracleEbsResource, config, resolve=True)
    assert (resource.base_url, resource.username, resource.password) == (
        "https://ebs.example.com",
        "MLC_SYNC",
        PASSWORD,
    )
    monkeypatch.setenv("ORACLE_EBS_PASSWORD", "from-the-environment")
    assert production_resource(OracleEbsResource, config, resolve=True).password == "from-the-environment"


def test_the_code_locations_resource_holds_a_stored_secret_as_a_variable_not_as_its_value(config):
    from ml_connector_dagster.code_location import build_definitions

    for kind in SYSTEM_RESOURCES:
        required = kind.required_fields({})
        values = {name: f"https://{kind.system}.example.com" for name in required if name.endswith("_url")}
        values |= {name: f"{kind.system}-{name}-4711" for name in required if name not in values}
        if kind is ProcoreResource:
            values["company_id"] = "4262"
        store(kind, config, values)

    defs = build_definitions(config)

    ebs = defs.resources["oracle_ebs"]
    assert ebs.base_url == "https://oracle_ebs.example.com"
    assert type(ebs.password).__name__ == "EnvVar" and ebs.password.startswith("ML_CONNECTOR_SECRET_ORACLE_EBS")
    assert os.environ[ebs.password] == "oracle_ebs-password-4711", "resolved by Dagster at launch, in this process"


def test_a_wrong_key_is_an_error_naming_the_system_and_what_to_do_never_a_garbled_secret(config, monkeypatch):
    store(OracleEbsResource, config, EBS)
    monkeypatch.setenv(KEY, Fernet.generate_key().decode())

    with pytest.raises(CredentialsError) as wrong:
        production_resource(OracleEbsResource, config, resolve=True)

    said = str(wrong.value)
    assert (
        "ORACLE_EBS_PASSWORD, stored for oracle_ebs, does not open with the key in ML_CONNECTOR_CREDENTIALS_KEY" in said
    )
    assert "ml-connector connect oracle_ebs" in said and "--rotate-key" in said
    assert isinstance(wrong.value, SettingsError), "the CLI says it and exits 2"


def test_a_missing_key_names_both_ways_to_give_it_and_a_variable_that_is_set_needs_none(config, monkeypatch):
    store(OracleEbsResource, config, EBS)
    monkeypatch.delenv(KEY)

    with pytest.raises(CredentialsError, match=f"neither {KEY} nor {KEY}_FILE is set"):
        production_resource(OracleEbsResource, config, resolve=True)
    monkeypatch.setenv("ORACLE_EBS_PASSWORD", "from-the-environment")
    assert production_resource(OracleEbsResource, config, resolve=True).username == "MLC_SYNC"


def test_a_token_copied_onto_another_row_is_refused(config):
    store(OracleEbsResource, config, EBS)
    store(SapEccResource, config, {"base_url": "https://sap.example.com", "username": "U", "password": "sap-pw-1"})
    engine = CredentialStore(config.ledger_url).engine
    with engine.begin() as conn:
        token = conn.execute(sa.select(credentials.c.value).where(credentials.c.system == "oracle_ebs")).all()
        ebs_token = next(value for (value,) in token if value.startswith("gAAAAA"))
        conn.execute(credentials.update().where(credentials.c.system == "sap_ecc", credentials.c.field == "password")
                     .values(value=ebs_token))  # fmt: skip

    with pytest.raises(CredentialsError, match="SAP_ECC_PASSWORD, stored for sap_ecc, was encrypted for another"):
        production_resource(SapEccResource, config, resolve=True)


def test_a_key_file_others_can_read_is_refused_and_a_new_one_is_made_for_its_owner_only(config, tmp_path, monkeypatch):
    path = tmp_path / "credentials.key"
    assert cli.main(["connect", "--new-key", str(path)]) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert cli.main(["connect", "--new-key", str(path)]) == 2, "a key file is never overwritten"
    monkeypatch.delenv(KEY)
    monkeypatch.setenv(f"{KEY}_FILE", str(path))
    assert key_from() is not None

    path.chmod(0o640)
    with pytest.raises(CredentialsError, match=r"may be read by other users \(mode 0640\).*chmod 600"):
        key_from()
    monkeypatch.setenv(KEY, Fernet.generate_key().decode())
    with pytest.raises(CredentialsError, match="both .* are set"):
        key_from()


def test_a_key_that_is_no_key_says_what_a_key_is_without_showing_it(monkeypatch):
    monkeypatch.setenv(KEY, "hunter2-not-a-key")
    with pytest.raises(CredentialsError) as bad:
        key_from()
    assert "32 random bytes" in str(bad.value) and "hunter2" not in str(bad.value)


def test_rotation_re_encrypts_every_secret_in_one_transaction(config, monkeypatch):
    store(OracleEbsResource, config, EBS)
    store(SapEccResource, config, {"base_url": "https://sap.example.com", "username": "U", "password": "sap-pw-1"})
    old, new = os.environ[KEY], Fernet.generate_key().decode()
    monkeypatch.setenv(NEW_KEY, new)
    with CredentialStore(config.ledger_url).engine.begin() as conn:  # one secret under a key the operator lost
        conn.execute(credentials.update().where(credentials.c.system == "sap_ecc", credentials.c.field == "password")
                     .values(value=Fernet(Fernet.generate_key()).encrypt(b"x").decode()))  # fmt: skip

    with pytest.raises(CredentialsError, match="sap_ecc: the stored password does not open.*nothing was rotated"):
        connect.rotate(config, io.StringIO())
    assert production_resource(OracleEbsResource, config, resolve=True).password == PASSWORD, "still the old key's"

    store(SapEccResource, config, {"password": "sap-pw-2"})
    out = io.StringIO()
    connect.rotate(config, out)
    assert out.getvalue().startswith("2 stored secrets re-encrypted")
    with pytest.raises(CredentialsError, match="does not open"):
        production_resource(OracleEbsResource, config, resolve=True)
    monkeypatch.setenv(KEY, new)
    assert production_resource(OracleEbsResource, config, resolve=True).password == PASSWORD
    assert production_resource(SapEccResource, config, resolve=True).password == "sap-pw-2"
    assert old != new


@pytest.mark.parametrize("kind, name, value, said", CASES[::3], ids=lambda case: getattr(case, "system", str(case)))
def test_a_bad_value_is_refused_before_it_is_stored_naming_its_variable(kind, name, value, said, config):
    if name in connect.deployment_fields(kind, config):
        return
    with pytest.raises(SettingsError) as refused:
        store(kind, config, {name: value})
    line = next(line for line in str(refused.value).splitlines() if kind.environment_variable(name) in line)
    assert all(words in line for words in said), line
    assert not CredentialStore(config.ledger_url).stored(kind.system)


def test_values_are_read_as_json_or_key_value_lines_by_variable_or_field_name(config):
    as_json = connect.parse('{"ORACLE_EBS_BASE_URL": "https://ebs.example.com", "page_size": 200, "org_id": null}', "f")
    as_lines = connect.parse("# EBS\nORACLE_EBS_BASE_URL=https://ebs.example.com\n\npage_size = 200\norg_id=\n", "f")
    assert as_json == as_lines == {"ORACLE_EBS_BASE_URL": "https://ebs.example.com", "page_size": "200", "org_id": None}
    assert connect.by_field(OracleEbsResource, as_json, config) == {
        "base_url": "https://ebs.example.com",
        "page_size": "200",
        "org_id": None,
    }
    with pytest.raises(SettingsError, match="ORACLE_EBS_PASWORD: no setting of oracle_ebs"):
        connect.by_field(OracleEbsResource, {"ORACLE_EBS_PASWORD": "x"}, config)
    with pytest.raises(SettingsError, match="f line 1: not KEY=VALUE"):
        connect.parse("just a password\n", "f")


def test_asking_shows_a_settings_value_as_its_default_and_a_secret_only_as_stored(config):
    store(OracleEbsResource, config, EBS)
    asked, secret_asked = [], []

    def prompt(text: str) -> str:
        asked.append(text)
        return "OTHER_USER" if text.startswith("ORACLE_EBS_USERNAME") else ""

    def secret_prompt(text: str) -> str:
        secret_asked.append(text)
        return "new-pass-9"

    given = connect.ask(
        OracleEbsResource, config, CredentialStore(config.ledger_url), every=False, prompt=prompt,
        secret_prompt=secret_prompt,
    )  # fmt: skip

    assert given == {"username": "OTHER_USER", "password": "new-pass-9"}
    assert [text.split(":")[0] for text in asked] == ["ORACLE_EBS_BASE_URL", "ORACLE_EBS_USERNAME"]
    assert asked[0].endswith("[https://ebs.example.com]: ") and asked[1].endswith("[MLC_SYNC]: ")
    assert secret_asked == [secret_asked[0]] and secret_asked[0].endswith("[stored; Enter keeps it]: ")
    assert PASSWORD not in "".join(asked + secret_asked)


def test_the_webhook_receiver_accepts_the_stored_key_its_system_registers_and_a_variable_wins(config, monkeypatch):
    store(ProcoreResource, config, {"client_id": "c", "client_secret": "s", "webhook_key": "procore-hook-key-77"})
    zoho = {
        "client_id": "c",
        "client_secret": "s",
        "refresh_token": "r",
        "ZOHO_CRM_WEBHOOK_KEY": "zoho-channel-token-77",
    }
    store(ZohoCrmResource, config, connect.by_field(ZohoCrmResource, zoho, config))

    sources = configured_sources("production", _stored_webhook_keys(config))

    assert SourceAuth("procore", "procore-hook-key-77") in sources
    assert SourceAuth("zoho_crm", "zoho-channel-token-77") in sources
    assert production_resource(ProcoreResource, config, resolve=True).webhook_key == "procore-hook-key-77"
    monkeypatch.setenv("PROCORE_WEBHOOK_KEY", "from-the-environment")
    assert SourceAuth("procore", "from-the-environment") in configured_sources(
        "production", _stored_webhook_keys(config)
    )


def test_a_secret_is_decrypted_only_when_taken_so_asking_without_the_key_shows_the_settings(config, monkeypatch):
    store(OracleEbsResource, config, EBS)
    monkeypatch.delenv(KEY)
    stored = CredentialStore(config.ledger_url).values("oracle_ebs", OracleEbsResource.environment_variable, os.environ)

    assert "password" in stored and stored["username"] == "MLC_SYNC"
    given = connect.ask(
        OracleEbsResource, config, CredentialStore(config.ledger_url), every=False, prompt=lambda text: "",
        secret_prompt=lambda text: "",
    )  # fmt: skip
    assert given == {}
    with pytest.raises(CredentialsError, match="ORACLE_EBS_PASSWORD, stored for oracle_ebs, is encrypted"):
        stored["password"]


def test_store_and_rotate_on_each_database_the_ledger_runs_on(ledger_url, config, monkeypatch):
    config = config.model_copy(update={"ledger_url": ledger_url})
    store(OracleEbsResource, config, EBS)
    monkeypatch.setenv(NEW_KEY, new := Fernet.generate_key().decode())

    connect.rotate(config, io.StringIO())

    monkeypatch.setenv(KEY, new)
    assert production_resource(OracleEbsResource, config, resolve=True).password == PASSWORD
    rows = {row.field: row for row in CredentialStore(ledger_url).stored("oracle_ebs")["oracle_ebs"]}
    assert rows["password"].encrypted and not rows["username"].encrypted and rows["password"].stored_by == "test"
