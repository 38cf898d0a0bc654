"""Background jobs of the console: thin, idempotent, loading by id.

Jobs and services name each other through their modules (`services.x`, `jobs.y`), so that
either module may be imported first.
"""

from console import services
from console.models import DataAccessRequest, DataExport, ErasureRecord


def build_data_export(export_id: int) -> None:
    export = DataExport.objects.filter(pk=export_id).first()
    if export is not None:
        services.data_export_build(export=export)


def purge_data_exports() -> int:
    return services.data_exports_purge()


def scrub_archives(record_id: int) -> int:
    record = ErasureRecord.objects.filter(pk=record_id).first()
    return services.archives_scrub(record=record) if record is not None else 0


def send_data_access_code(access_request_id: int) -> None:
    access_request = DataAccessRequest.objects.filter(pk=access_request_id).first()
    if access_request is not None:
        services.data_access_code_send(access_request=access_request)
