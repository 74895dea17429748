"""Card forms (standard 7.1.1.3-b): the 個人番号カード交付申請書 and the card-face printer's output.

- ``print_card_application``: the 交付申請書 (or, after a loss, the 再交付申請書) of one resident, filled
  in with the committed record, for the person to complete, sign and send (A4; docs/workflows/cards.md
  「交付申請書」 lists what is printed and what is assumed about J-LIS's layout).
- ``print_card_face``: what one committed change writes on a card in the holder's hand (券面の追記):
  個人番号カード, 住基カード, 在留カード, 特別永住者証明書, at the card's size with the size and position
  adjustments of the terminal or office (``set_card_face_setting``).

Both are prints of personal data: authorised with ``certificate:notice:print`` and audited as
``certificate:card_form:print`` naming the person, in the printing transaction; a refusal is audited in a
transaction of its own. Neither is a certificate: no 発行番号, no fee, no 交付履歴, no PAdES signature
(a card printer and a paper form carry none).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from jumin.accounts.authorization import authorize
from jumin.accounts.context import audit_context, current_terminal_id
from jumin.accounts.models import Terminal
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.certificates import rendering
from jumin.certificates.certificate_settings import card_face_seal
from jumin.certificates.certifiers import certifier_for
from jumin.certificates.documents import SEX_LABELS
from jumin.certificates.models import CardFacePrintSetting
from jumin.domain import recorded_dates
from jumin.domain.card_face import (
    CARD_HEIGHT_MM,
    CARD_WIDTH_MM,
    CardFaceKind,
    CardFaceLine,
    PrintAdjustment,
    card_face_texts,
    check_adjustment,
    layout_lines,
)
from jumin.domain.errors import DomainError, refusal
from jumin.domain.resident import ResidentKind, ResidentStatus
from jumin.domain.wareki import to_wareki
from jumin.registry import certificate_sources
from jumin.registry.card_face_sources import ADDRESS_ITEM, card_face_source
from jumin.registry.certificate_sources import SourcePerson

APPLICATION_TITLE = "個人番号カード交付申請書"
REAPPLICATION_TITLE = "個人番号カード再交付申請書"
REISSUE_REASONS = ("紛失", "焼失", "著しい損傷", "機能喪失", "その他（　　　　　　　　）")


def _authorize(actor: Any, purpose: str, atena_number: str) -> None:
    authorize(
        actor=actor,
        permission=Permission.CERTIFICATE_NOTICE_PRINT,
        action=AuditAction.CERTIFICATE_CARD_FORM_PRINT,
        purpose=purpose,
        subject_type="resident",
        subject_id=atena_number,
    )


def _audited_print(
    actor: Any, purpose: str, atena_number: str, reason: str, make: Callable[[], bytes]
) -> bytes:
    """``make`` the PDF and audit the print in one transaction; a refusal is audited on its own."""

    def audit(**outcome: Any) -> None:
        record_event(
            actor=actor,
            action=AuditAction.CERTIFICATE_CARD_FORM_PRINT,
            subject_type="resident",
            subject_id=atena_number,
            purpose=purpose,
            reason=reason,
            **outcome,
            **audit_context(),
        )

    try:
        with transaction.atomic():
            pdf = make()
            audit()
            return pdf
    except DomainError as error:
        with transaction.atomic():
            audit(outcome=Outcome.REFUSED, outcome_reason=error.code)
        raise


def _resident(atena_number: str) -> SourcePerson:
    """The person's committed record; refused for a 除票 or while a change of them waits for review."""
    person = certificate_sources.people([atena_number])[0]
    if person.status == ResidentStatus.REMOVED:
        raise refusal(
            "atena_number",
            "住民票が消除されている方の様式は作成できません。",
            "宛名番号を確認してください（転出先の市区町村で作成します）。",
            "certificates.card_form_not_resident",
        )
    change_id = certificate_sources.open_draft_of([atena_number])
    if change_id is not None:
        raise refusal(
            "atena_number",
            f"本登録を待つ異動（仮登録、異動番号 {change_id}）があるため、様式を作成できません。",
            "その異動が本登録または破棄されるのを待ってから作成してください。",
            "certificates.pending_draft",
        )
    return person


def _html(template: str, context: dict[str, Any], registered: list[str]) -> bytes:
    if rendering.unregistered_characters(registered):
        raise refusal(
            "name",
            "登録されていない外字が含まれているため、正しい字形で印字できません。",
            "外字を登録してから作成してください（文字の担当へ連絡）。",
            "certificates.unregistered_gaiji",
        )
    html = render_to_string(template, {**context, **rendering.font_faces(registered)})
    pdf: bytes = HTML(string=html, base_url=str(Path(__file__).parent)).write_pdf(
        font_config=rendering.shared_font_config()
    )
    return pdf


@dataclass(frozen=True)
class ApplicationForm:
    """What the 交付申請書 prints of the person (registered values in IPAmj明朝)."""

    title: str
    reapplication: bool
    name: str
    name_kana: str
    birth_date: str
    sex: str
    address: str
    former_surname: str
    alias: str
    municipality: str
    printed_on: str


def application_form(
    person: SourcePerson, *, reapplication: bool, municipality: str, today: date
) -> ApplicationForm:
    """What the form prints of the person's committed record, as of ``today``."""
    foreign = person.kind == ResidentKind.FOREIGN
    latin = str(person.foreign.get("alphabet_name", "")) if foreign else ""
    name = f"{person.surname}　{person.given_name}".strip("　")
    return ApplicationForm(
        title=REAPPLICATION_TITLE if reapplication else APPLICATION_TITLE,
        reapplication=reapplication,
        name=name or latin,
        name_kana=f"{person.surname_kana}　{person.given_name_kana}".strip("　"),
        # A foreign resident's birth date is in 西暦 (algorithms.md B.2 rule 4), as on certificates.
        birth_date=recorded_dates.display(person.birth_date, gregorian=foreign),
        sex=SEX_LABELS.get(person.sex, ""),
        address=f"{person.address}　{person.katagaki}".strip("　"),
        former_surname=person.former_surname,
        alias=person.alias,
        municipality=municipality,
        printed_on=to_wareki(today).display(),
    )


def application_pdf(form: ApplicationForm) -> bytes:
    """The 交付申請書's PDF (A4, unsigned); refused when a value needs an unregistered 外字."""
    registered = [form.name, form.name_kana, form.address, form.former_surname, form.alias]
    return _html(
        "certificates/pdf/card_application.html",
        {"form": form, "reissue_reasons": REISSUE_REASONS},
        registered,
    )


def print_card_application(
    *, actor: Any, purpose: str, atena_number: str, reapplication: bool = False
) -> bytes:
    """The 個人番号カード交付申請書 (``reapplication``: 再交付申請書) of one resident, as a PDF.

    Refused for a 除票, a person with an open draft, or a value with an unregistered 外字.
    """
    atena_number = atena_number.strip()
    _authorize(actor, purpose, atena_number)

    def make() -> bytes:
        today = timezone.localdate()
        person = _resident(atena_number)
        form = application_form(
            person,
            reapplication=reapplication,
            municipality=certifier_for(today).municipality_name,
            today=today,
        )
        return application_pdf(form)

    return _audited_print(
        actor, purpose, atena_number, "reapplication" if reapplication else "application", make
    )


def adjustment_in_force(terminal_id: str | None = None) -> tuple[PrintAdjustment, str]:
    """The card-face adjustment of this terminal (default: the request's), its office's, or the default,
    with which of the three it is (shown on the screen)."""
    terminal_id = current_terminal_id() if terminal_id is None else terminal_id
    office = (
        Terminal.objects.filter(terminal_id=terminal_id).values_list("input_place_code", flat=True).first()
    )
    candidates = [(CardFacePrintSetting.Scope.TERMINAL, terminal_id, "端末の設定")]
    if office:
        candidates.append((CardFacePrintSetting.Scope.OFFICE, office, "庁舎（入力場所）の設定"))
    for scope, key, label in candidates:
        row = CardFacePrintSetting.objects.filter(scope=scope, key=key).first() if key else None
        if row is not None:
            return _adjustment(row), label
    return PrintAdjustment(), "標準の設定"


def _adjustment(row: CardFacePrintSetting) -> PrintAdjustment:
    return PrintAdjustment(
        font_size_pt=row.font_size_pt,
        line_pitch_mm=row.line_pitch_mm,
        offset_top_mm=row.offset_top_mm,
        offset_left_mm=row.offset_left_mm,
        seal_size_mm=row.seal_size_mm,
    )


def set_card_face_setting(
    *, actor: Any, purpose: str, scope: str, key: str, adjustment: PrintAdjustment
) -> None:
    """Record the card-face adjustment of one terminal (by 端末ID) or office (by 入力場所コード).

    Needs ``masters:edit``; the old and new values are in the audit entry. Refused, nothing changed, for
    an unknown terminal or office code or a value out of range.
    """
    authorize(
        actor=actor,
        permission=Permission.MASTERS_EDIT,
        action=AuditAction.MASTERS_RECORD_CREATE,
        purpose=purpose,
        subject_type="card_face_print_setting",
        subject_id=f"{scope}:{key}",
    )
    key = key.strip()
    check_adjustment(adjustment)
    scope_value = CardFacePrintSetting.Scope(scope)
    field = "terminal_id" if scope_value is CardFacePrintSetting.Scope.TERMINAL else "input_place_code"
    if not key or not Terminal.objects.filter(**{field: key}).exists():
        raise refusal(
            "key",
            "該当する端末ID・入力場所コードがありません。",
            "登録済みの端末ID（端末の設定）または端末に設定された入力場所コード（庁舎の設定）を入力してください。",
            "certificates.card_face_setting_key",
        )
    values = {name: Decimal(value) for name, value in asdict(adjustment).items()}
    with transaction.atomic():
        before = CardFacePrintSetting.objects.select_for_update().filter(scope=scope_value, key=key).first()
        old = asdict(_adjustment(before)) if before else {}
        CardFacePrintSetting.objects.update_or_create(
            scope=scope_value, key=key, defaults={**values, "updated_by": actor}
        )
        record_event(
            actor=actor,
            action=AuditAction.MASTERS_RECORD_CREATE,
            subject_type="card_face_print_setting",
            subject_id=f"{scope_value.value}:{key}",
            purpose=purpose,
            reason=f"before={_settings_text(old)}; after={_settings_text(values)}"[:200],
            **audit_context(),
        )


def _settings_text(values: dict[str, Any]) -> str:
    return ",".join(f"{name}={value}" for name, value in values.items()) or "default"


def _check_card(kind: CardFaceKind, source: Any) -> None:
    if not kind.residence_only:
        return
    number_field = (
        "residence_card_number" if kind is CardFaceKind.RESIDENCE else "special_permanent_resident_number"
    )
    if not source.is_foreign or not source.foreign.get(number_field):
        raise refusal(
            "card_kind",
            f"この方の住民票に{kind.label}の番号が記載されていません。",
            "カードの種類を確認してください。",
            "certificates.card_face_no_such_card",
        )
    if ADDRESS_ITEM not in dict(source.items):
        raise refusal(
            "change_id",
            f"この異動では住居地が変わっていないため、{kind.label}の住居地記載欄には記載しません。",
            "異動番号を確認してください（氏名等の変更は出入国在留管理庁への届出です）。",
            "certificates.card_face_no_address_change",
        )


def card_face_pdf(
    kind: CardFaceKind, lines: list[CardFaceLine], adjustment: PrintAdjustment, *, seal_png: bytes
) -> bytes:
    """The card-face printer's page: the card's size, each line at its place, the seal ending the last."""
    return _html(
        "certificates/pdf/card_face.html",
        {
            "kind": kind,
            "lines": lines,
            "adjustment": adjustment,
            "width_mm": CARD_WIDTH_MM,
            "height_mm": CARD_HEIGHT_MM,
            "seal_data": base64.b64encode(seal_png).decode("ascii"),
        },
        [line.text for line in lines],
    )


def print_card_face(
    *,
    actor: Any,
    purpose: str,
    atena_number: str,
    change_id: int,
    card_kind: CardFaceKind,
    start_line: int = 1,
) -> bytes:
    """The card-face printer's page (the card's size) for what the committed change wrote on this
    person's card: 届出日 and 異動事由, the new values, the seal of the certifier of the day.

    ``start_line``: the first free line of the card's 追記欄 (earlier 追記 use the lines above).
    """
    atena_number = atena_number.strip()
    _authorize(actor, purpose, atena_number)

    def make() -> bytes:
        source = card_face_source(change_id, atena_number)
        _check_card(card_kind, source)
        today = timezone.localdate()
        adjustment, _ = adjustment_in_force()
        texts = card_face_texts(
            card_kind,
            reason=source.change_reason,
            notified_on=source.notification_date or source.change_date,
            items=source.items,
        )
        lines = layout_lines(card_kind, texts, start_line=start_line, adjustment=adjustment)
        return card_face_pdf(card_kind, lines, adjustment, seal_png=card_face_seal(certifier_for(today)))

    return _audited_print(
        actor, purpose, atena_number, f"card_face:{card_kind.value}; change={change_id}", make
    )


__all__ = [
    "ApplicationForm",
    "CardFaceLine",
    "adjustment_in_force",
    "application_form",
    "application_pdf",
    "card_face_pdf",
    "print_card_application",
    "print_card_face",
    "set_card_face_setting",
]
