"""The systems' part of docs/operators/configuration.md, rendered from the resource classes so that the variables,
meanings and defaults an operator reads are the ones the code uses.

    .venv/bin/python -m ml_connector_dagster.config_reference           # print the generated part
    .venv/bin/python -m ml_connector_dagster.config_reference --write   # rewrite it in the doc
"""

import argparse
import sys
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import annotated_types
from pydantic.fields import FieldInfo

from ml_connector_dagster.connections import SYSTEM_RESOURCES
from ml_connector_dagster.session_resource import SystemResource

DOC = Path(__file__).resolve().parents[1] / "docs" / "operators" / "configuration.md"
START = "<!-- generated: ml-connector config-reference -->"
END = "<!-- end generated -->"
REGENERATE = ".venv/bin/python -m ml_connector_dagster.config_reference --write"


def render() -> str:
    return "\n\n".join(_section(kind) for kind in SYSTEM_RESOURCES)


def updated(doc: str) -> str:
    """`doc` with the text between the markers replaced by what the classes say now."""
    before, start, rest = doc.partition(START)
    _, end, after = rest.partition(END)
    if not start or not end:
        raise ValueError(f"the doc lacks the markers {START} ... {END}")
    return f"{before}{START}\n{render()}\n{END}{after}"


def _section(kind: type[SystemResource]) -> str:
    from_environment = set(kind.environment_fields())
    # The shared timeout and retry fields come first in the class (the base declares them) but matter least.
    names = sorted(kind.model_fields, key=lambda name: name in SystemResource.model_fields)
    required = kind.required_fields({})
    lines = [
        f"### `{kind.system}`",
        "",
        f"`{kind.__name__}`: {(kind.__doc__ or '').strip()}",
        "",
        "| variable | resource field | meaning | default |",
        "|---|---|---|---|",
    ]
    for name in (name for name in names if name in from_environment):
        field = kind.model_fields[name]
        marks = [
            mark for mark, applies in (("required", name in required), ("secret", name in kind.secrets)) if applies
        ]
        lines.append(
            f"| `{kind.environment_variable(name)}` | `{name}` | {_meaning(field)} | "
            f"{', '.join(marks) or _default(field.default)} |"
        )
    run_config = [name for name in names if name not in from_environment]
    if run_config:
        lines += [
            "",
            "Run config only (not read from the environment): "
            + "; ".join(
                f"`{name}`: {_meaning(kind.model_fields[name])}, default {_default(kind.model_fields[name].default)}"
                for name in run_config
            )
            + ".",
        ]
    return "\n".join(lines)


def _meaning(field: FieldInfo) -> str:
    text = field.description or ""
    if get_origin(field.annotation) is Literal:
        choices = [f"`{choice}`" for choice in get_args(field.annotation)]
        text += f" ({', '.join(choices[:-1])} or {choices[-1]})"
    bounds = {type(item): item for item in field.metadata}
    low, high = bounds.get(annotated_types.Ge), bounds.get(annotated_types.Le)
    if low and high:
        text += f" ({low.ge}–{high.le})"
    elif low:
        text += f" (at least {low.ge})"
    elif annotated_types.Gt in bounds:
        text += f" (more than {bounds[annotated_types.Gt].gt})"
    return _markdown(text)


def _markdown(text: str) -> str:
    """Table-safe: no bare pipes, and placeholders such as <environment_url> outside code spans are not taken for
    HTML tags (which would hide them)."""
    parts = text.replace("|", "\\|").split("`")
    return "`".join(part if n % 2 else part.replace("<", "&lt;").replace(">", "&gt;") for n, part in enumerate(parts))


def _default(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help=f"rewrite the generated part of {DOC.name}")
    if parser.parse_args(argv).write:
        DOC.write_text(updated(DOC.read_text()))
    else:
        print(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
