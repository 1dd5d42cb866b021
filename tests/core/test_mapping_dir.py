"""The mapping folder ($ML_CONNECTOR_MAPPING_DIR): a copy of a packaged mapping file under the packaged name (what
each file's first line says to do) or under its pair's name is what the pair's build reads; a folder that does not
exist, a file no pair reads, or two copies of one pair's rules fail the settings, naming the folder or file."""

import re
import shutil

import pytest

from ml_connector_dagster import cli
from ml_connector_dagster.config_reference import DOC
from ml_connector_dagster.mapping import files
from ml_connector_dagster.pair import Build
from ml_connector_dagster.pairs import PAIRS
from ml_connector_dagster.settings import Settings, SettingsError, settings

# One rule of each packaged file, changed from its packaged value: (key, the new value in YAML, as the model holds it)
CHANGES = {
    "oracle_ebs__dynamics_sales": ("truncate_long_names", "true", True),
    "sap_ecc__dynamics_sales": ("purchase_orders_as", "salesorder", "salesorder"),
    "dynamics_fo__salesforce": ("account_type", "Partner", "Partner"),
    "salesforce__dynamics_fo": ("customer_account_prefix", '"CRM-"', "CRM-"),
    "jde__zoho_crm": ("company", '"00002"', "00002"),
    "oracle_ebs__procore": ("send_unapproved_purchase_orders", "true", True),
}


def built_rules(config: Settings) -> dict[str, object]:
    """Each pair's rules as the code location's build read them."""
    build = Build(config)
    for pair in PAIRS:
        pair.build(build)
    return {name.removeprefix("rules:"): rules for name, rules in build._shared.items() if name.startswith("rules:")}


def configured(tmp_path, folder) -> Settings:
    return Settings(home=tmp_path, ledger_url="sqlite://", mapping_dir=folder)


def copy_changed(pair: str, folder, name: str) -> None:
    key, value, _ = CHANGES[pair]
    text, replaced = re.subn(
        rf"^{key}: .*$", f"{key}: {value}", files.packaged_files()[pair].read_text(), count=1, flags=re.M
    )
    assert replaced, f"{key} is no longer a top-level rule of {pair}'s packaged file"
    (folder / name).write_text(text)


def test_every_packaged_file_is_a_pair_s_rules_that_the_build_reads():
    assert set(files.packaged_files()) == set(CHANGES)
    assert set(built_rules(Settings(home=".", ledger_url="sqlite://"))) == set(CHANGES)


@pytest.mark.parametrize("naming", ["packaged name", "pair name"])
def test_a_copy_of_each_packaged_file_in_the_mapping_folder_is_what_its_pair_reads(tmp_path, naming):
    folder = tmp_path / "mapping"
    folder.mkdir()
    for pair in CHANGES:
        packaged, pair_named = files.copy_names(pair)
        copy_changed(pair, folder, packaged if naming == "packaged name" else pair_named)

    rules = built_rules(configured(tmp_path, folder))

    for pair, (key, _, expected) in CHANGES.items():
        assert getattr(rules[pair], key) == expected, f"{pair}: the copy's {key} was not read"


def test_a_copy_under_its_packaged_name_is_the_documented_way():
    for pair, path in files.packaged_files().items():
        assert files.copy_names(pair)[0] == path.name
        assert "$ML_CONNECTOR_MAPPING_DIR/ " in path.read_text().splitlines()[0] + " ", (
            f"{path.name}'s first line says to copy it into the mapping folder under its own name"
        )


def test_the_configuration_reference_lists_every_mapping_file_under_both_names():
    doc = DOC.read_text()
    for pair in files.packaged_files():
        packaged, pair_named = files.copy_names(pair)
        assert f"| `{packaged}` | `{pair}`" in doc and f"| `{pair_named}` |" in doc, pair


def test_a_mapping_folder_that_does_not_exist_is_named_at_load(tmp_path, monkeypatch, capsys):
    missing = tmp_path / "no-such-folder"
    monkeypatch.setenv("ML_CONNECTOR_HOME", str(tmp_path))
    monkeypatch.setenv("ML_CONNECTOR_MAPPING_DIR", str(missing))
    settings.cache_clear()
    try:
        with pytest.raises(SettingsError) as failed:
            settings()
        [line] = str(failed.value).splitlines()
        assert line.startswith("ML_CONNECTOR_MAPPING_DIR=") and f"no folder {missing}" in line

        assert cli.main(["dead-letters"]) == 2
        assert capsys.readouterr().err == f"ml-connector: {line}\n"
    finally:
        settings.cache_clear()


@pytest.mark.parametrize("unknown", ["oracle_ebs__dynamics_sales.yml", "ebs_rules.yaml", "dynamics_sales.yaml"])
def test_a_file_no_pair_reads_in_the_mapping_folder_is_named_with_the_accepted_names(tmp_path, unknown):
    folder = tmp_path / "mapping"
    folder.mkdir()
    shutil.copy(files.packaged_files()["sap_ecc__dynamics_sales"], folder)
    (folder / unknown).write_text("{}\n")
    (folder / "README.md").write_text("not a mapping file: ignored\n")

    with pytest.raises(ValueError) as failed:
        configured(tmp_path, folder)

    message = str(failed.value)
    assert f"{folder / unknown} is no pair's mapping file" in message
    for pair in CHANGES:
        assert all(name in message for name in files.copy_names(pair))


def test_two_copies_of_one_pair_s_rules_are_refused_rather_than_one_silently_winning(tmp_path):
    folder = tmp_path / "mapping"
    folder.mkdir()
    for name in files.copy_names("jde__zoho_crm"):
        copy_changed("jde__zoho_crm", folder, name)

    with pytest.raises(ValueError, match=r"jde_zoho_crm.yaml and jde__zoho_crm.yaml are both jde__zoho_crm's rules"):
        configured(tmp_path, folder)
