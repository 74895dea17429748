"""Notices addressed to a person (通知書): one A4 page each, rendered like certificates and signed.

Used by the 本人通知 (standard 8.1), the 住民票コード通知票 / 変更通知票 / 修正通知票, the 職権記載等通知書,
the 世帯主変更依頼通知書 and the 支援措置期間終了通知 (several at once: ``render_notices``). Registered values
(names, addresses) are set in IPAmj明朝 and checked for unregistered 外字 first, as on certificates; the
form's text is in IPAex明朝. No fee; only the 住民票コード notices carry a 発行番号 (``notice_issuance``).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from django.template.loader import render_to_string
from weasyprint import HTML

from jumin.certificates import rendering, signing
from jumin.certificates.certifiers import certifier_for
from jumin.certificates.documents import Line
from jumin.domain.errors import refusal
from jumin.domain.wareki import to_wareki

if TYPE_CHECKING:
    from jumin.certificates.models import Certifier


@dataclass(frozen=True)
class NoticeTable:
    """A table of the notice: a caption, column headings and rows of registered values."""

    caption: str
    headings: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class NoticeDocument:
    """One notice: to whom, what it says, and the facts it lists."""

    title: str
    addressee_address: str
    addressee_name: str
    lead: str
    items: tuple[Line, ...] = ()
    tables: tuple[NoticeTable, ...] = ()
    remarks: tuple[str, ...] = field(default=())
    # 発行番号 (without page/total) of a notice entered in the 交付履歴; printed on every page and kept in
    # the PDF's keywords so `jumin certificates verify` can match it. Blank for the other notices.
    copy_number: str = ""


def registered_texts(notice: NoticeDocument) -> list[str]:
    """Every value printed in IPAmj明朝 (what the 外字 check looks at)."""
    texts = [notice.addressee_address, notice.addressee_name, *(line.value for line in notice.items)]
    for table in notice.tables:
        texts.extend(value for row in table.rows for value in row)
    return texts


def check_notice_glyphs(notice: NoticeDocument) -> None:
    """Refuse a notice that would need a glyph the font lacks (as certificates, standard 5.8-a)."""
    if rendering.unregistered_characters(registered_texts(notice)):
        raise refusal(
            "name",
            "登録されていない外字が含まれているため、正しい字形で印字できません。",
            "外字を登録してから作成してください（文字の担当へ連絡）。",
            "certificates.unregistered_gaiji",
        )


def _notice_html(notice: NoticeDocument, *, issue_date: date, signer: rendering.Signer) -> HTML:
    html = render_to_string(
        "certificates/pdf/notice.html",
        {
            "notice": notice,
            "issue_date": to_wareki(issue_date).display(),
            "signer": signer,
            "seal_data": base64.b64encode(signer.seal_png).decode("ascii"),
            **rendering.font_faces([*registered_texts(notice), signer.name]),
        },
    )
    return HTML(string=html, base_url=str(Path(__file__).parent))


def notice_pdf(notice: NoticeDocument, *, issue_date: date, signer: rendering.Signer) -> bytes:
    """The unsigned PDF of one notice, signed off in print by ``signer`` (title, name, seal)."""
    pdf: bytes = _notice_html(notice, issue_date=issue_date, signer=signer).write_pdf(
        font_config=rendering.shared_font_config()
    )
    return pdf


def _signer(certifier: Certifier) -> rendering.Signer:
    return rendering.Signer(
        title=certifier.printed_title,
        name=certifier.name,
        seal_png=bytes(certifier.seal_png),
        seal_size_mm=float(certifier.seal_size_mm),
    )


def render_notice(notice: NoticeDocument, *, issue_date: date) -> bytes:
    """The signed PDF of one notice, signed by the certifier of the day (standard 5.6-a)."""
    return render_notice_with_pages(notice, issue_date=issue_date)[0]


def render_notice_with_pages(notice: NoticeDocument, *, issue_date: date) -> tuple[bytes, int]:
    """``render_notice`` and the number of pages it laid out (the 交付履歴 records the sheets)."""
    check_notice_glyphs(notice)
    certifier = certifier_for(issue_date)
    html = _notice_html(notice, issue_date=issue_date, signer=_signer(certifier))
    document = html.render(font_config=rendering.shared_font_config())
    signed = signing.sign_pdf(
        document.write_pdf(),
        reason=f"{notice.title}の作成",
        location=f"{certifier.prefecture_name}{certifier.municipality_name}",
    )
    return signed, len(document.pages)


def render_notices(notices: Sequence[NoticeDocument], *, issue_date: date) -> bytes:
    """Several notices of one kind as one signed PDF, each on its own page(s), for a batch the clerk prints
    at once. Every notice is checked for 外字 before anything is rendered."""
    if not notices:
        raise ValueError("render_notices needs at least one notice")
    for notice in notices:
        check_notice_glyphs(notice)
    certifier = certifier_for(issue_date)
    signer = _signer(certifier)
    font_config = rendering.shared_font_config()
    documents = [
        _notice_html(notice, issue_date=issue_date, signer=signer).render(font_config=font_config)
        for notice in notices
    ]
    pdf: bytes = documents[0].copy([page for document in documents for page in document.pages]).write_pdf()
    return signing.sign_pdf(
        pdf,
        reason=f"{notices[0].title}の作成",
        location=f"{certifier.prefecture_name}{certifier.municipality_name}",
    )
