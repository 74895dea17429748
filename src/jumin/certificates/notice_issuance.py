"""The 住民票コード notices in the 交付履歴 (standard 1.3.8-a names them beside the certificates).

A 住民票コード通知票 / 変更通知票 / 修正通知票 draws a 発行番号 from the same gap-free serials as the
certificates, prints it on every page and in the PDF's keywords, and is entered in the 交付履歴 with the
SHA-256 of the signed PDF. So the clerk's 交付履歴 inquiry lists it, a wrongly printed notice can be voided
(``services.void_copy``) and ``jumin certificates verify`` checks a presented one. No fee, no request: the
municipality sends it (住基法30条の3第3項), so the 請求者区分 and 本人確認 fields stay blank.

Call inside the printing transaction: a refusal or failure rolls back the serial with everything else.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from django.utils import timezone

from jumin.certificates import numbering
from jumin.certificates.certifiers import certifier_for
from jumin.certificates.models import Issuance, IssuanceSubject, IssuedCopy
from jumin.certificates.notices import NoticeDocument, render_notice_with_pages
from jumin.certificates.services import issuer_name
from jumin.domain.certificates import IssuedNoticeKind, IssueNumber


def issue_numbered_notice(
    *,
    actor: Any,
    kind: IssuedNoticeKind,
    notice: NoticeDocument,
    atena_number: str,
    household_number: str,
) -> tuple[bytes, Issuance]:
    """Number, render, sign and record one notice to one person; returns the signed PDF and its 交付履歴
    row."""
    now = timezone.now()
    issue_date = timezone.localdate(now)
    certifier = certifier_for(issue_date)
    terminal_id, terminal_name, place = numbering.issuing_terminal()
    (serial,) = numbering.next_serials(issue_date, terminal=terminal_name, count=1)
    copy_number = IssueNumber(
        issue_date, certifier.municipality_name, terminal_name, "", serial, 1, 1
    ).copy_number
    pdf, pages = render_notice_with_pages(
        dataclasses.replace(notice, copy_number=copy_number), issue_date=issue_date
    )
    issuance = Issuance.objects.create(
        issued_at=now,
        issue_date=issue_date,
        place=place,
        terminal_id=terminal_id,
        terminal_name=terminal_name,
        user=actor,
        user_name=issuer_name(actor),
        channel=Issuance.Channel.NOTICE,
        kind=kind.value,
        layout="notice",
        options={"notice": kind.value},
        subjects=[atena_number],
        household_number=household_number,
        copies=1,
        sheets=pages,
        requester_class="",
        identity_check="",
        fee=0,
        juminhyo_code_printed=True,
        seal_printed=True,
        certifier=certifier,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
    )
    IssuedCopy.objects.create(
        issuance=issuance,
        position=1,
        subjects=[atena_number],
        issue_date=issue_date,
        municipality=certifier.municipality_name,
        terminal=terminal_name,
        serial=serial,
        pages=pages,
        copy_number=copy_number,
    )
    IssuanceSubject.objects.create(issuance=issuance, atena_number=atena_number)
    return pdf, issuance
