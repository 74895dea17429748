"""Certificate use cases: issue (交付), void a wrongly issued copy, verify a PDF.

``issue_certificate`` is one transaction: authorise, check the request rules, read committed data only
(C-24), lock the printed persons and their households and only then check the restrictions (支援措置・
抑止, standard 3.1, 3.4-a; a setter takes the same locks), build, check glyphs, number, render, sign,
record the 交付履歴 and one audit event. A refusal by any rule changes nothing, is audited in a
transaction of its own (so it survives) and reaches the clerk as the rule's message.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin import runtime
from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event, record_results
from jumin.certificates import (
    certificate_settings,
    conf,
    numbering,
    print_settings,
    rendering,
    self_notification,
    signing,
)
from jumin.certificates.certifiers import certifier_for
from jumin.certificates.documents import CertificateDocument, build_document, select_subjects
from jumin.certificates.models import CopyVoid, Issuance, IssuanceSubject, IssuedCopy
from jumin.domain.certificates import (
    OVERFLOW_ALERT,
    CertificateKind,
    CertificateOptions,
    CertificateRequest,
    IssueNumber,
    Layout,
    check_request,
    fee_for,
    normalized_options,
    options_from_record,
)
from jumin.domain.errors import Alert, DomainError, refusal
from jumin.domain.wareki import to_wareki
from jumin.masters.models import Country
from jumin.registry import certificate_sources, services_restrictions, support_database
from jumin.registry.restrictions import (
    RestrictedProcess,
    RestrictionCheck,
    RestrictionLevel,
    check_restrictions,
)
from jumin.registry.workflows.acknowledgement import ACKNOWLEDGED_FIELD

logger = logging.getLogger("jumin.certificates")


@dataclass(frozen=True)
class IssuedCertificate:
    """What the clerk hands over: the signed PDF, its 発行番号 and the fee."""

    issuance_id: int
    copy_numbers: tuple[str, ...]
    pdf: bytes
    fee: int
    sheets: int
    subject_count: int = 0
    on_paper: bool = False  # the terminal prints on paper: the PDF opens for printing, not saving


#: The audit purpose of a copy issued for another municipality's 広域交付 request.
WIDE_AREA_PURPOSE = "wide_area_issuance"
#: The terminal part of the 発行番号 of a wide-area copy (algorithms.md §E field 3).
WIDE_AREA_TERMINAL = "広域交付"


@dataclass(frozen=True)
class WideAreaOrigin:
    """Who asked for a 広域交付 copy: the issuing municipality and its operator and terminal ids."""

    municipality_code: str
    operator_id: str
    terminal_id: str

    def terminal(self) -> tuple[str, str, str]:
        """(terminal id, terminal name for the 発行番号, place) recorded in the 交付履歴."""
        return (
            f"{self.municipality_code}:{self.terminal_id}"[:64],
            WIDE_AREA_TERMINAL,
            f"広域交付（{self.municipality_code}）",
        )

    def operator_name(self) -> str:
        """The 交付者 column: the asking office's operator id and municipality code."""
        return f"{self.operator_id}@{self.municipality_code}"[:150]

    @property
    def channel(self) -> str:
        """The 交付履歴's 請求の経路."""
        return str(Issuance.Channel.WIDE_AREA)

    @property
    def route_label(self) -> str:
        """How the refusal of a restricted person names the route (no reason is named)."""
        return "広域交付"

    @property
    def refusal_code(self) -> str:
        """The refusal code of a restricted person on this route."""
        return "certificates.wide_area_restricted"


#: The audit purpose of a copy issued for a kiosk request relayed by the 証明書交付センター.
KIOSK_PURPOSE = "kiosk_issuance"
#: The terminal part of the 発行番号 of a コンビニ交付 copy (algorithms.md §E field 3).
KIOSK_TERMINAL = "コンビニ交付"


@dataclass(frozen=True)
class KioskOrigin:
    """A コンビニ交付 request: the kiosk that prints it, relayed by the 証明書交付センター (no operator)."""

    kiosk_id: str
    municipality_code: str = ""
    channel: str = "kiosk"
    route_label: str = "コンビニ交付"
    refusal_code: str = "certificates.kiosk_restricted"

    def terminal(self) -> tuple[str, str, str]:
        """(terminal id, terminal name for the 発行番号, place) recorded in the 交付履歴."""
        return f"kiosk:{self.kiosk_id}"[:64], KIOSK_TERMINAL, "コンビニ交付（証明書交付センター経由）"

    def operator_name(self) -> str:
        """The 交付者 column: the card holder at a kiosk, no staff."""
        return f"コンビニ交付端末 {self.kiosk_id}"[:150]


@dataclass(frozen=True)
class IssuePreview:
    """The confirmation step: who would be printed and what the restrictions say (nothing recorded)."""

    subjects: tuple[str, ...]
    alerts: tuple[Alert, ...]
    support_measure: bool


def issuer_name(actor: Any) -> str:
    """The 交付者 as the 交付履歴 records it: the user's display name, else the user name."""
    return str(getattr(actor, "display_name", "") or actor.get_username())[:150]


def _audit_refusal(*, actor: Any, purpose: str, subject_id: str, error: DomainError) -> None:
    with transaction.atomic():
        record_event(
            actor=actor,
            action=AuditAction.CERTIFICATE_COPY_ISSUE,
            subject_type="resident",
            subject_id=subject_id,
            purpose=purpose,
            outcome=Outcome.REFUSED,
            outcome_reason=error.code,
            support_measure=error.code == REQUESTER_IS_PERPETRATOR,
        )


#: 加害者照合 on the counter's issue: the requester is a recorded 加害者 of a protected subject.
REQUESTER_IS_PERPETRATOR = "certificates.requester_is_perpetrator"


def _refuse_perpetrator(request: CertificateRequest, numbers: Sequence[str]) -> None:
    """加害者照合 (standard 1.1.16-a; C-38): refuse a requester recorded as the 加害者 of a measure
    protecting a subject, even through a 一時解除. The message names no one and no measure: the
    requester may be standing at the counter."""
    requester = support_database.requester_atena(request.requester_atena_number)
    if support_database.requester_is_perpetrator(
        atena_numbers=numbers,
        requester_atena_number=requester,
        requester_name=request.requester_name,
        requester_birth_date=request.requester_birth_date,
    ):
        raise refusal(
            "requester_atena_number",
            "この請求には交付できません（加害者照合に該当）。",
            "交付を中止し、支援措置の担当者に確認してください。",
            REQUESTER_IS_PERPETRATOR,
        )


def _country_names() -> Callable[[str], str]:
    cache: dict[str, str] = {}

    def name(code: str) -> str:
        if code and code not in cache:
            found = Country.objects.filter(code=code).values_list("name_ja", flat=True).first()
            cache[code] = found or code
        return cache.get(code, code)

    return name


def _restriction_alerts(check: RestrictionCheck) -> tuple[Alert, ...]:
    return tuple(Alert(field="restriction", message=f.message, code=f.code) for f in check.alerts)


def _overflow_alerts(document: CertificateDocument) -> tuple[Alert, ...]:
    if not document.overflow:
        return ()
    message = "記載欄に収まらない事項があります。文字超過リストを添付して交付します（標準仕様5.8-a）。"
    return (Alert(field="document", message=message, code=OVERFLOW_ALERT),)


def _require_acknowledged(alerts: Sequence[Alert], request: CertificateRequest) -> None:
    """The registry's acknowledgment style: every alert is acknowledged by its own code."""
    pending = sorted({a.code for a in alerts} - set(request.acknowledged_alerts))
    if pending:
        raise refusal(
            ACKNOWLEDGED_FIELD,
            "この請求には確認が必要な注意事項があります（" + "、".join(pending) + "）。",
            "注意事項を一つずつ確認し、確認したものに印を付けて再度交付してください。",
            "certificates.alert_not_acknowledged",
        )


def _enforce_restrictions(check: RestrictionCheck, request: CertificateRequest) -> None:
    """支援措置 and 抑止 (standard 3.1-b, 3.4-a; C-38): an error blocks, an alert needs acknowledgment."""
    if check.blocked:
        finding = next(f for f in check.findings if f.level is RestrictionLevel.ERROR and not f.released)
        raise refusal(
            "restriction",
            finding.message,
            "交付できません。責任者の確認と一時解除が必要です。",
            "certificates.restricted",
        )
    _require_acknowledged(_restriction_alerts(check), request)


def _refuse_drafted(numbers: Sequence[str]) -> None:
    """Refuse a certificate of people with an open draft (仮登録): it waits for the 本登録 (4.0.8-a)."""
    change_id = certificate_sources.open_draft_of(numbers)
    if change_id is not None:
        # The draft number only: the message may be logged, so nothing about the person.
        raise refusal(
            "atena_numbers",
            f"記載する方に本登録を待つ異動（仮登録、異動番号 {change_id}）があるため、"
            "証明書を発行できません。",
            "その異動が本登録または破棄されるのを待ってから発行してください"
            "（確認者に本登録を依頼してください）。",
            "certificates.pending_draft",
        )


def _original_subjects(options: CertificateOptions) -> list[certificate_sources.SourcePerson]:
    """改製原住民票・再製原住民票の写し: one person's chosen earlier generation (個人票), or with the
    household's generations closed by the same 改製 or 再製 (世帯連記式: all of them, or the people named)."""
    assert options.generation is not None  # check_request saw it
    anchor = options.atena_numbers[0]
    closed_by = options.kind.generation_reason
    if options.layout is Layout.PERSONAL:
        return [
            certificate_sources.original_record(
                anchor,
                options.generation,
                closed_by=closed_by,
                with_individual_number=options.show_individual_number,
            )
        ]
    return certificate_sources.original_household(
        anchor,
        options.generation,
        only=() if options.whole_household else options.atena_numbers,
        closed_by=closed_by,
        with_individual_number=options.show_individual_number,
    )


def _subjects(options: CertificateOptions, issue_date: Any) -> list[certificate_sources.SourcePerson]:
    if options.kind.copies_generation:
        return _original_subjects(options)
    household = certificate_sources.household_of(options.atena_numbers[0], with_history=options.with_history)
    chosen = select_subjects(household, options, issue_date=issue_date)
    if options.show_individual_number:
        # Decrypt only the people printed, never the whole household (C-9).
        chosen = certificate_sources.people(
            [p.atena_number for p in chosen], with_individual_number=True, with_history=options.with_history
        )
    return chosen


def original_generations(
    *, actor: Any, purpose: str, atena_number: str
) -> tuple[certificate_sources.GenerationPeriod, ...]:
    """The generations of a person's record with their periods, for choosing a 改製原住民票の写し or a
    再製原住民票の写し.

    Needs ``certificate:issue``; the read is audited (dates of a person's record are personal data).
    The last period is the current record (a 住民票の写し); the others can be copied by number.
    """
    atena_number = atena_number.strip()
    authorize(
        actor=actor,
        permission=Permission.CERTIFICATE_ISSUE,
        action=AuditAction.CERTIFICATE_GENERATIONS_VIEW,
        purpose=purpose,
        subject_type="resident",
        subject_id=atena_number,
    )
    with transaction.atomic():
        periods = certificate_sources.generation_periods(atena_number)
        record_event(
            actor=actor,
            action=AuditAction.CERTIFICATE_GENERATIONS_VIEW,
            subject_type="resident",
            subject_id=atena_number,
            purpose=purpose,
            result_count=len(periods),
        )
    return periods


def preview_certificate(
    *, actor: Any, purpose: str, request: CertificateRequest, options: CertificateOptions
) -> IssuePreview:
    """The confirmation screen's facts: the rules and restrictions applied, nothing printed or recorded
    but one audited read of who would be on the certificate."""
    options = normalized_options(options)
    anchor = options.atena_numbers[0] if options.atena_numbers else ""
    authorize(
        actor=actor,
        permission=Permission.CERTIFICATE_ISSUE,
        action=AuditAction.CERTIFICATE_COPY_ISSUE,
        purpose=purpose,
        subject_type="resident",
        subject_id=anchor,
    )
    try:
        check_request(request, options)
        with transaction.atomic():
            today = timezone.localdate()
            if options.kind.copies_generation:
                chosen = _original_subjects(replace(options, show_individual_number=False))
            else:
                household = certificate_sources.household_of(anchor)
                chosen = select_subjects(household, options, issue_date=today)
            numbers = [p.atena_number for p in chosen]
            _refuse_drafted(numbers)
            _refuse_perpetrator(request, numbers)  # told at the confirmation already, before printing
            check = check_restrictions(numbers, process=RestrictedProcess.CERTIFICATE, on=today)
            if check.blocked:
                _enforce_restrictions(check, request)
            document = build_document(
                chosen,
                options,
                issue_date=today,
                official_use=request.official_use,
                country_name=_country_names(),
                overflow_print=conf.overflow_print(),
            )
            # The people shown for confirmation "appeared in a list" (C-48); nothing is printed yet.
            record_results(
                actor,
                "resident",
                numbers,
                purpose,
                "atena_number",
                support_measure=check.support_measure,
            )
    except DomainError as error:
        _audit_refusal(actor=actor, purpose=purpose, subject_id=anchor, error=error)
        raise
    return IssuePreview(
        subjects=tuple(numbers),
        alerts=(*_restriction_alerts(check), *_overflow_alerts(document)),
        support_measure=check.support_measure,
    )


@contextmanager
def _refusals_audited(actor: Any, purpose: str, anchor: str) -> Iterator[None]:
    """A refusal raised inside (a rule, or a missing signing key) is audited in a transaction of its own,
    after the issuance's has rolled back, and reaches the clerk as a DomainError."""
    try:
        yield
    except signing.SigningKeyMissing as missing:
        logger.error("certificate issuance stopped: %s", missing)
        error = signing.signing_refusal(missing)
        _audit_refusal(actor=actor, purpose=purpose, subject_id=anchor, error=error)
        raise error from None
    except DomainError as error:
        _audit_refusal(actor=actor, purpose=purpose, subject_id=anchor, error=error)
        raise


def _authorize_individual_number(actor: Any, purpose: str, anchor: str) -> None:
    """Printing a 個人番号 is 特定個人情報 access: its own permission (C-9)."""
    authorize(
        actor=actor,
        permission=Permission.INDIVIDUAL_NUMBER_ACCESS,
        action=AuditAction.CERTIFICATE_COPY_ISSUE,
        purpose=purpose,
        subject_type="resident",
        subject_id=anchor,
    )


def issue_certificate(
    *,
    actor: Any,
    purpose: str,
    request: CertificateRequest,
    options: CertificateOptions,
    printer: str = "",
) -> IssuedCertificate:
    """Issue, sign, number and record a certificate (issue 6 items 2–6; standard 1.3.8-a, 5.1–5.7)."""
    options = normalized_options(options)
    anchor = options.atena_numbers[0] if options.atena_numbers else ""
    authorize(
        actor=actor,
        permission=Permission.CERTIFICATE_ISSUE,
        action=AuditAction.CERTIFICATE_COPY_ISSUE,
        purpose=purpose,
        subject_type="resident",
        subject_id=anchor,
    )
    if options.show_individual_number:
        _authorize_individual_number(actor, purpose, anchor)
    with _refusals_audited(actor, purpose, anchor):
        check_request(request, options)
        with transaction.atomic():
            issued = _issue(actor=actor, purpose=purpose, request=request, options=options, printer=printer)
    # After the transaction: the first certificate has loaded the fonts, the stylesheet and the signer.
    runtime.settle_once()
    return issued


def _issue(
    *,
    actor: Any,
    purpose: str,
    request: CertificateRequest,
    options: CertificateOptions,
    printer: str,
    origin: WideAreaOrigin | KioskOrigin | None = None,
    reissue: Reissue | None = None,
    at_commit: int | None = None,
) -> IssuedCertificate:
    now = timezone.now()
    issue_date = timezone.localdate(now)
    subjects = reissue.subjects if reissue is not None else _subjects(options, issue_date)
    numbers = [p.atena_number for p in subjects]
    # The printed persons' households, then the persons, row-locked before the check that decides: a
    # 抑止 or 支援措置 set meanwhile takes the same locks, so this check sees it or it is set after
    # this issuance (registry.restriction_locks). The confirmation screen's check is only advice.
    services_restrictions.lock_persons(numbers)
    _refuse_drafted(numbers)
    if origin is None:
        _refuse_perpetrator(request, numbers)
    check = check_restrictions(numbers, process=RestrictedProcess.CERTIFICATE, on=issue_date)
    if origin is not None and check.findings:
        # No clerk of ours sees a remote request: any 抑止 or 支援措置, even one released for a
        # counter visit here, refuses it. The reason names neither (the asker is another office).
        raise refusal(
            "subject",
            f"この方の{options.kind.label}は{origin.route_label}できません。",
            "住所地の市区町村の窓口で請求するよう案内してください。",
            origin.refusal_code,
        )
    if check.blocked:
        _enforce_restrictions(check, request)
    document = build_document(
        subjects,
        options,
        issue_date=issue_date,
        official_use=request.official_use,
        country_name=_country_names(),
        overflow_print=conf.overflow_print(),
    )
    if reissue is not None:
        document = replace(document, reissue_of=reissue.note)
    alerts = (*_restriction_alerts(check), *_overflow_alerts(document))
    _require_acknowledged(alerts, request)
    rendering.check_glyphs(document)
    certifier = certifier_for(issue_date)
    terminal_id, terminal_name, place = numbering.issuing_terminal() if origin is None else origin.terminal()
    # The terminal's printer, tray and output (standard 10.7-a); a typed printer number wins.
    destination = print_settings.destination_for(terminal_id if origin is None else "")
    printer = printer or destination.printer
    serials = numbering.next_serials(
        issue_date, terminal=terminal_name, count=len(document.units) * options.copies
    )
    copies = [
        rendering.PrintedCopy(unit=unit, serial=serials[i * len(document.units) + j])
        for i in range(options.copies)
        for j, unit in enumerate(document.units)
    ]
    municipality = certifier.municipality_name
    copy_numbers = [
        IssueNumber(issue_date, municipality, terminal_name, printer, c.serial, 1, 1).copy_number
        for c in copies
    ]
    pdf = rendering.render_pdf(
        document,
        copies,
        issue_date=issue_date,
        municipality=municipality,
        terminal=terminal_name,
        printer=printer,
        signer=certificate_settings.certificate_signer(certifier, options.kind),
        copy_numbers=copy_numbers,
    )
    signed = signing.sign_pdf(
        pdf, reason=f"{document.title}の交付", location=f"{certifier.prefecture_name}{municipality}"
    )
    fee = fee_for(
        options.kind, units=len(copies), requester_class=request.requester_class, table=conf.fee_table()
    )
    sheets = sum(len(c.unit.sheets) for c in copies)
    issuance = Issuance.objects.create(
        issued_at=now,
        issue_date=issue_date,
        place=place,
        terminal_id=terminal_id,
        terminal_name=terminal_name,
        printer=printer,
        tray=destination.tray,
        output=destination.output,
        user=actor,
        user_name=issuer_name(actor) if origin is None else origin.operator_name(),
        channel=Issuance.Channel.COUNTER if origin is None else origin.channel,
        requesting_municipality="" if origin is None else origin.municipality_code,
        kind=options.kind.value,
        layout=options.layout.value,
        options={**options.as_record(), **({"reissue_of": reissue.copy_number} if reissue else {})},
        subjects=numbers,
        household_number=document.household_number,
        copies=options.copies,
        sheets=sheets,
        requester_class=request.requester_class.value,
        requester_name=request.requester_name.strip(),
        identity_check=request.identity_check.value,
        power_of_attorney_checked=request.power_of_attorney_checked,
        third_party_purpose=request.third_party_purpose.value if request.third_party_purpose else "",
        purpose_detail=request.purpose_detail.strip(),
        request_reason=request.request_reason.strip(),
        submit_to=request.submit_to.strip(),
        fee=fee,
        individual_number_printed=options.show_individual_number,
        juminhyo_code_printed=options.show_juminhyo_code,
        seal_printed=True,
        official_use=request.official_use,
        certifier=certifier,
        alerts_acknowledged=sorted({a.code for a in alerts}),
        released_findings=sorted({f"{f.atena_number}:{f.code}" for f in check.findings if f.released}),
        pdf_sha256=hashlib.sha256(signed).hexdigest(),
        at_commit_change=at_commit,
    )
    if check.releases_used:
        # A 一時解除 lets one request through (issue 6): this 交付 uses it up, in its own transaction,
        # so a refusal or rollback leaves it unused. Lost to a concurrent 交付: refused as unreleased.
        consumed = services_restrictions.consume_releases(
            check, actor=actor, purpose=purpose, subject_type="issuance", subject_id=str(issuance.pk)
        )
        if consumed.blocked:
            _enforce_restrictions(consumed, request)
    IssuedCopy.objects.bulk_create(
        IssuedCopy(
            issuance=issuance,
            position=index,
            subjects=list(printed.unit.subjects),
            issue_date=issue_date,
            municipality=municipality,
            terminal=terminal_name,
            printer=printer,
            serial=printed.serial,
            pages=len(printed.unit.sheets),
            copy_number=number,
        )
        for index, (printed, number) in enumerate(zip(copies, copy_numbers, strict=True), start=1)
    )
    IssuanceSubject.objects.bulk_create(
        IssuanceSubject(issuance=issuance, atena_number=number) for number in dict.fromkeys(numbers)
    )
    # 本人通知 (standard 8.1): produced in this transaction, so no issuance escapes its notice.
    notices = self_notification.notices_for(issuance, requester_class=request.requester_class)
    record_event(
        actor=actor,
        action=AuditAction.CERTIFICATE_COPY_ISSUE,
        subject_type="issuance",
        subject_id=str(issuance.pk),
        purpose=purpose,
        reason=_issue_reason(notices, origin, reissue, at_commit),
        individual_number_used=options.show_individual_number,
        support_measure=check.support_measure,
        result_count=len(numbers),
    )
    return IssuedCertificate(
        issuance_id=issuance.pk,
        copy_numbers=tuple(copy_numbers),
        pdf=signed,
        fee=fee,
        sheets=sheets,
        subject_count=len(numbers),
        on_paper=destination.on_paper,
    )


def _issue_reason(
    notices: int,
    origin: WideAreaOrigin | KioskOrigin | None,
    reissue: Reissue | None = None,
    at_commit: int | None = None,
) -> str:
    parts = [f"{origin.channel} for {origin.municipality_code or origin.terminal()[0]}"] if origin else []
    if reissue is not None:
        parts.append(f"reissue_of={reissue.copy_number}")
    if at_commit is not None:
        parts.append(f"change={at_commit}")
    if notices:
        parts.append(f"self_notices={notices}")
    return "; ".join(parts)


@dataclass(frozen=True)
class Reissue:
    """A 再交付: the original copy's 発行番号, the people as they stood then and the printed note."""

    copy_number: str
    subjects: list[certificate_sources.SourcePerson]
    note: str


def _original_copy(copy_number: str) -> IssuedCopy:
    original: IssuedCopy | None = (
        IssuedCopy.objects.select_related("issuance").filter(copy_number=copy_number.strip()).first()
    )
    if original is None:
        raise refusal(
            "copy_number",
            "該当する発行番号がありません。",
            "再交付する証明書の発行番号（頁を除く）を確認してください。",
            "certificates.no_such_copy",
        )
    kinds = {kind.value for kind in CertificateKind if kind.reissuable}
    if original.issuance.kind not in kinds:
        raise refusal(
            "copy_number",
            "再交付できるのは転出証明書（転出証明書に準ずる証明書を含む）だけです。",
            "発行番号を確認してください。ほかの証明書は新たに交付してください。",
            "certificates.not_reissuable",
        )
    return original


def _refuse_undone_move_out(then: list[certificate_sources.SourcePerson]) -> None:
    """Refuse a reissue when the 転出 the original certified no longer stands for someone on it (cancelled
    by 異動の取消し, or replaced by another 転出): it would certify a move that is not recorded."""
    now = {
        p.atena_number: p.move_out_change_id
        for p in certificate_sources.people([p.atena_number for p in then])
    }
    if any(now[p.atena_number] != p.move_out_change_id for p in then):
        raise refusal(
            "copy_number",
            "この転出証明書の転出は、原交付の後に取り消し又は変更されています。",
            "再交付はできません。現在の記録で転出証明書を新たに交付してください。",
            "certificates.reissue_move_out_changed",
        )


def reissue_certificate(
    *, actor: Any, purpose: str, request: CertificateRequest, copy_number: str, printer: str = ""
) -> IssuedCertificate:
    """再交付 of a 転出証明書 (standard 4.1.3.0.3-b): a new copy (new 発行番号, fee, 交付履歴 row naming
    the original) marked 「再交付」, printing the people as they stood when the original was issued, with
    the original's options. The request rules, 本人確認 and 支援措置・抑止 apply as on any issuance."""
    authorize(
        actor=actor,
        permission=Permission.CERTIFICATE_ISSUE,
        action=AuditAction.CERTIFICATE_COPY_ISSUE,
        purpose=purpose,
        subject_type="issued_copy",
    )
    anchor = ""
    try:
        with transaction.atomic():
            original = _original_copy(copy_number)
            numbers = tuple(str(n) for n in original.subjects)
            anchor = numbers[0]
            options = options_from_record(original.issuance.options, numbers)
            if options.show_individual_number:
                _authorize_individual_number(actor, purpose, anchor)
            check_request(request, options)
            issued_on = to_wareki(original.issuance.issue_date).display()
            then = certificate_sources.people_as_of(
                list(numbers),
                original.issuance.issued_at,
                with_individual_number=options.show_individual_number,
            )
            _refuse_undone_move_out(then)
            reissue = Reissue(
                copy_number=original.copy_number,
                subjects=then,
                note=f"原交付日　{issued_on}　原発行番号　{original.copy_number}　"
                "（原交付時の記載内容により再交付したものです）",
            )
            issued = _issue(
                actor=actor,
                purpose=purpose,
                request=request,
                options=options,
                printer=printer,
                reissue=reissue,
            )
    except DomainError as error:
        _audit_refusal(actor=actor, purpose=purpose, subject_id=anchor, error=error)
        raise
    runtime.settle_once()
    return issued


def _options_at_commit(change_id: int, kind: CertificateKind) -> CertificateOptions:
    """The 転出証明書 (or its substitute, or a 除票の写し) of a committed 転出's movers, as they stand now;
    refused when the change calls for none of that kind, or its 転出 no longer stands (4.1.3.0.3-a)."""
    due = certificate_sources.move_out_certificate_of_change(change_id)
    if due is None:
        raise refusal(
            "change_id",
            "この異動は、本登録の際に転出証明書を交付する国内転出ではありません"
            "（仮登録・国外転出・職権転出・特例転出を含みます）。",
            "証明書が必要な場合は、証明書交付の画面から交付してください。",
            "certificates.no_move_out_at_commit",
        )
    if kind not in due.kinds:
        raise refusal(
            "kind",
            f"この転出には{kind.label}を交付できません。",
            "、".join(k.label for k in due.kinds) + "から選んでください。",
            "certificates.move_out_kind_at_commit",
        )
    if any(p.move_out_change_id != change_id for p in certificate_sources.people(list(due.atena_numbers))):
        raise refusal(
            "change_id",
            "この転出は、本登録の後に取り消し又は変更されています。",
            "現在の記録を確認し、証明書交付の画面から交付してください。",
            "certificates.move_out_changed_since_commit",
        )
    # A 除票の写し in place of the 転出証明書 carries what the next municipality records from one (令24条).
    return normalized_options(
        CertificateOptions(
            kind=kind,
            atena_numbers=due.atena_numbers,
            whole_household=False,
            show_honseki=True,
            show_juminhyo_code=True,
        )
    )


def issue_at_move_out_commit(
    *,
    actor: Any,
    purpose: str,
    request: CertificateRequest,
    change_id: int,
    kind: CertificateKind,
    printer: str = "",
) -> IssuedCertificate:
    """The certificate of a 転出 printed in the flow, from the 本登録's result (standard 4.1.3.0.3-a):
    the 転出証明書 of the movers, or after a late (職権) notification the 転出証明書に準ずる証明書 or a
    除票の写し. The 交付履歴 row names the committed change (``Issuance.at_commit_change``) and the
    clerk; the request rules, 本人確認 and 支援措置・抑止 apply as on any issuance."""
    authorize(
        actor=actor,
        permission=Permission.CERTIFICATE_ISSUE,
        action=AuditAction.CERTIFICATE_COPY_ISSUE,
        purpose=purpose,
        subject_type="change",
        subject_id=str(change_id),
    )
    due = certificate_sources.move_out_certificate_of_change(change_id)
    with _refusals_audited(actor, purpose, due.atena_numbers[0] if due else ""), transaction.atomic():
        options = _options_at_commit(change_id, kind)
        check_request(request, options)
        issued = _issue(
            actor=actor,
            purpose=purpose,
            request=request,
            options=options,
            printer=printer,
            at_commit=change_id,
        )
    runtime.settle_once()
    return issued


def issue_wide_area_copy(
    *, origin: WideAreaOrigin, request: CertificateRequest, options: CertificateOptions
) -> IssuedCertificate:
    """広域交付 at the registering municipality (住基法12条の4): the copy another municipality asked for.

    Runs in the caller's transaction (the node's query answer): no local actor, the asking node is
    authenticated by its signature. Rendered, sealed, numbered and recorded exactly as at the counter,
    with the 交付履歴 naming the asking municipality; refusals raise DomainError and change nothing.
    """
    options = normalized_options(options)
    check_request(request, options)
    try:
        return _issue(
            actor=None,
            purpose=WIDE_AREA_PURPOSE,
            request=request,
            options=options,
            printer="",
            origin=origin,
        )
    except signing.SigningKeyMissing as missing:
        logger.error("wide-area issuance stopped: %s", missing)
        raise signing.signing_refusal(missing) from None


def issue_kiosk_copy(
    *, origin: KioskOrigin, request: CertificateRequest, options: CertificateOptions
) -> IssuedCertificate:
    """コンビニ交付 (standard 7.2.5-a): the copy a card holder asked for at a kiosk.

    Runs in the caller's transaction (the node's answer to the 証明書交付センター), as
    ``issue_wide_area_copy``: any 抑止 or 支援措置 refuses it, a 一時解除 does not open it.
    """
    options = normalized_options(options)
    check_request(request, options)
    try:
        return _issue(
            actor=None, purpose=KIOSK_PURPOSE, request=request, options=options, printer="", origin=origin
        )
    except signing.SigningKeyMissing as missing:
        logger.error("kiosk issuance stopped: %s", missing)
        raise signing.signing_refusal(missing) from None


def void_copy(*, actor: Any, purpose: str, copy_number: str, reason: str) -> None:
    """Record a wrongly issued copy as voided and destroyed (standard 1.3.8-a): appended, never edited."""
    authorize(
        actor=actor,
        permission=Permission.CERTIFICATE_VOID,
        action=AuditAction.CERTIFICATE_COPY_VOID,
        purpose=purpose,
        subject_type="issued_copy",
    )
    with transaction.atomic():
        copy = IssuedCopy.objects.select_for_update().filter(copy_number=copy_number.strip()).first()
        if copy is None:
            raise refusal(
                "copy_number",
                "該当する発行番号がありません。",
                "発行番号を確認してください。",
                "certificates.no_such_copy",
            )
        if CopyVoid.objects.filter(copy=copy).exists():
            raise refusal(
                "copy_number",
                "この証明書は既に廃棄済みです。",
                "発行番号を確認してください。",
                "certificates.already_voided",
            )
        if not reason.strip():
            raise refusal(
                "reason",
                "廃棄の理由が必要です。",
                "誤交付・廃棄の理由を入力してください。",
                "certificates.void_reason_required",
            )
        CopyVoid.objects.create(
            copy=copy,
            voided_at=timezone.now(),
            voided_by=actor,
            voided_by_name=issuer_name(actor),
            reason=reason.strip(),
        )
        record_event(
            actor=actor,
            action=AuditAction.CERTIFICATE_COPY_VOID,
            subject_type="issued_copy",
            subject_id=str(copy.pk),
            purpose=purpose,
            reason=reason.strip()[:200],
        )


@dataclass(frozen=True)
class Verification:
    """The verdict on a presented PDF: valid, or invalid with the reason (Japanese, no personal data)."""

    valid: bool
    reason: str
    copy_numbers: tuple[str, ...]


def _match_history(data: bytes, numbers: Sequence[str]) -> tuple[str, int | None]:
    """ "" when every 発行番号 is in the 交付履歴, of this very file, and not voided; else the reason."""
    copies = list(IssuedCopy.objects.filter(copy_number__in=numbers).select_related("issuance"))
    if len(copies) != len(set(numbers)):
        return "発行番号が交付履歴にありません。", None
    issuances = {c.issuance_id for c in copies}
    issuance = copies[0].issuance
    if len(issuances) != 1 or issuance.pdf_sha256 != hashlib.sha256(data).hexdigest():
        return "交付履歴に記録された文書と一致しません。", issuance.pk
    voided = [c.copy_number for c in copies if CopyVoid.objects.filter(copy=c).exists()]
    if voided:
        return "誤交付として廃棄が記録された証明書です（発行番号 " + "、".join(voided) + "）。", issuance.pk
    return "", issuance.pk


def verify_certificate(*, data: bytes, actor: Any = None, purpose: str = "") -> Verification:
    """Check the signature and match the 発行番号 against the 交付履歴 (issue 6 item 5); audited.

    From a screen the actor needs ``CERTIFICATE_VERIFY``; the operator command passes no actor.
    """
    if actor is not None:
        authorize(
            actor=actor,
            permission=Permission.CERTIFICATE_VERIFY,
            action=AuditAction.CERTIFICATE_COPY_VERIFY,
            purpose=purpose,
            subject_type="issuance",
        )
    verdict = signing.verify_signature(data)
    reason, issuance_id = verdict.reason, None
    with transaction.atomic():
        if verdict.valid:
            reason, issuance_id = _match_history(data, verdict.copy_numbers)
        record_event(
            actor=actor,
            action=AuditAction.CERTIFICATE_COPY_VERIFY,
            subject_type="issuance",
            subject_id=str(issuance_id or ""),
            purpose=purpose,
            outcome_reason="valid" if not reason else "invalid",
        )
    return Verification(valid=not reason, reason=reason, copy_numbers=verdict.copy_numbers)
