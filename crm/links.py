"""The link builder's links as things to hand out: the tagged address and its QR code image.

The QR code is a PNG big enough to print on a poster or post in WeChat moments (at least
QR_MIN_PIXELS wide, with the standard quiet zone of four modules), the link's label under it.
"""

import io
import math

import qrcode
import qrcode.constants
from django.urls import reverse
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw

from cohorts.cards import card_font
from cohorts.models import Course
from crm.models import TrackedLink

QR_MIN_PIXELS = 1200
QR_BORDER = 4  # modules: the quiet zone readers need around the code
QR_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
LABEL_FONT_SIZE = 56


def link_pages() -> list[tuple[str, str]]:
    """The pages a link can point at: the course list (the public home) and each published
    course's page, as (path, name)."""
    pages = [(reverse("billing:course_index"), _("Home: all courses"))]
    for course in Course.objects.filter(status=Course.Status.PUBLISHED).order_by("title"):
        pages.append((reverse("billing:course_detail", args=[course.slug]), course.title))
    return pages


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR code's modules for `text`, quiet zone included (True is dark)."""
    code = qrcode.QRCode(error_correction=QR_ERROR_CORRECTION, border=QR_BORDER)
    code.add_data(text)
    code.make(fit=True)
    return code.get_matrix()


def _fit(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> str:
    """The label cut to one line of `width` pixels, with an ellipsis when it had to be cut."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def link_qr_png(link: TrackedLink, *, with_label: bool = True) -> bytes:
    """The link's QR code as a PNG: square modules of whole pixels, at least QR_MIN_PIXELS wide,
    and the label (or the channel and content) in a band under the code."""
    matrix = qr_matrix(link.url)
    modules = len(matrix)
    box = math.ceil(QR_MIN_PIXELS / modules)
    side = modules * box
    label = str(link) if with_label else ""
    band = LABEL_FONT_SIZE * 2 if label else 0
    image = Image.new("L", (side, side + band), 255)
    draw = ImageDraw.Draw(image)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                draw.rectangle([x * box, y * box, (x + 1) * box - 1, (y + 1) * box - 1], fill=0)
    if label:
        font = card_font(LABEL_FONT_SIZE)
        text = _fit(draw, label, font, side - 2 * QR_BORDER * box)
        # The band starts inside the bottom quiet zone so the label sits close to the code.
        draw.text((side // 2, side + band // 4), text, font=font, fill=0, anchor="mt")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
