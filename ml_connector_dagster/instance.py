"""The embedded default's Dagster instance file: written once into the home folder, never over the user's own."""

from importlib.resources import files
from pathlib import Path


def ensure_embedded_instance(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists():
        target.write_text(files("ml_connector_dagster").joinpath("embedded_dagster.yaml").read_text())
