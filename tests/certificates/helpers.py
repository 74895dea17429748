"""Reading issued PDFs in tests: text by poppler's pdftotext, fonts by pdffonts, glyphs by fontTools."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from fontTools.ttLib import TTFont
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader


def _run(tool: list[str], pdf: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "certificate.pdf"
        path.write_bytes(pdf)
        return subprocess.run(
            [*tool, str(path), *(["-"] if tool[0] == "pdftotext" else [])],
            capture_output=True,
            text=True,
            check=True,
        ).stdout


def pdf_pages(pdf: bytes) -> list[str]:
    """The text of each page, as `pdftotext -layout` extracts it (pages end with a form feed)."""
    text = _run(["pdftotext", "-layout", "-enc", "UTF-8"], pdf)
    return [page for page in text.split("\f") if page.strip()]


def first_page_image(pdf: bytes) -> Image.Image:
    """The first page as poppler's pdftoppm draws it at 300 dpi, in RGB (what a printer puts on paper)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "certificate.pdf"
        path.write_bytes(pdf)
        tool = shutil.which("pdftoppm") or "pdftoppm"
        subprocess.run(
            [tool, "-r", "300", "-png", "-f", "1", "-l", "1", str(path), f"{folder}/page"], check=True
        )
        with Image.open(next(Path(folder).glob("page*.png"))) as image:
            return image.convert("RGB")


def flat(text: str) -> str:
    """Text without white space, so assertions do not depend on pdftotext's spacing."""
    return "".join(text.split())


def pdf_fonts(pdf: bytes) -> list[list[str]]:
    """pdffonts rows: name, type, encoding, emb, sub, uni, …"""
    lines = _run(["pdffonts"], pdf).splitlines()[2:]
    return [line.split() for line in lines if line.strip()]


def embedded_glyph_outlines(pdf: bytes, font_name_part: str) -> dict[str, tuple[object, ...]]:
    """Unicode text (with any variation selector) → outline of the embedded glyph that prints it.

    Reads the font's ToUnicode map and its embedded FontFile2 (CIDToGIDMap Identity, as WeasyPrint writes).
    """
    reader = PdfFileReader(io.BytesIO(pdf))
    result: dict[str, tuple[object, ...]] = {}
    for page in _pages(reader.root["/Pages"]):
        fonts = page["/Resources"]["/Font"]
        for key in fonts:
            font = fonts[key]
            if font_name_part not in str(font["/BaseFont"]):
                continue
            descendant = font["/DescendantFonts"][0]
            program = TTFont(io.BytesIO(descendant["/FontDescriptor"]["/FontFile2"].data))
            order = program.getGlyphOrder()
            glyf = program["glyf"]
            for cid, text in _to_unicode(font["/ToUnicode"].data.decode("latin-1")).items():
                glyph = glyf[order[cid]]
                coordinates = tuple(glyph.getCoordinates(glyf)[0]) if glyph.numberOfContours else ()
                result[text] = coordinates
    return result


def _pages(node: object) -> list[object]:
    kids = node["/Kids"]  # type: ignore[index]
    pages: list[object] = []
    for reference in kids:
        kid = reference.get_object()
        if kid.get("/Type") == "/Pages":
            pages.extend(_pages(kid))
        else:
            pages.append(kid)
    return pages


def _to_unicode(cmap: str) -> dict[int, str]:
    mapping: dict[int, str] = {}
    inside = False
    for line in cmap.splitlines():
        if line.endswith("beginbfchar"):
            inside = True
        elif line.startswith("endbfchar"):
            inside = False
        elif inside:
            source, target = line.split()
            mapping[int(source.strip("<>"), 16)] = bytes.fromhex(target.strip("<>")).decode("utf-16-be")
    return mapping


T = TypeVar("T")


def in_own_thread(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``function`` in a thread of its own. pyHanko's sync API runs ``asyncio.run``, which refuses to
    start while another event loop runs in the thread: after the browser tests, Playwright's does in the
    main thread of every test without a database (pytest-django's tests do not see it)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()
