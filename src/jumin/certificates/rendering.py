"""PDF rendering with WeasyPrint: A4 portrait, registered data in IPAmj明朝, fixed text in IPAex明朝.

Names, addresses and 本籍 are set in IPAmj明朝 loaded from its file by @font-face, so a name stored with an
ideographic variation selector prints with the registered glyph and no other font can stand in. Before
rendering, every registered character (and base + selector pair) is looked up in the font; one the font
does not hold is an unregistered 外字 and stops the issuance with an alert (standard 5.8-a), because
a fallback font would print a wrong glyph. Fonts are subset and embedded by WeasyPrint.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from fontTools.ttLib import TTFont
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from jumin.certificates import fonts, move_out_qr
from jumin.certificates.documents import CertificateDocument, CertificateUnit, with_copy
from jumin.domain.certificate_settings import DEFAULT_PHRASES
from jumin.domain.certificates import SHRINK_STEPS, IssueNumber
from jumin.domain.errors import refusal
from jumin.domain.wareki import to_wareki

DEFAULT_REGISTERED_FONT = "/usr/share/fonts/truetype/ipamj/ipamjm.ttf"
DEFAULT_TEXT_FONT = "/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf"


def registered_font_path() -> Path:
    """IPAmj明朝, the font of registered names and addresses (``JUMIN_CERTIFICATE_REGISTERED_FONT``)."""
    return Path(getattr(settings, "JUMIN_CERTIFICATE_REGISTERED_FONT", DEFAULT_REGISTERED_FONT))


def text_font_path() -> Path:
    """IPAex明朝, the font of the form's fixed text (``JUMIN_CERTIFICATE_TEXT_FONT``)."""
    return Path(getattr(settings, "JUMIN_CERTIFICATE_TEXT_FONT", DEFAULT_TEXT_FONT))


def font_family(path: Path) -> str:
    """The CSS family under which a font file is loaded: unique per file (``Jumin-ipamjm-…``).

    The installed IPAmj明朝 and IPAex明朝 carry the families "IPAmjMincho" and "IPAexMincho"; an @font-face
    of the same name lost to them, so every certificate embedded (and subset) the whole 46 MB IPAmj明朝
    instead of its working copy. A family of its own per file also keeps an older working copy from answering.
    """
    return f"Jumin-{path.stem}"


def font_faces(registered: Iterable[str]) -> dict[str, str]:
    """Context of the two @font-face rules (URL and family): IPAmj明朝's working copy and IPAex明朝."""
    # IPAmj明朝's working copy (fonts.py): the same outlines, cheap to copy and subset per document.
    registered_font = fonts.working_font(registered_font_path(), registered)
    text_font = text_font_path()
    return {
        "registered_font": registered_font.as_uri(),
        "registered_family": font_family(registered_font),
        "text_font": text_font.as_uri(),
        "text_family": font_family(text_font),
    }


def _is_selector(char: str) -> bool:
    code = ord(char)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


@dataclass(frozen=True)
class _Coverage:
    characters: frozenset[int]
    sequences: frozenset[tuple[int, int]]


@lru_cache(maxsize=2)
def _coverage(path: str) -> _Coverage:
    font = TTFont(path, lazy=True)
    characters = frozenset(font.getBestCmap())
    sequences: set[tuple[int, int]] = set()
    for table in font["cmap"].tables:
        if table.format == 14:
            for selector, pairs in table.uvsDict.items():
                sequences.update((base, selector) for base, _glyph in pairs)
    font.close()
    return _Coverage(characters=characters, sequences=frozenset(sequences))


def _clusters(text: str) -> Iterator[tuple[str, str]]:
    """(base character, selector or "") for each character of ``text``."""
    index = 0
    while index < len(text):
        base = text[index]
        selector = text[index + 1] if index + 1 < len(text) and _is_selector(text[index + 1]) else ""
        yield base, selector
        index += 2 if selector else 1


def unregistered_characters(texts: Iterable[str]) -> int:
    """How many characters (or base + selector pairs) the registered-data font lacks: 外字 not registered."""
    coverage = _coverage(str(registered_font_path()))
    missing = 0
    for text in texts:
        for base, selector in _clusters(text):
            if (
                _is_selector(base)
                or ord(base) not in coverage.characters
                or (selector and (ord(base), ord(selector)) not in coverage.sequences)
            ):
                missing += 1
    return missing


def registered_texts(document: CertificateDocument) -> Iterator[str]:
    """Every registered value the certificate prints in IPAmj明朝."""
    for unit in document.units:
        yield unit.address
        yield unit.head_name
        for sheet in unit.sheets:
            yield from sheet.continued_history
            for entry in sheet.overflow:
                yield entry.name
                yield entry.value
            for person in sheet.people:
                yield person.name
                yield person.furigana
                yield from person.notes
                yield from person.history
                for line in person.items:
                    yield line.value


def check_glyphs(document: CertificateDocument) -> None:
    """Refuse a certificate that would need a glyph the font lacks (standard 5.8-a): never a wrong glyph."""
    if unregistered_characters(registered_texts(document)):
        raise refusal(
            "name",
            "登録されていない外字が含まれているため、正しい字形で印字できません。",
            "外字を登録してから交付してください（文字の担当へ連絡）。",
            "certificates.unregistered_gaiji",
        )


@dataclass(frozen=True)
class Signer:
    """The certifier as printed: title with the prefecture name, name, and the seal (standard 5.6-a/b)."""

    title: str
    name: str
    seal_png: bytes
    seal_size_mm: float
    # 定型文言 printed beside the seal (5.6-b; ``certificate_settings.phrases_for``).
    phrases: tuple[str, ...] = DEFAULT_PHRASES


@dataclass(frozen=True)
class PrintedCopy:
    """One copy of one unit, with the serial it was numbered with."""

    unit: CertificateUnit
    serial: int


def _pages(
    copies: list[PrintedCopy], *, issue_date: date, municipality: str, terminal: str, printer: str
) -> list[dict[str, object]]:
    pages: list[dict[str, object]] = []
    for printed in copies:
        total = len(printed.unit.sheets)
        qr = _qr_data(
            printed, issue_date=issue_date, municipality=municipality, terminal=terminal, printer=printer
        )
        for index, sheet in enumerate(printed.unit.sheets, start=1):
            number = IssueNumber(issue_date, municipality, terminal, printer, printed.serial, index, total)
            pages.append(
                {
                    "unit": printed.unit,
                    "sheet": sheet,
                    "issue_number": number.text(),
                    "last": index == total,
                    "continuation": index > 1,
                    "qr": qr if index == total else "",
                }
            )
    return pages


def _qr_data(
    printed: PrintedCopy, *, issue_date: date, municipality: str, terminal: str, printer: str
) -> str:
    """A 転出証明書's QR code (base64 PNG) for this numbered copy; "" for other kinds."""
    if printed.unit.move_out is None:
        return ""
    copy_number = IssueNumber(issue_date, municipality, terminal, printer, printed.serial, 1, 1).copy_number
    data = with_copy(
        printed.unit.move_out, copy_number=copy_number, municipality=municipality, issue_date=issue_date
    )
    return base64.b64encode(move_out_qr.qr_png(move_out_qr.payload(data))).decode("ascii")


# One class per reduced type size (文字超過, 5.8-a), so no cell carries an inline style of its own.
SCALE_RULES = " ".join(f".s{step} {{ font-size: {step}%; }}" for step in SHRINK_STEPS if step != 100)
FIXED_CSS = Path(__file__).parent / "templates" / "certificates" / "pdf" / "certificate.css"


USER_AGENT_CSS = FIXED_CSS.with_name("certificate_ua.css")


@lru_cache(maxsize=1)
def fixed_stylesheet() -> CSS:
    """The certificate's fixed CSS, parsed once per process: WeasyPrint compiles every selector it parses."""
    return CSS(string=FIXED_CSS.read_text(encoding="utf-8") + "\n" + SCALE_RULES)


@lru_cache(maxsize=1)
def user_agent_stylesheet() -> CSS:
    """WeasyPrint's HTML defaults cut down to the certificate template's elements (certificate_ua.css)."""
    return CSS(string=USER_AGENT_CSS.read_text(encoding="utf-8"))


class CertificateHTML(HTML):  # type: ignore[misc]  # WeasyPrint ships no type hints
    """The certificate's HTML with the user-agent rules its elements need, not WeasyPrint's 250 (P4)."""

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        # WeasyPrint's hook for its default sheet (weasyprint/__init__.py); if it is ever renamed, the full
        # sheet applies again: the same PDF, only slower.
        return [user_agent_stylesheet()]


_font_config_lock = threading.Lock()
_font_config: FontConfiguration | None = None


def shared_font_config() -> FontConfiguration:
    """One FontConfiguration per process: the fonts are parsed once, not per certificate."""
    global _font_config
    with _font_config_lock:
        if _font_config is None:
            _font_config = FontConfiguration()
        return _font_config


def render_pdf(
    document: CertificateDocument,
    copies: list[PrintedCopy],
    *,
    issue_date: date,
    municipality: str,
    terminal: str,
    printer: str,
    signer: Signer,
    copy_numbers: list[str],
) -> bytes:
    """The unsigned PDF of every copy. The 発行番号 of each copy are also in the PDF's keywords."""
    pages = _pages(
        copies, issue_date=issue_date, municipality=municipality, terminal=terminal, printer=printer
    )
    html = render_to_string(
        "certificates/pdf/certificate.html",
        {
            "document": document,
            "pages": pages,
            "issue_date": to_wareki(issue_date).display(),
            "signer": signer,
            "seal_data": base64.b64encode(signer.seal_png).decode("ascii"),
            **font_faces([*registered_texts(document), signer.name]),
            "keywords": ";".join(copy_numbers),
        },
    )
    rendered = CertificateHTML(string=html, base_url=str(Path(__file__).parent)).render(
        stylesheets=[fixed_stylesheet()], font_config=shared_font_config()
    )
    if len(rendered.pages) != len(pages):
        # A sheet that spills onto a second page would carry no 発行番号 of its own (5.8-a overflow).
        raise refusal(
            "document",
            "記載事項が多く、証明書の用紙に収まりません（文字超過）。",
            "個人票で交付するか、記載事項を減らしてください。",
            "certificates.text_overflow",
        )
    pdf: bytes = rendered.write_pdf()
    return pdf
