"""The graduation report's share image: a 1080-wide PNG that reads well in a WeChat chat.

Chinese needs a CJK font: settings.REPORT_CARD_FONT, else WenQuanYi Micro Hei found by
fontconfig (the Docker image installs fonts-wqy-microhei), else Pillow's default font.
"""

import io
import shutil
import subprocess
from functools import cache

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


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int, max_lines: int) -> list[str]:
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


def report_card_png(data) -> bytes:
    enrollment = data.enrollment
    image = Image.new("RGB", (WIDTH, HEIGHT), BG)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 420), fill=BRAND)
    draw.text((80, 80), _("Graduation report"), font=card_font(44), fill=(204, 235, 231))
    draw.text(
        (80, 150), str(enrollment.student.user.name or _("A graduate")), font=card_font(88), fill="white"
    )
    course = f"{enrollment.cohort.course.title} · {enrollment.cohort.name}"
    for i, line in enumerate(_wrap(draw, course, card_font(40), WIDTH - 160, 2)):
        draw.text((80, 280 + i * 52), line, font=card_font(40), fill=(230, 245, 243))

    # Before → after, the number the whole report is about.
    draw.rounded_rectangle((60, 470, WIDTH - 60, 760), radius=28, fill="white")
    draw.text((110, 510), _("Entry score"), font=card_font(36), fill=SOFT)
    draw.text((110, 570), _score(data.entry_score), font=card_font(120), fill=INK)
    draw.text((WIDTH // 2 - 30, 590), "→", font=card_font(90), fill=BRAND)
    draw.text((WIDTH // 2 + 90, 510), _("Graduation score"), font=card_font(36), fill=SOFT)
    draw.text((WIDTH // 2 + 90, 570), _score(data.graduation_score), font=card_font(120), fill=BRAND)

    stats = [
        (_("Attendance"), _rate(data.attendance_rate)),
        (_("Homework handed in"), f"{data.submitted}/{data.expected_assignments}"),
        (_("Homework passed"), str(data.passed)),
    ]
    column = (WIDTH - 120) // 3
    for i, (label, value) in enumerate(stats):
        x = 60 + i * column
        draw.rounded_rectangle((x + 8, 800, x + column - 8, 990), radius=24, fill="white")
        draw.text((x + 40, 830), label, font=card_font(32), fill=SOFT)
        draw.text((x + 40, 890), value, font=card_font(64), fill=INK)

    feedback = data.report.closing_feedback
    if feedback:
        draw.text((80, 1040), _("From the teacher"), font=card_font(34), fill=SOFT)
        for i, line in enumerate(_wrap(draw, feedback, card_font(40), WIDTH - 160, 4)):
            draw.text((80, 1095 + i * 56), line, font=card_font(40), fill=INK)
    draw.text((80, HEIGHT - 70), site_name(), font=card_font(30), fill=SOFT)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
