"""支援措置期間終了通知 (standard 3.4-d): tells the 申出者, ahead of the end, that the support ends unless
an extension (延長の申出) is made, and from which day it can be made (3.4-c).

Addressed to the 申出者 at the current address the registry holds; it names no 加害者 and no other
protected person. One authorised (``SUPPORT_MEASURE_MANAGE``), audited use case; only committed data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from django.db import transaction

from jumin.accounts import clock
from jumin.accounts.authorization import authorize
from jumin.accounts.context import audit_context
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.certificates.certifiers import certifier_for
from jumin.certificates.documents import Line
from jumin.certificates.notices import NoticeDocument, check_notice_glyphs, render_notice, render_notices
from jumin.domain.errors import DomainError, refusal
from jumin.domain.wareki import to_wareki
from jumin.registry.selectors_support_end import (
    SupportEndNotice,
    record_end_notices_printed,
    support_end_notice_source,
)

TITLE = "支援措置期間終了通知"
AUDIT_REASON = "support_end_notice"


def _wareki(day: Any) -> str:
    return to_wareki(day).display()


def _document(source: SupportEndNotice, municipality: str) -> NoticeDocument:
    person = source.applicant
    address = f"{person.address}　{person.katagaki}".strip("　")
    end = _wareki(source.period.end)
    return NoticeDocument(
        title=TITLE,
        addressee_address=address,
        addressee_name=f"{person.surname}　{person.given_name}".strip("　"),
        lead=(
            "あなたから申出のあった住民基本台帳事務における支援措置は、次のとおり支援措置期間が"
            f"終了します。延長の申出がない場合、支援措置は{end}をもって終了します。"
        ),
        items=(
            Line("対象事務", "、".join(source.covered_services)),
            Line("支援措置期間", f"{_wareki(source.period.start)}から{end}まで"),
            Line("支援措置期間の終了日", end),
            Line("延長の申出ができる日", f"{_wareki(source.extension_opens)}から{end}まで"),
        ),
        remarks=(
            "引き続き支援を希望される場合は、上記の期間に延長の申出をしてください。"
            "延長後の支援措置期間は、終了日の翌日から1年間です。",
            f"お問い合わせ先：{municipality} 住民基本台帳担当",
        ),
    )


def _audit_refused(
    actor: Any, purpose: str, measure_id: int, error: DomainError, reason: str = AUDIT_REASON
) -> None:
    """Audit a refused 支援措置 notice print in its own transaction: the refusal is kept although the
    caller sees an exception."""
    with transaction.atomic():
        record_event(
            actor=actor,
            action=AuditAction.CERTIFICATE_NOTICE_PRINT,
            subject_type="support_measure",
            subject_id=str(measure_id),
            purpose=purpose,
            reason=reason,
            outcome=Outcome.REFUSED,
            outcome_reason=error.code,
            support_measure=True,
            **audit_context(),
        )


def _audit_printed(actor: Any, purpose: str, measure_id: int, reason: str = AUDIT_REASON) -> None:
    """Audit a printed 支援措置 notice (in the printing transaction); flagged as concerning a 支援措置."""
    record_event(
        actor=actor,
        action=AuditAction.CERTIFICATE_NOTICE_PRINT,
        subject_type="support_measure",
        subject_id=str(measure_id),
        purpose=purpose,
        reason=reason,
        support_measure=True,
    )


def print_measure_notice(
    *, actor: Any, purpose: str, measure_id: int, reason: str, make_pdf: Callable[[date, str], bytes]
) -> bytes:
    """One authorised, audited print of a notice about a 支援措置 (期間終了通知, 開始通知).

    ``make_pdf(issue_date, municipality)`` reads the committed data (refusing with DomainError) and renders;
    it runs in the transaction that also writes the print's audit entry. A refusal is audited in its own
    transaction and re-raised: nothing is printed.
    """
    authorize(
        actor=actor,
        permission=Permission.SUPPORT_MEASURE_MANAGE,
        action=AuditAction.CERTIFICATE_NOTICE_PRINT,
        purpose=purpose,
        subject_type="support_measure",
        subject_id=str(measure_id),
    )
    issue_date = clock.today()
    try:
        with transaction.atomic():
            certifier = certifier_for(issue_date)
            pdf = make_pdf(issue_date, f"{certifier.prefecture_name}{certifier.municipality_name}")
            _audit_printed(actor, purpose, measure_id, reason)
    except DomainError as error:
        _audit_refused(actor, purpose, measure_id, error, reason)
        raise
    return pdf


def print_support_end_notice(*, actor: Any, purpose: str, measure_id: int) -> bytes:
    """The signed PDF of one 支援措置期間終了通知 to the measure's 申出者.

    Refused (audited, nothing printed) for a measure that is missing, ended, still provisional, past its
    end date, or whose 申出者 no longer lives here (``selectors_support_end.support_end_notice_source``).
    """

    def make_pdf(issue_date: date, municipality: str) -> bytes:
        source = support_end_notice_source(measure_id, on=issue_date)
        pdf = render_notice(_document(source, municipality), issue_date=issue_date)
        record_end_notices_printed([source], actor=actor)
        return pdf

    return print_measure_notice(
        actor=actor, purpose=purpose, measure_id=measure_id, reason=AUDIT_REASON, make_pdf=make_pdf
    )


def print_support_end_notices(*, actor: Any, purpose: str, measure_ids: Sequence[int]) -> bytes:
    """Each listed measure's 支援措置期間終了通知, all in one signed PDF (期間終了予定一覧: 「まとめて作成」).

    All or nothing: if one measure is refused (as ``print_support_end_notice`` would refuse it), nothing
    is printed, the refusal is audited for that measure and its number is named in the reason. Each
    printed notice gets its own audit entry, in the same transaction.
    """
    wanted = list(dict.fromkeys(measure_ids))
    authorize(
        actor=actor,
        permission=Permission.SUPPORT_MEASURE_MANAGE,
        action=AuditAction.CERTIFICATE_NOTICE_PRINT,
        purpose=purpose,
        subject_type="support_measure",
    )
    if not wanted:
        raise refusal(
            "measure_ids",
            "通知書を作成する支援措置が選ばれていません。",
            "期間終了予定一覧を表示してから作成してください。",
            "registry.no_support_end_notice",
        )
    issue_date = clock.today()
    current = wanted[0]
    try:
        with transaction.atomic():
            certifier = certifier_for(issue_date)
            municipality = f"{certifier.prefecture_name}{certifier.municipality_name}"
            documents, sources = [], []
            for current in wanted:
                source = support_end_notice_source(current, on=issue_date)
                document = _document(source, municipality)
                check_notice_glyphs(document)  # here, so that a refusal names its measure
                documents.append(document)
                sources.append(source)
            pdf = render_notices(documents, issue_date=issue_date)
            record_end_notices_printed(sources, actor=actor)
            for measure_id in wanted:
                _audit_printed(actor, purpose, measure_id)
    except DomainError as error:
        _audit_refused(actor, purpose, current, error)
        raise refusal(error.field, f"支援措置 {current}：{error.reason}", error.remedy, error.code) from error
    return pdf
