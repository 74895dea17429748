"""Notices the clerk prints from a registry change (issue 6 item 1): no fee, addressed to the person.

- 住民票コード通知票 / 変更通知票 / 修正通知票 (standard 20.4.1–20.4.3): the person's current code, and for
  a change or a correction the code before it;
- 職権記載等通知書 (4.2.0.1-a): the data of ``registry.selectors_corrections.ex_officio_notice``, which
  authorises (``resident:view``) and audits the read itself; one PDF per person notified;
- 職権記録書 (4.2.0.1-a): the office's record of a 職権 change (``ex_officio_record_sheet``), no addressee;
- 住民異動届受理通知 (4.1.0.3-a): of a committed 転入, 転居, 国外転入等 or 出生, to the notifier at the
  address before the move or, for 出生 and 国外転入等, to the mover at the new address;
- 世帯主変更依頼通知書 (4.0.4-b, 4.0.5-a): to the first remaining member of a household a committed change
  left without its 世帯主 (the registry's alert ``registry.head_change_request``).

Each call is one authorised, audited use case; only committed data is read. The 住民票コード notices are
also entered in the 交付履歴 with a 発行番号 (standard 1.3.8-a; ``notice_issuance``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.context import audit_context
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event, record_results
from jumin.certificates.documents import Line
from jumin.certificates.notice_issuance import issue_numbered_notice
from jumin.certificates.notices import NoticeDocument, NoticeTable, render_notice
from jumin.domain import recorded_dates
from jumin.domain.certificates import IssuedNoticeKind
from jumin.domain.errors import DomainError, refusal
from jumin.domain.wareki import to_wareki
from jumin.registry import certificate_sources
from jumin.registry.certificate_sources import SourcePerson
from jumin.registry.selectors_corrections import ex_officio_notice, ex_officio_record_sheet


class CodeNoticeKind(StrEnum):
    """The three 住民票コード notices (standard 20.4.1–20.4.3)."""

    ASSIGNED = "assigned"  # 住民票コード通知票 (出生, 転入 …)
    CHANGED = "changed"  # 住民票コード変更通知票 (本人の変更請求, 住基法30条の4)
    CORRECTED = "corrected"  # 住民票コード修正通知票 (職権による修正)

    @property
    def issued_kind(self) -> IssuedNoticeKind:
        """The kind the 交付履歴 records."""
        return {
            CodeNoticeKind.ASSIGNED: IssuedNoticeKind.JUMINHYO_CODE,
            CodeNoticeKind.CHANGED: IssuedNoticeKind.JUMINHYO_CODE_CHANGED,
            CodeNoticeKind.CORRECTED: IssuedNoticeKind.JUMINHYO_CODE_CORRECTED,
        }[self]

    @property
    def label(self) -> str:
        return self.issued_kind.label


_CODE_LEADS = {
    CodeNoticeKind.ASSIGNED: "あなたの住民票に、次のとおり住民票コードを記載しましたので通知します。",
    CodeNoticeKind.CHANGED: "あなたの請求により、住民票コードを次のとおり変更しましたので通知します。",
    CodeNoticeKind.CORRECTED: "あなたの住民票コードを、次のとおり職権で修正しましたので通知します。",
}


def _name(person: SourcePerson) -> str:
    return f"{person.surname}　{person.given_name}".strip("　")


def _address(person: SourcePerson) -> str:
    return f"{person.address}　{person.katagaki}".strip("　")


def _print_audit(actor: Any, purpose: str, subject_type: str, subject_id: str, reason: str) -> None:
    record_event(
        actor=actor,
        action=AuditAction.CERTIFICATE_NOTICE_PRINT,
        subject_type=subject_type,
        subject_id=subject_id,
        purpose=purpose,
        reason=reason,
    )


def _authorize_change_print(actor: Any, purpose: str, change_id: int) -> None:
    """``certificate:notice:print`` for a notice printed from a change (refusal audited by ``authorize``)."""
    authorize(
        actor=actor,
        permission=Permission.CERTIFICATE_NOTICE_PRINT,
        action=AuditAction.CERTIFICATE_NOTICE_PRINT,
        purpose=purpose,
        subject_type="change",
        subject_id=str(change_id),
    )


def _audit_refused(actor: Any, purpose: str, atena_number: str, note: str, error: DomainError) -> None:
    """A refused 住民票コード notice, audited like a refused certificate request (``services``).

    Called after the print's transaction has rolled back, in a transaction of its own, so the entry
    survives the refusal (and only the entry: no serial, no 交付履歴 row)."""
    with transaction.atomic():
        record_event(
            actor=actor,
            action=AuditAction.CERTIFICATE_NOTICE_PRINT,
            subject_type="resident",
            subject_id=atena_number,
            purpose=purpose,
            reason=note,
            outcome=Outcome.REFUSED,
            outcome_reason=error.code,
            **audit_context(),
        )


def _authorized(actor: Any, purpose: str, atena_number: str) -> str:
    """The 宛名番号 as printed on, once the actor may print notices (``certificate:notice:print``)."""
    atena_number = atena_number.strip()
    authorize(
        actor=actor,
        permission=Permission.CERTIFICATE_NOTICE_PRINT,
        action=AuditAction.CERTIFICATE_NOTICE_PRINT,
        purpose=purpose,
        subject_type="resident",
        subject_id=atena_number,
    )
    return atena_number


def print_juminhyo_code_notice(*, actor: Any, purpose: str, atena_number: str, kind: CodeNoticeKind) -> bytes:
    """One 住民票コード通知票 / 変更通知票 / 修正通知票 for the person (signed PDF)."""
    atena_number = _authorized(actor, purpose, atena_number)
    try:
        with transaction.atomic():
            return _code_notice(actor, purpose, atena_number, kind, audit_note=kind.value)
    except DomainError as error:
        _audit_refused(actor, purpose, atena_number, kind.value, error)
        raise


def print_change_code_notice(*, actor: Any, purpose: str, change_id: int, atena_number: str) -> bytes:
    """The 住民票コード notice a committed change calls for, from the change's own screen (the clerk does
    not enter the 異動番号 or choose the kind: ``certificate_sources.code_notices_of_change`` decides).

    Refused when the change calls for no notice to this person, or when a later change has since
    replaced the code it recorded (the notice would print another code than the change's).
    """
    atena_number = _authorized(actor, purpose, atena_number)
    try:
        with transaction.atomic():
            return _change_code_notice(actor, purpose, change_id, atena_number)
    except DomainError as error:
        _audit_refused(actor, purpose, atena_number, f"change={change_id}", error)
        raise


def _change_code_notice(actor: Any, purpose: str, change_id: int, atena_number: str) -> bytes:
    """The notice the change calls for, or the refusal; in the caller's transaction."""
    due = [n for n in certificate_sources.code_notices_of_change(change_id) if n.atena_number == atena_number]
    if not due:
        raise refusal(
            "change_id",
            "この異動では、この方の住民票コードの通知票は作成しません。",
            "異動番号と対象者を確認してください。",
            "certificates.no_code_notice",
        )
    if certificate_sources.people([atena_number])[0].juminhyo_code != due[0].juminhyo_code:
        raise refusal(
            "change_id",
            "この異動の後に住民票コードが変更・修正されています。",
            "最新の異動の画面から通知票を作成してください。",
            "certificates.juminhyo_code_superseded",
        )
    kind = _CODE_NOTICE_KINDS[due[0].kind]
    return _code_notice(actor, purpose, atena_number, kind, audit_note=f"{kind.value}; change={change_id}")


_CODE_NOTICE_KINDS = {kind.issued_kind: kind for kind in CodeNoticeKind}


def _code_notice(
    actor: Any, purpose: str, atena_number: str, kind: CodeNoticeKind, *, audit_note: str
) -> bytes:
    """Render, number, record and audit one 住民票コード notice, in the caller's transaction."""
    person = certificate_sources.people([atena_number])[0]
    items = [
        Line("氏名", f"{_name(person)}（{person.surname_kana}　{person.given_name_kana}）"),
        Line("生年月日", recorded_dates.display(person.birth_date)),
        Line("住所", _address(person)),
    ]
    if kind is not CodeNoticeKind.ASSIGNED:
        previous = certificate_sources.previous_juminhyo_code(atena_number)
        if not previous:
            raise refusal(
                "kind",
                "この方の住民票コードは変更・修正されていません。",
                "住民票コード通知票を選んでください。",
                "certificates.juminhyo_code_unchanged",
            )
        label = "変更前" if kind is CodeNoticeKind.CHANGED else "修正前"
        items.append(Line(f"{label}の住民票コード", previous))
    items.append(Line("住民票コード", person.juminhyo_code))
    pdf, issuance = issue_numbered_notice(
        actor=actor,
        kind=kind.issued_kind,
        notice=NoticeDocument(
            title=kind.label,
            addressee_address=_address(person),
            addressee_name=_name(person),
            lead=_CODE_LEADS[kind],
            items=tuple(items),
            remarks=("住民票コードは大切に保管してください。",),
        ),
        atena_number=atena_number,
        household_number=person.household_number,
    )
    _print_audit(actor, purpose, "resident", atena_number, f"{audit_note}; issuance={issuance.pk}")
    return pdf


def print_ex_officio_notice(*, actor: Any, purpose: str, change_id: int) -> bytes:
    """The 職権記載等通知書 of a committed 職権 change, to the first person, listing every person's items.

    The registry's selector authorises (``resident:view``) and audits the read; printing it is that use.
    """
    notice = ex_officio_notice(actor=actor, purpose=purpose, change_id=change_id)
    if not notice.persons:
        raise refusal(
            "change_id", "通知する方がいません。", "異動番号を確認してください。", "certificates.no_notice"
        )
    first = notice.persons[0]
    rows = tuple(
        (person.name, item.label, item.before, item.after)
        for person in notice.persons
        for item in person.items
    )
    return render_notice(
        NoticeDocument(
            title="職権記載等通知書",
            addressee_address=f"{first.address}　{first.katagaki}".strip("　"),
            addressee_name=first.name,
            lead="住民基本台帳法の規定により、あなたの世帯の住民票を職権で次のとおり記載等しましたので通知します。",
            items=(
                Line("記載等の区分", notice.action),
                Line("根拠", notice.legal_basis),
                Line("理由", notice.grounds),
                Line("異動日", notice.change_date),
                Line("記載等の日", notice.committed_on),
            ),
            tables=(NoticeTable("記載等の内容", ("氏名", "項目", "記載等の前", "記載等の後"), rows),)
            if rows
            else (),
        ),
        issue_date=timezone.localdate(),
    )


def print_ex_officio_record(*, actor: Any, purpose: str, change_id: int) -> bytes:
    """The 職権記録書 of a committed 職権 change (standard 4.2.0.1-a, 住民基本台帳法施行令12条): the office's
    record of what was done, on which basis and facts, by whom; an internal document with no addressee.

    The registry's selector authorises (``resident:view``) and audits the read, naming every person.
    """
    sheet = ex_officio_record_sheet(actor=actor, purpose=purpose, change_id=change_id)
    notice = sheet.notice
    rows = tuple(
        row
        for person in notice.persons
        for row in (
            [(person.atena_number, person.name, item.label, item.before, item.after) for item in person.items]
            or [(person.atena_number, person.name, "", "", "")]
        )
    )
    lines = [
        Line("異動番号", str(notice.change_id)),
        Line("記載等の区分", notice.action),
        Line("根拠", notice.legal_basis),
        Line("事由", notice.grounds),
        Line("事実を確認した日", sheet.found_on),
        Line("確認した事実・資料", sheet.findings),
        *([Line("軽微な修正の区分", notice.minor_case)] if notice.minor_case else []),
        Line(
            "申出日（申出による処理）" if sheet.on_application else "戸籍届出・通知日",
            sheet.notified_on or "－",
        ),
        Line("異動日", notice.change_date),
        Line("入力者", f"{sheet.entered_by}（{sheet.entered_on}）"),
        Line("決裁者（本登録）", f"{sheet.decided_by}（{notice.committed_on}）"),
        Line("職権記載等通知書", "送付する" if notice.notice_required else "送付しない"),
    ]
    return render_notice(
        NoticeDocument(
            title="職権記録書",
            addressee_address="",
            addressee_name="",
            lead="住民基本台帳法施行令第12条の規定により職権で住民票の記載等をしたので、次のとおり記録する。",
            items=tuple(lines),
            tables=(
                NoticeTable(
                    "対象者と記載等の内容", ("宛名番号", "氏名", "項目", "記載等の前", "記載等の後"), rows
                ),
            ),
        ),
        issue_date=timezone.localdate(),
    )


NOTIFIER_NAME_MAX_LENGTH = 100
NOTIFIER_CAPACITY_MAX_LENGTH = 40


def _check_notifier(name: str, capacity: str) -> None:
    for field, label, value, limit in (
        ("notifier_name", "届出人の氏名", name, NOTIFIER_NAME_MAX_LENGTH),
        ("notifier_capacity", "届出人の資格", capacity, NOTIFIER_CAPACITY_MAX_LENGTH),
    ):
        if len(value) > limit:
            raise refusal(
                field,
                f"{label}が{limit}文字を超えています。",
                f"{label}を短く入力してください。",
                "certificates.too_long",
            )


def print_move_receipt_notice(
    *, actor: Any, purpose: str, change_id: int, notifier_name: str = "", notifier_capacity: str = ""
) -> bytes:
    """住民異動届受理通知 of a committed 転入, 転居, 国外転入等 or 出生 (4.1.0.3-a); printable any time.

    To the notifier at the address before the move (so a person moved without their knowledge learns of
    it), or for 出生 and 国外転入等 to the first mover at the new address. The notifier (氏名, 資格) is read
    from the paper 届書 at print time; blank means the first mover notified. Each mover is named in the
    audit entry of the print.
    """
    _authorize_change_print(actor, purpose, change_id)
    notifier_name, notifier_capacity = notifier_name.strip(), notifier_capacity.strip()
    _check_notifier(notifier_name, notifier_capacity)
    with transaction.atomic():
        receipt = certificate_sources.move_receipt(change_id)
        first_name = receipt.movers[0][1]
        if receipt.to_new_address:
            address, addressee = receipt.new_address, first_name
        else:
            if receipt.address_before in ("", "不明") or "未届" in receipt.address_before:
                raise refusal(
                    "change_id",
                    "異動前の住所が分からないため、受理通知の送付先がありません。",
                    "転入前住所を確認してください（届書の記載から職権で修正できます）。",
                    "certificates.no_address_before",
                )
            address, addressee = receipt.address_before, notifier_name or first_name
        notified = receipt.notification_date
        pdf = render_notice(
            NoticeDocument(
                title="住民異動届受理通知",
                addressee_address=address,
                addressee_name=addressee,
                lead="次の住民異動届を受理しましたので通知します。",
                items=(
                    Line("受理日（届出日）", to_wareki(notified).display() if notified else "－"),
                    Line("異動事由", receipt.change_reason),
                    Line("異動日", to_wareki(receipt.change_date).display()),
                    Line("届出人", f"{notifier_name or first_name}（{notifier_capacity or '本人'}）"),
                    Line("異動後の住所", receipt.new_address),
                ),
                tables=(NoticeTable("異動した方", ("氏名",), tuple((name,) for _, name in receipt.movers)),),
                remarks=("この届出に心当たりがない場合は、至急、市区町村の住民記録の窓口へご連絡ください。",),
            ),
            issue_date=timezone.localdate(),
        )
        # Every mover printed on the notice is named, so their access history finds the print.
        record_results(
            actor,
            "resident",
            [atena for atena, _ in receipt.movers],
            purpose,
            "change_id",
            action=AuditAction.CERTIFICATE_NOTICE_PRINT,
            reason=f"move_receipt; change {change_id}",
        )
    return pdf


def print_head_change_request(*, actor: Any, purpose: str, change_id: int) -> bytes:
    """The 世帯主変更依頼通知書 to the first remaining member of the household the change left headless."""
    _authorize_change_print(actor, purpose, change_id)
    with transaction.atomic():
        request = certificate_sources.head_change_request(change_id)
        pdf = render_notice(
            NoticeDocument(
                title="世帯主変更依頼通知書",
                addressee_address=request.address,
                addressee_name=_name(request.addressee),
                lead=(
                    f"{to_wareki(request.change_date).display()}の{request.change_reason}により、"
                    "あなたの世帯の世帯主が世帯を離れました。世帯主を定め、"
                    "世帯主変更の届出をしてください（住民基本台帳法第25条：14日以内）。"
                ),
                tables=(
                    NoticeTable(
                        "世帯に残る方",
                        ("氏名", "続柄（変更前）"),
                        tuple((_name(p), p.relationship) for p in request.remaining),
                    ),
                ),
                remarks=("届出がない場合は、職権で世帯主を記載することがあります。",),
            ),
            issue_date=timezone.localdate(),
        )
        _print_audit(actor, purpose, "change", str(change_id), "head_change_request")
    return pdf
