"""Uploads move to S3-compatible object storage by setting (tested against moto's server)."""

import socket

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from moto.server import ThreadedMotoServer

from console.archive import export_archive, import_archive
from tests import factories as f

pytestmark = pytest.mark.xdist_group("object-storage")


@pytest.fixture(scope="module")
def s3_server():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def object_storage(s3_server, settings, monkeypatch):
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket="onepco-uploads")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "onepco-uploads",
                "endpoint_url": s3_server,
                "access_key": "test",
                "secret_key": "test",
                "region_name": "us-east-1",
                "addressing_style": "path",
                "file_overwrite": False,
                "default_acl": None,
            },
        },
    }
    yield client
    for item in client.list_objects_v2(Bucket="onepco-uploads").get("Contents", []):
        client.delete_object(Bucket="onepco-uploads", Key=item["Key"])
    client.delete_bucket(Bucket="onepco-uploads")


def test_homework_files_land_in_the_bucket_not_on_local_disk(db, object_storage, settings):
    cohort = f.make_cohort()
    submission = f.make_submission(f.make_assignment(cohort), f.make_student())
    submission.file.save("report.pdf", ContentFile(b"%PDF-1.4 report"))
    keys = [item["Key"] for item in object_storage.list_objects_v2(Bucket="onepco-uploads")["Contents"]]
    assert keys == [submission.file.name]
    assert not (settings.MEDIA_ROOT / submission.file.name).exists()
    with default_storage.open(submission.file.name, "rb") as handle:
        assert handle.read() == b"%PDF-1.4 report"


def test_an_archive_carries_files_from_and_back_to_object_storage(transactional_db, object_storage, tmp_path):
    submission = f.make_submission(f.make_assignment(f.make_cohort()), f.make_student())
    submission.file.save("report.pdf", ContentFile(b"%PDF-1.4 kept"))
    archive = tmp_path / "a.zip"
    export_archive(archive)
    default_storage.delete(submission.file.name)
    import_archive(archive, replace=True)
    with default_storage.open(submission.file.name, "rb") as handle:
        assert handle.read() == b"%PDF-1.4 kept"
