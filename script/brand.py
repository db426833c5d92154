"""Draw AI Assist's brand images into custom_components/aiassist/brand/.

Home Assistant (2026.3 and later) serves a custom integration's own `brand/` images at
/api/brands/integration/aiassist/<image>, and HACS shows the same icon. The images follow the
rules of the home-assistant/brands repository: PNG, sRGB with a transparent background,
trimmed to the mark; icons square at 256x256 and 512x512 (@2x); logos with a shortest side of
128-256 px (256-512 px for @2x), landscape, and not byte-identical to the icons.

The mark is a speech bubble in Home Assistant blue with a white house in it, and an AI sparkle
in the house. The logo puts the words "AI Assist" beside the mark, in blue, so they read on
light and dark backgrounds alike (no dark_* variants needed). The text uses the font that
Pillow embeds (Aileron), so the output does not depend on the fonts of the machine.

Run from the repository root: `.venv/bin/python script/brand.py`.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BRAND_DIR = Path(__file__).resolve().parent.parent / "custom_components" / "aiassist" / "brand"

LIGHT_BLUE = (0x18, 0xBC, 0xF2)  # top of the bubble
BLUE = (0x03, 0xA9, 0xF4)  # bottom of the bubble, the sparkle and the words
WHITE = (0xFF, 0xFF, 0xFF)

MASTER = 2048  # the mark is drawn this big, then scaled down: smooth edges without a renderer
ICON_SIZES = {"icon.png": 256, "icon@2x.png": 512}
LOGO_HEIGHTS = {"logo.png": 256, "logo@2x.png": 512}
WORDMARK = "AI Assist"


def _gradient(size: int) -> Image.Image:
    """A square, light blue at the top to HA blue at the bottom."""
    column = Image.new("RGB", (1, size))
    for y in range(size):
        t = y / (size - 1)
        column.putpixel((0, y), tuple(round(a + (b - a) * t) for a, b in zip(LIGHT_BLUE, BLUE, strict=True)))
    return column.resize((size, size))


def _sparkle(cx: float, cy: float, radius: float, steps: int = 240) -> list[tuple[float, float]]:
    """A four-pointed star with concave sides (a squashed astroid)."""
    points = []
    for i in range(steps):
        angle = 2 * math.pi * i / steps
        c, s = math.cos(angle), math.sin(angle)
        points.append(
            (cx + radius * math.copysign(abs(c) ** 2.6, c), cy + radius * math.copysign(abs(s) ** 2.6, s))
        )
    return points


def draw_mark(size: int = MASTER) -> Image.Image:
    """The square mark, its shape touching all four edges (trimmed), on transparency."""

    def p(x: float, y: float) -> tuple[float, float]:
        return (x * (size - 1), y * (size - 1))

    bubble = Image.new("L", (size, size), 0)
    shape = ImageDraw.Draw(bubble)
    shape.rounded_rectangle((*p(0, 0), *p(1, 0.8)), radius=0.2 * size, fill=255)
    shape.polygon([p(0.2, 0.7), p(0.5, 0.7), p(0.13, 1.0)], fill=255)

    mark = Image.new("RGBA", (size, size), (*BLUE, 0))
    mark.paste(_gradient(size), (0, 0), bubble)

    draw = ImageDraw.Draw(mark)
    # The house: a roof over a body with softened corners.
    draw.polygon([p(0.5, 0.1), p(0.8, 0.4), p(0.2, 0.4)], fill=WHITE)
    draw.rounded_rectangle((*p(0.28, 0.34), *p(0.72, 0.66)), radius=0.04 * size, fill=WHITE)
    # The sparkle in the house.
    draw.polygon(_sparkle(0.5 * size, 0.51 * size, 0.12 * size), fill=(*BLUE, 255))
    return mark


def draw_logo(mark: Image.Image) -> Image.Image:
    """The mark with the wordmark beside it, trimmed to what is drawn."""
    height = mark.height
    font = ImageFont.load_default(size=round(0.5 * height))
    stroke = round(0.007 * height)  # Pillow's font has no bold: thicken it a little
    left, top, right, bottom = font.getbbox(WORDMARK, stroke_width=stroke)
    gap = round(0.16 * height)
    logo = Image.new("RGBA", (height + gap + right - left, height), (*BLUE, 0))
    logo.paste(mark, (0, 0))
    # Centre the words on the bubble's body (the top 80% of the mark), not on its tail.
    y = round(0.4 * height - (top + bottom) / 2)
    ImageDraw.Draw(logo).text(
        (height + gap - left, y),
        WORDMARK,
        font=font,
        fill=(*BLUE, 255),
        stroke_width=stroke,
        stroke_fill=(*BLUE, 255),
    )
    return logo


def trim(image: Image.Image) -> Image.Image:
    """Crop away fully transparent rows and columns."""
    bbox = image.getchannel("A").getbbox()
    assert bbox is not None, "nothing was drawn"
    return image.crop(bbox)


def main() -> None:
    """Write the icons and logos."""
    BRAND_DIR.mkdir(parents=True, exist_ok=True)
    mark = trim(draw_mark())
    assert mark.width == mark.height, "the mark must fill its square to be a trimmed icon"
    for name, size in ICON_SIZES.items():
        icon = mark.resize((size, size), Image.Resampling.LANCZOS)
        icon.save(BRAND_DIR / name, optimize=True)
    logo = trim(draw_logo(mark))
    for name, height in LOGO_HEIGHTS.items():
        width = round(logo.width * height / logo.height)
        logo.resize((width, height), Image.Resampling.LANCZOS).save(BRAND_DIR / name, optimize=True)
    for path in sorted(BRAND_DIR.glob("*.png")):
        with Image.open(path) as image:
            print(f"{path.relative_to(BRAND_DIR.parent.parent.parent)}: {image.width}x{image.height}")


if __name__ == "__main__":
    main()
