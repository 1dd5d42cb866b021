"""The orchestration package the JDE administrator builds from (ml_connector_dagster/erp/jde/): each spec's inputs are
the ones the connector sends and the ones the sandbox's orchestrations accept, with the same lengths."""

import json
from pathlib import Path

import pytest
from ml_connector_dagster.resources.jde import JdeResource

from ml_connector_dagster.mapping.jde_zoho_crm import (
    JDE_CONTACT,
    JDE_CUSTOMER,
    STREET_LINES,
    jde_contact,
    jde_customer,
    load_pair_rules,
)
from ml_connector_dagster.sandbox.jde.orchestrations import CONTACT_INPUTS, CUSTOMER_INPUTS

PACKAGE = Path(__file__).resolve().parents[1] / "ml_connector_dagster" / "erp" / "jde"
CUSTOMER = set(JDE_CUSTOMER.values()) | set(STREET_LINES)
CONTACT = set(JDE_CONTACT.values())
# orchestration: (what the connector sends it, what the emulator accepts, the emulator's length limits)
EXPECTED = {
    "MLC_AddCustomer": (CUSTOMER | {"Company"}, set(CUSTOMER_INPUTS), CUSTOMER_INPUTS),
    "MLC_UpdateCustomer": (CUSTOMER | {"AddressNumber"}, {"AddressNumber", *CUSTOMER_INPUTS}, CUSTOMER_INPUTS),
    "MLC_AddContact": (CONTACT | {"AddressNumber"}, {"AddressNumber", *CONTACT_INPUTS}, CONTACT_INPUTS),
    "MLC_UpdateContact": (
        CONTACT | {"AddressNumber", "LineNumber"},
        {"AddressNumber", "LineNumber", *CONTACT_INPUTS},
        CONTACT_INPUTS,
    ),
}
REQUIRED = {
    "MLC_AddCustomer": {"AlphaName", "SearchType"},
    "MLC_UpdateCustomer": {"AddressNumber"},
    "MLC_AddContact": {"AddressNumber", "Surname"},
    "MLC_UpdateContact": {"AddressNumber", "LineNumber"},
}


def spec(name: str) -> dict:
    return json.loads((PACKAGE / f"{name}.json").read_text())


def test_the_package_holds_one_spec_per_orchestration_and_nothing_else():
    assert {path.stem for path in PACKAGE.glob("*.json")} == set(EXPECTED)
    assert (PACKAGE / "README.md").is_file()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_spec_names_the_inputs_the_connector_sends_and_the_emulator_accepts(name):
    sent, accepted, _ = EXPECTED[name]
    inputs = spec(name)["inputs"]
    names = [item["name"] for item in inputs]
    assert len(names) == len(set(names)), f"{name} lists an input twice"
    assert set(names) == accepted
    assert {item["name"] for item in inputs if item["sent_by_connector"]} == sent


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_spec_gives_the_lengths_the_emulator_checks_and_the_required_inputs(name):
    _, _, limits = EXPECTED[name]
    inputs = {item["name"]: item for item in spec(name)["inputs"]}
    assert {n: inputs[n]["max_length"] for n in limits} == limits
    assert {n for n, item in inputs.items() if item["required"]} == REQUIRED[name]
    assert all(item["type"] == "String" for item in inputs.values()), "every generic input is a string"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_spec_names_the_setting_whose_default_is_its_orchestration(name):
    document = spec(name)
    assert document["orchestration"] == name
    fields = {JdeResource.environment_variable(field): field for field in JdeResource.model_fields}
    assert JdeResource.model_fields[fields[document["setting"]]].default == name
    assert document["input_format"] == "Generic"


def test_the_outputs_are_the_keys_the_connector_reads():
    assert [o["name"] for o in spec("MLC_AddCustomer")["outputs"]] == ["AddressNumber"]
    assert [o["name"] for o in spec("MLC_UpdateCustomer")["outputs"]] == ["AddressNumber"]
    assert [o["name"] for o in spec("MLC_AddContact")["outputs"]] == ["LineNumber"]
    assert [o["name"] for o in spec("MLC_UpdateContact")["outputs"]] == ["LineNumber"]


def test_the_payloads_the_mapping_builds_use_only_inputs_the_specs_mark_as_sent():
    rules = load_pair_rules()
    account = {name: "x" for name in JDE_CUSTOMER} | {"account_type": "Customer", "industry": "Software"}
    customer = set(jde_customer(account, rules))
    contact = set(jde_contact({name: "x" for name in JDE_CONTACT}))
    for name, payload in (
        ("MLC_AddCustomer", customer | {"Company"}),
        ("MLC_UpdateCustomer", customer | {"AddressNumber"}),
        ("MLC_AddContact", contact | {"AddressNumber"}),
        ("MLC_UpdateContact", contact | {"AddressNumber", "LineNumber"}),
    ):
        assert payload == {item["name"] for item in spec(name)["inputs"] if item["sent_by_connector"]}, name
