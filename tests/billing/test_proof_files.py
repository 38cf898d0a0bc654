"""Transfer proofs and payee QR codes are judged by their content: stored under the type their
bytes show, and served so that nothing in them can run on the console's origin."""

import pytest
from django.contrib.admin.sites import site
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from billing.models import PayeeAccount, TransferProof
from tests.billing.conftest import image_bytes, manual_chosen, proof_post

SANDBOX = "default-src 'none'; sandbox"
HTML = b"<html><script>fetch('/console/')</script></html>"
SVG = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"


def stored(name: str, content: bytes) -> str:
    """A file as older versions stored it: under the uploader's name and extension."""
    return default_storage.save(f"billing/legacy/{name}", ContentFile(content))


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize(
    ("kind", "extension", "content_type"),
    [("PNG", "png", "image/png"), ("JPEG", "jpg", "image/jpeg"), ("WEBP", "webp", "image/webp")],
)
def test_a_proof_is_stored_and_served_as_the_image_its_content_shows(
    client, founder_client, order, payee, kind, extension, content_type
):
    manual_chosen(client, order)
    content = image_bytes(kind)

    assert proof_post(client, order, content, name="转账.html").status_code == 302

    proof = TransferProof.objects.get()
    assert proof.image.name.endswith(f".{extension}")
    response = founder_client.get(f"/console/orders/{order.number}/proofs/{proof.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("inline")
    assert response["Content-Disposition"].endswith(f'.{extension}"')
    assert response["Content-Security-Policy"] == SANDBOX
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body(response) == content


@pytest.mark.parametrize(("name", "content"), [("old.html", HTML), ("old.svg", SVG), ("old.png", HTML)])
def test_a_stored_proof_that_is_not_an_image_downloads_as_octet_stream(founder_client, order, name, content):
    proof = TransferProof.objects.create(order=order, image=stored(name, content))

    response = founder_client.get(f"/console/orders/{order.number}/proofs/{proof.pk}/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Security-Policy"] == SANDBOX
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_proof_whose_file_is_gone_is_404(founder_client, order):
    proof = TransferProof(order=order)
    proof.image.save("p.png", ContentFile(image_bytes()), save=True)
    proof.image.storage.delete(proof.image.name)
    assert founder_client.get(f"/console/orders/{order.number}/proofs/{proof.pk}/").status_code == 404


@pytest.mark.parametrize(("name", "content"), [("qr.svg", SVG), ("qr.html", HTML)])
def test_a_stored_payee_qr_that_is_not_an_image_is_never_served_as_a_page(client, db, name, content):
    account = PayeeAccount.objects.create(kind="wechat", title="收款码", qr_image=stored(name, content))

    response = client.get(f"/pay/payee/{account.pk}/qr/")

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Security-Policy"] == SANDBOX
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_payee_qr_image_is_served_inline_as_an_image(client, db):
    account = PayeeAccount(kind="wechat", title="收款码")
    account.qr_image.save("qr.png", ContentFile(image_bytes()), save=True)

    response = client.get(f"/pay/payee/{account.pk}/qr/")

    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert response["Content-Security-Policy"] == SANDBOX


def _admin_payee_form(content: bytes, name: str):
    admin = site._registry[PayeeAccount]
    form_class = admin.get_form(None)
    data = {"kind": "wechat", "title": "收款码", "details": "", "is_active": "on", "position": "0"}
    return form_class(data, {"qr_image": SimpleUploadedFile(name, content)})


@pytest.mark.parametrize(
    ("name", "content"), [("qr.svg", SVG), ("qr.png", HTML), ("qr.png", b"\x89PNG\r\n\x1a\n")]
)
def test_the_admin_refuses_a_payee_qr_that_is_not_a_real_image(db, name, content):
    form = _admin_payee_form(content, name)
    assert not form.is_valid()
    assert "qr_image" in form.errors


def test_the_admin_stores_a_payee_qr_under_its_real_type(db):
    form = _admin_payee_form(image_bytes("JPEG"), "qr.html")
    assert form.is_valid(), form.errors
    account = form.save()
    assert account.qr_image.name.endswith(".jpg")
