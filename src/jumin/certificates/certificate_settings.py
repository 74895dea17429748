"""The municipality's certificate settings, kept as history (standard 5.1-a, 5.1-b, 5.6-b).

Three settings, each appended (a change is a new row; the latest row of its key is in force, the
earlier rows say who set what when) and audited with the old and new values in the same transaction:

* 記載事項の既定値 per kind (``CertificateOptionDefault``): read by the issue screen and the API, which
  pre-fill a request with them; whatever the request asks overrides them for that issue.
* 証明書専用の公印 and 券面記載用の公印 (``OfficialSeal``): printed instead of the certifier's own seal on
  certificates and on the card's 追記欄 respectively, while registered.
* 定型文言 per kind (``CertificatePhraseSetting``): printed beside the seal.

Changing them needs ``certificate:settings:manage``; none of them holds personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from jumin.accounts.authorization import authorize
from jumin.accounts.context import audit_context
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.certificates import rendering
from jumin.certificates.models import (
    CertificateOptionDefault,
    CertificatePhraseSetting,
    Certifier,
    OfficialSeal,
)
from jumin.certificates.seals import check_seal
from jumin.domain.certificate_settings import (
    BUILTIN_DEFAULTS,
    DEFAULT_PHRASES,
    DEFAULTS_KINDS,
    OptionDefaults,
    SealKind,
    check_defaults_kind,
    check_individual_number_default,
    check_phrases,
    check_seal_color,
    defaults_from_record,
)
from jumin.domain.certificates import CertificateKind
from jumin.domain.errors import refusal

#: The label the settings screen passes as purpose (an administrative permission; no resident data).
SETTINGS_PURPOSE = "certificate_settings"


def option_defaults(kind: CertificateKind) -> OptionDefaults:
    """The defaults in force for ``kind``: the latest setting, else the built-in ones (always those for
    a kind without configurable defaults, e.g. the 転出証明書, whose items are fixed)."""
    if kind not in DEFAULTS_KINDS:
        return BUILTIN_DEFAULTS
    row = CertificateOptionDefault.objects.filter(kind=kind.value).order_by("-id").first()
    return BUILTIN_DEFAULTS if row is None else defaults_from_record(row.values)


def phrases_for(kind: CertificateKind) -> tuple[str, ...]:
    """The fixed phrases printed beside the seal on ``kind``: the latest setting, else the default
    (「この印は黒色です。」)."""
    row = CertificatePhraseSetting.objects.filter(kind=kind.value).order_by("-id").first()
    return DEFAULT_PHRASES if row is None else tuple(str(p) for p in row.phrases)


def seal_in_force(kind: SealKind) -> OfficialSeal | None:
    """The registered seal of ``kind`` in force, or None (never registered, or withdrawn)."""
    row = OfficialSeal.objects.filter(kind=kind.value).order_by("-id").first()
    return None if row is None or row.withdrawn else row


def certificate_signer(certifier: Certifier, kind: CertificateKind) -> rendering.Signer:
    """The certifier as printed on ``kind``: the certificate-only seal when one is registered, else the
    certifier's own, and the kind's fixed phrases (5.6-b)."""
    seal = seal_in_force(SealKind.CERTIFICATE_ONLY)
    png, size = (seal.png, seal.size_mm) if seal else (certifier.seal_png, certifier.seal_size_mm)
    return rendering.Signer(
        title=certifier.printed_title,
        name=certifier.name,
        seal_png=bytes(png),
        seal_size_mm=float(size),
        phrases=phrases_for(kind),
    )


def card_face_seal(certifier: Certifier) -> bytes:
    """The seal on the card's 追記欄: the card-face seal when one is registered (black or red), else the
    certifier's own (5.6-b)."""
    seal = seal_in_force(SealKind.CARD_FACE)
    return bytes(seal.png if seal else certifier.seal_png)


@dataclass(frozen=True)
class SettingsOverview:
    """The settings in force and every row of their history, newest first (screen and API)."""

    defaults_in_force: dict[CertificateKind, OptionDefaults]
    phrases_in_force: dict[CertificateKind, tuple[str, ...]]
    seals_in_force: dict[SealKind, OfficialSeal | None]
    option_defaults: list[CertificateOptionDefault]
    seals: list[OfficialSeal]
    phrases: list[CertificatePhraseSetting]


def view_settings(*, actor: Any, purpose: str = SETTINGS_PURPOSE) -> SettingsOverview:
    """The settings and their history for a holder of ``certificate:settings:manage`` (no personal
    data; the read is audited all the same, like every settings screen)."""
    authorize(
        actor=actor,
        permission=Permission.CERTIFICATE_SETTINGS_MANAGE,
        action=AuditAction.CERTIFICATE_SETTINGS_VIEW,
        purpose=purpose,
        subject_type="certificate_settings",
    )
    record_event(
        actor=actor,
        action=AuditAction.CERTIFICATE_SETTINGS_VIEW,
        subject_type="certificate_settings",
        purpose=purpose,
        **audit_context(),
    )
    return SettingsOverview(
        defaults_in_force={kind: option_defaults(kind) for kind in DEFAULTS_KINDS},
        phrases_in_force={kind: phrases_for(kind) for kind in CertificateKind},
        seals_in_force={
            kind: seal_in_force(kind) for kind in (SealKind.CERTIFICATE_ONLY, SealKind.CARD_FACE)
        },
        option_defaults=list(CertificateOptionDefault.objects.order_by("-id")),
        seals=list(OfficialSeal.objects.defer("png").order_by("-id")),
        phrases=list(CertificatePhraseSetting.objects.order_by("-id")),
    )


def _authorize(actor: Any, purpose: str, subject: str) -> None:
    authorize(
        actor=actor,
        permission=Permission.CERTIFICATE_SETTINGS_MANAGE,
        action=AuditAction.CERTIFICATE_SETTINGS_CHANGE,
        purpose=purpose,
        subject_type="certificate_settings",
        subject_id=subject,
    )


def _setter(actor: Any, reason: str) -> dict[str, Any]:
    name = getattr(actor, "display_name", "") or actor.get_username()
    return {"set_by": actor, "set_by_name": name[:100], "reason": reason.strip()[:300]}


def _audit(actor: Any, purpose: str, subject: str, before: str, after: str) -> None:
    # The values are settings, not personal data: the entry names them (C-49).
    record_event(
        actor=actor,
        action=AuditAction.CERTIFICATE_SETTINGS_CHANGE,
        subject_type="certificate_settings",
        subject_id=subject,
        purpose=purpose,
        reason=f"before={before}; after={after}"[:400],
        **audit_context(),
    )


def _text(defaults: OptionDefaults) -> str:
    record = defaults.as_record()
    flags = ",".join(name for name, value in record.items() if value is True)
    return f"{record['layout']}/{flags}/foreign={'+'.join(record['foreign_items'])}"


def set_option_defaults(
    *,
    actor: Any,
    kind: str,
    defaults: OptionDefaults,
    individual_number_confirmed: bool = False,
    reason: str = "",
    purpose: str = SETTINGS_PURPOSE,
) -> OptionDefaults:
    """Record the defaults of one kind (5.1-a/b); the earlier setting stays in the history.

    Refused, nothing changed: a kind other than the four of 5.1-a, or a default that prints the
    個人番号 without ``individual_number_confirmed``.
    """
    subject = f"option_defaults:{kind}"
    _authorize(actor, purpose, subject)
    certificate_kind = check_defaults_kind(kind)
    check_individual_number_default(defaults, confirmed=individual_number_confirmed)
    with transaction.atomic():
        before = option_defaults(certificate_kind)
        CertificateOptionDefault.objects.create(
            kind=certificate_kind.value, values=defaults.as_record(), **_setter(actor, reason)
        )
        _audit(actor, purpose, subject, _text(before), _text(defaults))
    return defaults


def set_phrases(
    *, actor: Any, kind: str, lines: list[str], reason: str = "", purpose: str = SETTINGS_PURPOSE
) -> tuple[str, ...]:
    """Record the fixed phrases of one certificate kind (5.6-b); the earlier setting stays in the history."""
    subject = f"phrases:{kind}"
    _authorize(actor, purpose, subject)
    if kind not in {k.value for k in CertificateKind}:
        raise refusal(
            "kind",
            "証明書の種類が正しくありません。",
            "一覧から選んでください。",
            "certificates.phrases_kind",
        )
    phrases = check_phrases(lines)
    with transaction.atomic():
        before = phrases_for(CertificateKind(kind))
        CertificatePhraseSetting.objects.create(kind=kind, phrases=list(phrases), **_setter(actor, reason))
        _audit(actor, purpose, subject, "／".join(before), "／".join(phrases))
    return phrases


def _seal_kind(kind: str) -> SealKind:
    if kind not in (SealKind.CERTIFICATE_ONLY.value, SealKind.CARD_FACE.value):
        raise refusal(
            "kind",
            "この画面で登録できる公印の種類ではありません。",
            "証明書専用の公印か券面記載用の公印を選んでください（市区町村長・職務代理者の公印は認証者の登録で）。",
            "certificates.seal_kind",
        )
    return SealKind(kind)


def _size(value: str | Decimal) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise refusal(
            "seal_size_mm",
            "電子公印の大きさが数値ではありません。",
            "25mm以下の大きさを数値で入力してください。",
            "certificates.seal_too_large",
        ) from None


def register_seal(
    *,
    actor: Any,
    kind: str,
    color: str,
    png: bytes,
    size_mm: str | Decimal,
    reason: str = "",
    purpose: str = SETTINGS_PURPOSE,
) -> int:
    """Register a certificate-only or card-face seal (5.6-b): square, at most 25 mm, black (card-face:
    black or red). The earlier one stays in the history. Returns the row's id."""
    subject = f"seal:{kind}"
    _authorize(actor, purpose, subject)
    seal_kind = _seal_kind(kind)
    seal_color = check_seal_color(seal_kind, color)
    size = _size(size_mm)
    check_seal(png, size, color=seal_color.value)
    with transaction.atomic():
        before = seal_in_force(seal_kind)
        row = OfficialSeal.objects.create(
            kind=seal_kind.value, color=seal_color.value, png=png, size_mm=size, **_setter(actor, reason)
        )
        old = f"{before.color}/{before.size_mm}mm" if before else "-"
        _audit(actor, purpose, subject, old, f"{seal_color.value}/{size}mm")
    return int(row.pk)


def withdraw_seal(*, actor: Any, kind: str, reason: str = "", purpose: str = SETTINGS_PURPOSE) -> None:
    """Stop using a certificate-only or card-face seal: the certifier's own seal prints again."""
    subject = f"seal:{kind}"
    _authorize(actor, purpose, subject)
    seal_kind = _seal_kind(kind)
    with transaction.atomic():
        before = seal_in_force(seal_kind)
        if before is None:
            raise refusal(
                "kind",
                "この種類の公印は登録されていません。",
                "登録済みの公印の種類を選んでください。",
                "certificates.seal_not_registered",
            )
        OfficialSeal.objects.create(kind=seal_kind.value, withdrawn=True, **_setter(actor, reason))
        _audit(actor, purpose, subject, f"{before.color}/{before.size_mm}mm", "withdrawn")
