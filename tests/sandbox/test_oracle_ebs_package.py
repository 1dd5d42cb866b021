"""The PL/SQL package the EBS administrator deploys, the emulator that stands in for it, and the documents that
describe both name the same methods and parameters (no Oracle database here to compile it: these are the checks
that can be made without one)."""

import re
from pathlib import Path

import pytest

from ml_connector_dagster.sandbox.oracle_ebs import procedures
from ml_connector_dagster.sandbox.oracle_ebs.emulator import METHODS

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "ml_connector_dagster" / "erp" / "oracle_ebs"
SPEC, BODY = (PACKAGE / "XXMLC_SYNC_PKG.pks").read_text(), (PACKAGE / "XXMLC_SYNC_PKG.pkb").read_text()
# An Integration Repository annotation and the procedure it documents.
DECLARED = re.compile(r"/\*#((?:(?!\*/).)*)\*/\s*PROCEDURE (\w+) \(([^;]*)\);", re.DOTALL)


def parameters(declaration: str) -> list[str]:
    return re.findall(r"(\w+) (?:IN|OUT)\b", declaration)


SPEC_PROCEDURES = {name: (notes, parameters(params)) for notes, name, params in DECLARED.findall(SPEC)}


def test_the_spec_declares_every_method_the_emulator_serves():
    assert set(SPEC_PROCEDURES) == METHODS


@pytest.mark.parametrize("method", sorted(METHODS))
def test_each_method_is_annotated_for_the_integration_repository_and_defined_in_the_body(method):
    notes, declared = SPEC_PROCEDURES[method]
    # irep_parser.pl refuses an annotation whose @param names differ from the procedure's parameters
    assert re.findall(r"@param (\w+)", notes) == declared
    assert "@rep:displayname" in notes and "@rep:scope public" in notes
    [defined] = re.findall(rf"PROCEDURE {method} \(([^)]*)\) IS", BODY)
    assert parameters(defined) == declared
    assert f"END {method};" in BODY


def test_the_parameters_the_emulator_reads_are_the_packages():
    for method, procedure in procedures.PROCEDURES.items():
        declared = SPEC_PROCEDURES[method][1]
        assert procedure.ids_param in declared, method
        assert procedure.after_param is None or procedure.after_param in declared, method
        assert procedure.window == ("P_LAST_UPDATE_FROM" in declared), method


def test_spec_and_body_are_one_version_and_the_documents_name_every_method():
    versions = [re.search(r"\$Header: XXMLC_SYNC_PKG\.pk[sb] ([\d.]+) ", text).group(1) for text in (SPEC, BODY)]
    assert versions[0] == versions[1]
    readme = (PACKAGE / "README.md").read_text()
    contract = (ROOT / "docs" / "contributors" / "oracle_ebs_service_contract.md").read_text()
    assert f"version {versions[0]}" in readme
    for method in METHODS:
        assert f"`{method}`" in readme and f"`{method}`" in contract, method
