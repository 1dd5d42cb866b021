"""The operator docs say what the resource classes read, because their tables are generated from them."""

import re
from pathlib import Path

from ml_connector_dagster.config_reference import DOC, REGENERATE, updated
from ml_connector_dagster.connections import SYSTEM_RESOURCES

OPERATOR_DOCS = Path(__file__).resolve().parents[1] / "docs" / "operators"


def test_the_configuration_reference_is_what_the_resource_classes_declare():
    doc = DOC.read_text()
    assert updated(doc) == doc, f"{DOC.name} disagrees with the resource classes: run {REGENERATE}"


def test_every_system_variable_the_operator_docs_name_is_one_a_resource_reads():
    read = {kind.environment_variable(name) for kind in SYSTEM_RESOURCES for name in kind.environment_fields()}
    prefixes = "|".join(kind.system.upper() for kind in SYSTEM_RESOURCES)
    for doc in OPERATOR_DOCS.glob("*.md"):
        named = set(re.findall(rf"\b(?:{prefixes})_[A-Z_]*[A-Z]\b", doc.read_text()))
        # The webhook receiver's keys are the receiver's settings, not a resource's (events.md).
        unknown = {name for name in named - read if not name.endswith("_WEBHOOK_KEY")}
        assert not unknown, f"{doc.name} names variables no resource reads: {sorted(unknown)}"
