"""The graduation report's share image: a 1080-wide PNG that reads well in a WeChat chat.

Chinese needs a CJK font: settings.REPORT_CARD_FONT, else WenQuanYi Micro Hei found by
fontconfig (the Docker image installs fonts-wqy-microhei), else Pillow's default font.
"""

import io
import shutil
import subprocess
from functools import cache

import qrcode
import qrcode.constants
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

from cohorts.formatting import score_text
from onepco.site import site_name

WIDTH, HEIGHT = 1080, 1350
BRAND = (15, 118, 110)
INK = (31, 41, 51)
SOFT = (82, 96, 109)
BG = (245, 247, 250)


@cache
def card_font_path() -> str | None:
    configured = getattr(settings, "REPORT_CARD_FONT", "")
    if configured:
        return configured
    if shutil.which("fc-match"):
        try:
            found = subprocess.run(
                ["fc-match", "-f", "%{file}", "WenQuanYi Micro Hei:lang=zh-cn"],
                capture_output=True, text=True, timeout=5, check=False,
            ).stdout.strip()  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            found = ""
        if found:
            return found
    return None


def card_font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    path = card_font_path()
    if path:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            pass
    return ImageFont.load_default(size=size)


def card_wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int, max_lines: int) -> list[str]:
    """Wrap by character (Chinese has no spaces), ending with … when it does not fit."""
    lines, current = [], ""
    for char in text.replace("\r", ""):
        if char == "\n" or draw.textlength(current + char, font=font) > width:
            lines.append(current)
            current = "" if char == "\n" else char
            if len(lines) == max_lines:
                lines[-1] = lines[-1][:-1] + "…"
                return lines
        else:
            current += char
    if current:
        lines.append(current)
    return lines[:max_lines]


def _score(value) -> str:
    return score_text(value)


def _rate(value) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def qr_image(url: str, size: int) -> Image.Image:
    """A QR code of the link on a white square of `size` pixels, each module a whole number of
    pixels (a scaled, blurred module is what makes a phone's scanner give up)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=0)
    code.add_data(url)
    code.make(fit=True)
    modules = code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    scale = max(1, size // (modules.width + 4))  # two modules of quiet zone on each side
    sharp = modules.resize((modules.width * scale, modules.height * scale), Image.Resampling.NEAREST)
    square = Image.new("RGB", (max(size, sharp.width), max(size, sharp.height)), "white")
    square.paste(sharp, ((square.width - sharp.width) // 2, (square.height - sharp.height) // 2))
    return square


def qr_png(url: str, size: int = 360) -> bytes:
    out = io.BytesIO()
    qr_image(url, size).save(out, format="PNG", optimize=True)
    return out.getvalue()


def report_card_png(data) -> bytes:
    """Top: who and which course. Middle: before → after, attendance and homework, the
    graduation project. Bottom: the teacher's words and the invitation with a QR code to the
    course page carrying the graduate's referral code, for the friend who sees it in a chat."""
    enrollment = data.enrollment
    image = Image.new("RGB", (WIDTH, HEIGHT), BG)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 350), fill=BRAND)
    draw.text((80, 64), _("Graduation report"), font=card_font(40), fill=(204, 235, 231))
    draw.text(
        (80, 124), str(enrollment.student.user.name or _("A graduate")), font=card_font(84), fill="white"
    )
    course = f"{enrollment.cohort.course.title} · {enrollment.cohort.name}"
    for i, line in enumerate(card_wrap(draw, course, card_font(38), WIDTH - 160, 2)):
        draw.text((80, 250 + i * 48), line, font=card_font(38), fill=(230, 245, 243))

    # Before → after, the number the whole report is about.
    draw.rounded_rectangle((60, 390, WIDTH - 60, 640), radius=28, fill="white")
    draw.text((110, 420), _("Entry score"), font=card_font(34), fill=SOFT)
    draw.text((110, 470), _score(data.entry_score), font=card_font(116), fill=INK)
    draw.text((WIDTH // 2 - 30, 490), "→", font=card_font(86), fill=BRAND)
    draw.text((WIDTH // 2 + 90, 420), _("Graduation score"), font=card_font(34), fill=SOFT)
    draw.text((WIDTH // 2 + 90, 470), _score(data.graduation_score), font=card_font(116), fill=BRAND)

    stats = [
        (_("Attendance"), _rate(data.attendance_rate)),
        (_("Homework handed in"), f"{data.submitted}/{data.expected_assignments}"),
        (_("Homework passed"), str(data.passed)),
    ]
    column = (WIDTH - 120) // 3
    for i, (label, value) in enumerate(stats):
        x = 60 + i * column
        draw.rounded_rectangle((x + 8, 665, x + column - 8, 815), radius=24, fill="white")
        draw.text((x + 40, 688), label, font=card_font(30), fill=SOFT)
        draw.text((x + 40, 735), value, font=card_font(56), fill=INK)

    y = 840
    project = getattr(data, "project", None)
    if project is not None:
        lines = card_wrap(draw, project.assignment.title, card_font(40), WIDTH - 220, 2)
        bottom = y + 88 + len(lines) * 50
        draw.rounded_rectangle((60, y, WIDTH - 60, bottom), radius=24, fill="white")
        draw.rectangle((60, y + 24, 68, bottom - 24), fill=BRAND)
        label = _("Graduation project")
        if project.score is not None:
            label = f"{label} · {_score(project.score)}"
        draw.text((100, y + 24), label, font=card_font(30), fill=SOFT)
        for i, line in enumerate(lines):
            draw.text((100, y + 68 + i * 50), line, font=card_font(40), fill=INK)
        y = bottom + 28

    band = HEIGHT - 210
    feedback = data.report.closing_feedback
    room = (band - 24 - (y + 46)) // 52
    if feedback and room >= 1:
        draw.text((80, y), _("From the teacher"), font=card_font(30), fill=SOFT)
        for i, line in enumerate(card_wrap(draw, feedback, card_font(36), WIDTH - 160, min(room, 3))):
            draw.text((80, y + 46 + i * 52), line, font=card_font(36), fill=INK)

    # The invitation: "I want to sign up too", the course, and the QR code of the referral link.
    draw.rectangle((0, band, WIDTH, HEIGHT), fill="white")
    draw.rectangle((0, band, WIDTH, band + 6), fill=BRAND)
    qr_size = 170
    url = getattr(data, "referral_url", "")
    if url:
        image.paste(qr_image(url, qr_size), (WIDTH - 60 - qr_size, band + 22))
    draw.text((80, band + 34), _("I want to sign up too"), font=card_font(52), fill=BRAND)
    title = card_wrap(draw, enrollment.cohort.course.title, card_font(32), WIDTH - 160 - qr_size - 40, 1)
    draw.text((80, band + 104), title[0] if title else "", font=card_font(32), fill=INK)
    invite = _("Scan the code to see the course · %(site)s") % {"site": site_name()}
    draw.text((80, band + 152), invite, font=card_font(26), fill=SOFT)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
