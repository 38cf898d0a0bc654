"""Uploaded images judged by their bytes, never by their name: what type they are, whether they
really decode, and how to serve a stored file so that nothing in it runs on our origin.

The signatures here are also what homework files are checked against (cohorts.files).
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

# The extension we store, the content type we serve, and Pillow's name for the format.
IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
PILLOW_FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}
IMAGE_MAX_BYTES = 10 * 1024 * 1024
# A phone screenshot is 3-4 megapixels, a photo about 12; decoding is ~3 bytes a pixel.
MAX_PIXELS = 25_000_000
SANDBOX = "default-src 'none'; sandbox"


def image_type(head: bytes) -> str | None:
    """'png', 'jpg' or 'webp' when the first bytes carry that signature, else None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


@dataclass(frozen=True)
class CheckedImage:
    extension: str
    content_type: str
    width: int
    height: int


def image_check(upload: File) -> CheckedImage:
    """A PNG, JPEG or WebP that Pillow decodes in full, within the size limits; raises
    ValidationError with a message for the uploader otherwise."""
    max_bytes = min(settings.UPLOAD_MAX_BYTES, IMAGE_MAX_BYTES)
    refused = ValidationError(_("Upload a PNG, JPEG or WebP image."), code="not_an_image")
    if upload.size > max_bytes:
        raise ValidationError(
            _("The image is too large (at most %(mb)s MB).") % {"mb": max_bytes // (1024 * 1024)},
            code="too_large",
        )
    upload.seek(0)
    extension = image_type(upload.read(16))
    upload.seek(0)
    if extension is None:
        raise refused
    try:
        with Image.open(upload, formats=[PILLOW_FORMATS[extension]]) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ValidationError(_("The image has too many pixels."), code="too_many_pixels")
            image.load()  # a truncated or corrupt file fails here, not only its header
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise refused from None
    finally:
        upload.seek(0)
    return CheckedImage(extension, IMAGE_TYPES[extension], width, height)


def image_file_response(field: FieldFile, *, private: bool = False) -> FileResponse:
    """A stored upload, typed by its content: a real image inline as itself, anything else
    (an old HTML or SVG file) as an octet-stream attachment. Sandboxed and nosniff either way."""
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    extension = image_type(handle.read(16))
    handle.seek(0)
    stem = (field.name or "").rsplit("/", 1)[-1].rsplit(".", 1)[0] or "file"
    response = FileResponse(
        handle,
        as_attachment=extension is None,
        filename=f"{stem}.{extension or 'bin'}",
        content_type=IMAGE_TYPES.get(extension or "", "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX
    if private:
        response["Cache-Control"] = "private, no-store"
    return response
