"""Homework files: what we accept, judged by content and not only by the name.

A file is accepted when its extension is on the allowlist AND its bytes look like that type:
a renamed executable (`setup.exe` → `homework.pdf`) is refused. Office files are zips that must
hold their own part folder; text types must be UTF-8 without NUL bytes.
"""

import json
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from onepco.images import image_type

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "zip": "application/zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "md": "text/plain; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "py": "text/plain; charset=utf-8",
    "ipynb": "application/json",
}
# Shown inline (an <img> on the grading screen); everything else downloads as an attachment.
INLINE_TYPES = {"image/png", "image/jpeg", "image/webp"}
OFFICE_PARTS = {"docx": "word/", "pptx": "ppt/", "xlsx": "xl/"}
TEXT_TYPES = {"md", "txt", "py", "ipynb"}
TEXT_LIMIT = 5 * 1024 * 1024


class FileTooLarge(Exception):
    pass


class FileRejected(Exception):
    pass


@dataclass(frozen=True)
class CheckedFile:
    name: str
    size: int
    content_type: str


def upload_limit_mb() -> int:
    return settings.UPLOAD_MAX_BYTES // (1024 * 1024)


def extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def file_check(upload: UploadedFile) -> CheckedFile:
    """Raise FileTooLarge or FileRejected (with a message for the student), else describe it."""
    if upload.size > settings.UPLOAD_MAX_BYTES:
        raise FileTooLarge(_("The file is larger than %(mb)s MB.") % {"mb": upload_limit_mb()})
    name = (upload.name or "").replace("\\", "/").rsplit("/", 1)[-1][:255]
    ext = extension(name)
    allowed = ", ".join(sorted({e for e in CONTENT_TYPES if e != "jpeg"}))
    if ext not in CONTENT_TYPES:
        raise FileRejected(_("This file type is not accepted. Accepted: %(types)s.") % {"types": allowed})
    if upload.size == 0:
        raise FileRejected(_("The file is empty."))
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    if not _content_matches(ext, head, upload):
        raise FileRejected(
            _("The file's content does not match its name (.%(ext)s). Export it again or zip it.")
            % {"ext": ext}
        )
    upload.seek(0)
    return CheckedFile(name=name, size=upload.size or 0, content_type=CONTENT_TYPES[ext])


def _content_matches(ext: str, head: bytes, upload: UploadedFile) -> bool:
    if ext == "pdf":
        return head.startswith(b"%PDF-")
    if ext in ("png", "jpg", "jpeg", "webp"):
        return image_type(head) == ("jpg" if ext == "jpeg" else ext)
    if ext == "zip":
        return head[:4] in (b"PK\x03\x04", b"PK\x05\x06") and _zip_names(upload) is not None
    if ext in OFFICE_PARTS:
        names = _zip_names(upload) if head[:4] == b"PK\x03\x04" else None
        return names is not None and any(n.startswith(OFFICE_PARTS[ext]) for n in names)
    if ext in TEXT_TYPES:
        return _is_text(ext, upload)
    return False


def _zip_names(upload: UploadedFile) -> list[str] | None:
    try:
        with zipfile.ZipFile(upload) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def _is_text(ext: str, upload: UploadedFile) -> bool:
    if (upload.size or 0) > TEXT_LIMIT:
        return False
    data = upload.read()
    if b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    if ext == "ipynb":
        try:
            return isinstance(json.loads(text), dict)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than any notebook
            return False
    return True
