"""The IO manager of every asset: Dagster's filesystem IO manager (a pickle per asset and partition under the
instance's storage), except that a `Spool` an asset returns is moved beside its pickle (`<path>.spool/`, replacing
the partition's earlier one) and the pickle holds only the reference. A consumer whose input is typed `Spool` gets the
reference and reads a page at a time; any other consumer gets the partition whole (`Spool.whole`), as before
spools, so a pair's assets move to pages one by one."""

from typing import Any

import dagster as dg

# Dagster's filesystem IO manager (what `dg.FilesystemIOManager` makes), for its paths and partition escaping.
from dagster._core.storage.fs_io_manager import PickledObjectFilesystemIOManager
from upath import UPath

from ml_connector_dagster.spool import Spool


class SpoolingIOManager(PickledObjectFilesystemIOManager):
    def dump_to_path(self, context: dg.OutputContext, obj: Any, path: UPath) -> None:
        if isinstance(obj, Spool):
            obj.move(UPath(f"{path}.spool"))
        super().dump_to_path(context, obj, path)

    def load_from_path(self, context: dg.InputContext, path: UPath) -> Any:
        value = super().load_from_path(context, path)
        if isinstance(value, Spool) and not _takes_spool(context):
            return value.whole()
        return value


# The type of an input that takes a spool by reference, or a value its producer still returns whole (a pair not moved to
# pages yet): `pages_of` reads either.
PAGES = dg.DagsterType(
    type_check_fn=lambda _, value: True,
    name="Pages",
    description="A Spool (pages on disk, read one at a time) or a value held whole",
    typing_type=Spool,
)


def _takes_spool(context: dg.InputContext) -> bool:
    wanted = context.dagster_type.typing_type
    return isinstance(wanted, type) and issubclass(wanted, Spool)


class SpoolingIOManagerFactory(dg.ConfigurableIOManagerFactory):
    """Under the instance's storage directory, as Dagster's own filesystem IO manager."""

    def create_io_manager(self, context: dg.InitResourceContext) -> SpoolingIOManager:
        return SpoolingIOManager(base_dir=context.instance.storage_directory())
