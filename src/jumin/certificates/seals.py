"""電子公印 images (standard 5.6-b): black only, at most 25 mm square.

``synthetic_seal`` draws a fictitious seal for the demo and tests; a municipality registers the image of
its real seal through ``certifiers.register_certifier``, which refuses anything that is not black.
"""

from __future__ import annotations

import io
import math
from decimal import Decimal

from PIL import Image, ImageDraw, ImageFont

from jumin.domain.certificates import SEAL_MAX_MM
from jumin.domain.errors import refusal

SEAL_PIXELS = 300
_SEAL_FONT = "/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf"


def synthetic_seal(text: str, *, ink: tuple[int, int, int] = (0, 0, 0)) -> bytes:
    """A square seal (black unless ``ink`` says otherwise) with ``text`` in vertical columns, right to
    left, on a transparent ground."""
    size = SEAL_PIXELS
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    border = size // 18
    draw.rectangle(
        [border // 2, border // 2, size - border // 2, size - border // 2],
        outline=(*ink, 255),
        width=border,
    )
    chars = list(text)
    columns = max(1, math.ceil(math.sqrt(len(chars))))
    rows = math.ceil(len(chars) / columns)
    inner = size - 4 * border
    cell = inner / max(columns, rows)
    font = ImageFont.truetype(_SEAL_FONT, int(cell * 0.9))
    for index, char in enumerate(chars):
        column, row = divmod(index, rows)
        x = size - 2 * border - (inner - columns * cell) / 2 - (column + 0.5) * cell
        y = 2 * border + (inner - rows * cell) / 2 + (row + 0.5) * cell
        draw.text((x, y), char, font=font, fill=(*ink, 255), anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _is_black(red: int, green: int, blue: int, alpha: int) -> bool:
    # Black on a transparent or white ground: every visible pixel is free of colour and dark wherever it
    # is opaque; anti-aliased edges are allowed.
    return red == green == blue and (red < 64 or red > 250 or alpha < 255)


def _is_red(red: int, green: int, blue: int, alpha: int) -> bool:
    # Red on a transparent or white ground: no other hue (green equals blue), red dominant where the
    # pixel is coloured at all (white and the blends towards it included).
    if alpha < 255:  # an anti-aliased edge: only its hue counts
        return green == blue and red >= green
    return green == blue and red >= 160 and (red > green or red > 250)


def check_seal(png: bytes, size_mm: Decimal | float, *, color: str = "black") -> None:
    """Refuse a seal larger than 25 mm, not square, not a PNG or not of ``color`` (standard 5.6-b).

    Every seal is black; only the card-face seal may be red (``domain.certificate_settings``).
    """
    if not 0 < float(size_mm) <= SEAL_MAX_MM:
        raise refusal(
            "seal_size_mm",
            "電子公印の大きさは25mm以下です。",
            "25mm以下の大きさを指定してください。",
            "certificates.seal_too_large",
        )
    try:
        image = Image.open(io.BytesIO(png))
        image.load()
    except Exception:
        raise refusal(
            "seal_png",
            "電子公印の画像を読めません。",
            "PNG画像を登録してください。",
            "certificates.seal_unreadable",
        ) from None
    if image.width != image.height:
        raise refusal(
            "seal_png",
            "電子公印は正方形でなければなりません。",
            "正方形の画像を登録してください。",
            "certificates.seal_not_square",
        )
    data = image.convert("RGBA").tobytes()
    in_color = _is_red if color == "red" else _is_black
    for offset in range(0, len(data), 4):
        red, green, blue, alpha = data[offset : offset + 4]
        if alpha and not in_color(red, green, blue, alpha):
            if color == "red":
                raise refusal(
                    "seal_png",
                    "電子公印が赤色ではありません。",
                    "赤色の公印画像を登録するか、色に「黒」を選んでください。",
                    "certificates.seal_not_red",
                )
            raise refusal(
                "seal_png",
                "電子公印は黒色でなければなりません。",
                "黒色の公印画像を登録してください。",
                "certificates.seal_not_black",
            )
