"""The installed distribution: one top-level package, every source file inside it, and an import of the code
location that loads nothing under a generic name (assets, resources, sensors) and reads no setting at import."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAPPED = {
    "assets": "ml_connector_dagster/assets",
    "resources": "ml_connector_dagster/resources",
    "sensors": "ml_connector_dagster/sensors",
    "ml_connector_dagster": "ml_connector_dagster",
}
GENERIC = ("assets", "resources", "sensors")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("*.whl")
    return built


def test_the_wheel_holds_one_top_level_package_with_every_source_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {name.split("/")[0] for name in names} == {"ml_connector_dagster", "ml_connector_dagster-0.1.0.dist-info"}
    expected = {
        f"{MAPPED[path.parts[0]]}/{'/'.join(path.parts[1:])}"
        for folder in MAPPED
        for path in (p.relative_to(ROOT) for p in (ROOT / folder).rglob("*.py"))
    }
    assert expected - names == set(), "a package folder is missing from pyproject's [tool.setuptools] packages"
    assert "ml_connector_dagster/erp/oracle_ebs/XXMLC_SYNC_PKG.pks" in names
    # the JDE administrator's package is data files only: package-data (erp/**/*) carries it
    jde = {path.name for path in (ROOT / "ml_connector_dagster" / "erp" / "jde").iterdir()}
    assert {"README.md", "MLC_AddCustomer.json", "MLC_UpdateContact.json"} <= jde
    assert {f"ml_connector_dagster/erp/jde/{name}" for name in jde} <= names


def test_an_installed_copy_imports_nothing_generic_and_reads_no_setting_at_import(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    probe = (
        "import importlib, pkgutil, sys\n"
        "import ml_connector_dagster\n"
        f"assert ml_connector_dagster.__file__.startswith({str(target)!r}), ml_connector_dagster.__file__\n"
        "for module in pkgutil.walk_packages(ml_connector_dagster.__path__, 'ml_connector_dagster.'):\n"
        "    importlib.import_module(module.name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {GENERIC!r}))\n"
        "from ml_connector_dagster.definitions import defs\n"
        "try:\n"
        "    defs()\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__)\n"
    )
    # A start date no one could mean: importing every module must not read it; building the definitions must.
    env = {
        "PYTHONPATH": str(target),
        "ML_CONNECTOR_START_DATE": "not-a-date",
        "ML_CONNECTOR_HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["[]", "SettingsError"]
