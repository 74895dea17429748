"""The certificate's cut-down user-agent stylesheet prints the PDF WeasyPrint's full one prints (P4)."""

from __future__ import annotations

from datetime import date

import pytest
from weasyprint import HTML

from jumin.certificates import rendering, seals
from jumin.certificates.documents import (
    CertificateDocument,
    CertificateUnit,
    Line,
    OverflowEntry,
    PrintedPerson,
    Sheet,
)
from jumin.domain.certificates import CertificateKind, Layout

NAME = "見本　一郎"  # synthetic


def _person(index: int, *, notes: bool) -> PrintedPerson:
    items = tuple(
        Line(f"項目{item}", f"値{index}-{item}", scale=(80 if item == 2 else 100), overflow=item == 3)
        for item in range(7)
    )
    return PrintedPerson(
        atena_number=str(index),
        name=NAME,
        furigana="（ミホン　イチロウ）",
        items=items,
        notes=("備考の見本",) if notes else (),
        history=("令和8年11月1日　転入",) if notes else (),
        name_scale=90 if index == 1 else 100,
        name_overflow=index == 1,
    )


def _document() -> CertificateDocument:
    """Every element and class of the template: 公用, a stamp, two sheets, notes, history, 文字超過リスト."""
    first = Sheet(people=(_person(0, notes=True), _person(1, notes=False)))
    second = Sheet(
        people=(_person(2, notes=True),),
        continued_history=("令和8年11月2日　記載",),
        overflow=(OverflowEntry(NAME, "従前の住所", "見本県見本市見本町1番地の長い住所"),),
    )
    unit = CertificateUnit(
        subjects=("0", "1", "2"),
        address="見本県見本市見本町1番1号",
        head_name=NAME,
        sheets=(first, second),
        certification="この写しは、世帯全員の住民票の原本と相違ないことを証明する。",
        address_scale=90,
    )
    return CertificateDocument(
        kind=CertificateKind.COPY,
        layout=Layout.HOUSEHOLD,
        title="住民票の写し",
        official_use=True,
        units=(unit,),
        household_number="0",
        stamp="見本の印字",
    )


def _render(document: CertificateDocument) -> bytes:
    return rendering.render_pdf(
        document,
        [rendering.PrintedCopy(unit=document.units[0], serial=1)],
        issue_date=date(2026, 11, 24),
        municipality="見本市",
        terminal="01",
        printer="0",
        signer=rendering.Signer(
            title="見本県見本市長",
            name="見本　太郎",
            seal_png=seals.synthetic_seal("見本"),
            seal_size_mm=21.0,
        ),
        copy_numbers=["20261124 見本市 001"],
    )


def test_the_cut_down_sheet_prints_the_same_pdf_as_weasyprints_full_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = _document()
    cut_down = _render(document)
    monkeypatch.setattr(rendering.CertificateHTML, "_ua_stylesheets", HTML._ua_stylesheets)
    full = _render(document)

    assert cut_down == full


def test_certificates_are_rendered_with_the_cut_down_sheet() -> None:
    html = rendering.CertificateHTML(string="<p>見本</p>")
    (sheet,) = html._ua_stylesheets()
    assert sheet is rendering.user_agent_stylesheet()
