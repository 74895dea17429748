"""転入通知未着照会書 (standard 4.1.3.1.4-a): the letter to the 転入先 市区町村長 asking about a 転入通知 that
has not arrived for persons on the 未着者一覧 (``registry.workflows.move_in_notice.missing_notices``).

One letter per 転入先: the clerk picks the persons who moved to it and enters the municipality's name;
each person is named in the print's audit entry (``record_results``), so their access history finds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_results
from jumin.certificates.documents import Line
from jumin.certificates.notices import NoticeDocument, NoticeTable, render_notice
from jumin.domain import recorded_dates
from jumin.domain.errors import refusal
from jumin.domain.wareki import to_wareki
from jumin.masters.selectors import node_municipality_name
from jumin.registry.workflows.move_in_notice import InquiryPerson, inquiry_persons

MUNICIPALITY_MAX_LENGTH = 40
TITLE = "転入通知未着照会書"


def _destination_municipality(name: str) -> str:
    municipality = name.strip()
    if not municipality:
        raise refusal(
            "destination_municipality",
            "転入先の市区町村名が入力されていません。",
            "転出先（予定）の住所から、転入先の市区町村名（例: 〇〇市）を入力してください。",
            "certificates.no_destination_municipality",
        )
    if len(municipality) > MUNICIPALITY_MAX_LENGTH:
        raise refusal(
            "destination_municipality",
            f"転入先の市区町村名が{MUNICIPALITY_MAX_LENGTH}文字を超えています。",
            "市区町村名だけを入力してください（住所は不要です）。",
            "certificates.too_long",
        )
    return municipality.removesuffix("長")


def _date(value: Any) -> str:
    return to_wareki(value).display() if value else "－"


def inquiry_document(municipality: str, persons: Sequence[InquiryPerson]) -> NoticeDocument:
    """The letter's content: to ``municipality``'s 市区町村長, one row per person."""
    earliest = min((p.move_out_date for p in persons if p.move_out_date), default=None)
    return NoticeDocument(
        title=TITLE,
        addressee_address="",
        addressee_name=f"{municipality}長",
        lead=(
            f"次の方は{node_municipality_name() or '当市区町村'}から"
            "貴市区町村へ転出した（転出予定の）方ですが、"
            "住民基本台帳法第9条第1項の転入通知がまだ届いていません。"
            "転入の届出の有無を確認のうえ、届出があった場合は転入通知を送付してください。"
            "届出がない場合は、その旨を回答してください。"
        ),
        items=(
            Line("転出日（転出予定日）", _date(earliest)),
            Line("照会する人数", f"{len(persons)}人"),
        ),
        tables=(
            NoticeTable(
                "照会する方",
                ("氏名", "生年月日", "転出予定日", "転出先住所（予定）"),
                tuple(
                    (
                        p.name,
                        recorded_dates.display(p.birth_date),
                        _date(p.move_out_date),
                        p.planned_destination or "－",
                    )
                    for p in persons
                ),
            ),
        ),
        remarks=(
            "転入通知が送付済みの場合は、送付日をお知らせください。",
            "この照会書は個人情報を含みます。取扱いにご注意ください。",
        ),
    )


def print_move_in_notice_inquiry(
    *, actor: Any, purpose: str, atena_numbers: Sequence[str], destination_municipality: str
) -> bytes:
    """The 転入通知未着照会書 PDF for persons on the 未着者一覧 who moved to one 転入先 (4.1.3.1.4-a).

    Refused, nothing printed, when no person is chosen, one of them is no longer waiting for a 転入通知
    or the municipality is blank or too long. Audited naming each person (``certificate:notice:print``).
    """
    authorize(
        actor=actor,
        permission=Permission.CERTIFICATE_NOTICE_PRINT,
        action=AuditAction.CERTIFICATE_NOTICE_PRINT,
        purpose=purpose,
        subject_type="resident",
    )
    municipality = _destination_municipality(destination_municipality)
    with transaction.atomic():
        persons = inquiry_persons(atena_numbers)
        pdf = render_notice(inquiry_document(municipality, persons), issue_date=timezone.localdate())
        record_results(
            actor,
            "resident",
            [person.atena_number for person in persons],
            purpose,
            "atena_number",
            action=AuditAction.CERTIFICATE_NOTICE_PRINT,
            reason="move_in_notice_inquiry",
        )
    return pdf
