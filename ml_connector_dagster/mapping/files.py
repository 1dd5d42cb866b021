"""The packaged mapping files, and the names a copy of one may have in the mapping folder
($ML_CONNECTOR_MAPPING_DIR): the packaged file's own name, as the file's first line says to copy it, or the name of
its pair (`<pair>.yaml`, the only name read before the packaged one was)."""

from pathlib import Path

from ml_connector_dagster.systems import SYSTEMS

PACKAGED = Path(__file__).parent


def packaged_files() -> dict[str, Path]:
    """Pair → its packaged rules file, which is named after the pair with one underscore
    (oracle_ebs_dynamics_sales.yaml holds the rules of oracle_ebs__dynamics_sales)."""
    pairs = {f"{source}_{target}": f"{source}__{target}" for source in SYSTEMS for target in SYSTEMS}
    return {pairs[path.stem]: path for path in sorted(PACKAGED.glob("*.yaml"))}


def copy_names(pair: str) -> tuple[str, str]:
    """The names a copy of the pair's rules may have in the mapping folder: the packaged name first."""
    return packaged_files()[pair].name, f"{pair}.yaml"


def unknown_files(folder: Path) -> list[str]:
    """Mapping-looking files in `folder` that no pair reads."""
    known = {name for pair in packaged_files() for name in copy_names(pair)}
    return sorted(p.name for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.name not in known)


def accepted_names() -> str:
    return ", ".join(" or ".join(copy_names(pair)) for pair in packaged_files())
