"""The demo's pictures, drawn with Pillow so the demo needs no files: each course's cover (a
gradient, soft shapes, its title and tagline), the teacher's portrait (an avatar with the
teacher's initial) and the founder's WeChat QR code for the thank-you page. Deterministic."""

import io

import qrcode
from PIL import Image, ImageDraw, ImageFilter

from cohorts.cards import card_font, card_wrap

Color = tuple[int, int, int]


def _gradient(size: tuple[int, int], top: Color, bottom: Color) -> Image.Image:
    _width, height = size
    column = Image.new("RGB", (1, height))
    for y in range(height):
        t = y / max(height - 1, 1)
        column.putpixel((0, y), tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    return column.resize(size)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def cover_png(*, title: str, tagline: str, top: Color, bottom: Color, mark: str) -> bytes:
    """A 1200×630 cover (the Open Graph size): gradient, two blurred circles, a big symbol,
    the title and the tagline."""
    size = (1200, 630)
    image = _gradient(size, top, bottom)
    glow = Image.new("RGBA", size, (0, 0, 0, 0))
    shapes = ImageDraw.Draw(glow)
    shapes.ellipse((760, -160, 1340, 420), fill=(255, 255, 255, 46))
    shapes.ellipse((-200, 380, 360, 940), fill=(255, 255, 255, 30))
    image = Image.alpha_composite(image.convert("RGBA"), glow.filter(ImageFilter.GaussianBlur(24)))
    draw = ImageDraw.Draw(image, "RGBA")  # translucent fills blend
    # The symbol on the right of the middle band (what the page shows of a wide cover), clear
    # of the text (wrapped at 760 px) however long it is.
    draw.text(
        (1130, 315),
        mark,
        font=card_font(190 if len(mark) < 3 else 140),
        fill=(255, 255, 255, 90),
        anchor="rm",
    )
    y = 200  # the page crops a wide cover to its middle band: the text stays inside it
    for line in card_wrap(draw, title, card_font(84), 760, 2):
        draw.text((80, y), line, font=card_font(84), fill=(255, 255, 255))
        y += 104
    for line in card_wrap(draw, tagline, card_font(38), 760, 2):
        draw.text((80, y + 16), line, font=card_font(38), fill=(240, 248, 255))
        y += 52
    return _png(image.convert("RGB"))


def portrait_png(*, initial: str, top: Color, bottom: Color) -> bytes:
    """A 400×400 avatar: gradient disc, head-and-shoulders silhouette, the initial on a badge."""
    size = (400, 400)
    image = _gradient(size, top, bottom).convert("RGBA")
    draw = ImageDraw.Draw(image)
    draw.ellipse((135, 70, 265, 200), fill=(255, 255, 255, 225))
    draw.ellipse((70, 215, 330, 475), fill=(255, 255, 255, 225))
    draw.ellipse((258, 258, 372, 372), fill=(*bottom, 255), outline=(255, 255, 255, 255), width=6)
    draw.text((315, 315), initial, font=card_font(60), fill=(255, 255, 255), anchor="mm")
    return _png(image.convert("RGB"))


def qr_png(text: str) -> bytes:
    image = qrcode.make(text, box_size=10, border=3)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()
