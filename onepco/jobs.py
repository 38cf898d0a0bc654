"""Background jobs of the system itself: thin, idempotent, loading by id."""

from onepco.models import DataExport
from onepco.services import data_export_build, data_exports_purge


def build_data_export(export_id: int) -> None:
    export = DataExport.objects.filter(pk=export_id).first()
    if export is not None:
        data_export_build(export=export)


def purge_data_exports() -> int:
    return data_exports_purge()
