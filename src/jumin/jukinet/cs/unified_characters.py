"""The CS side of 住基ネット統一文字 (standard 7.1.1.1-e; docs/jukinet.md "住基ネット統一文字").

``convert`` is what every CS telegram builder calls on a name or an address: the text in 統一文字
(``domain.unified_characters``), the registered 外字 included; a DomainError when a character has
no representation, so the caller holds the telegram (CS未連携) instead of sending a changed name.
``certificate_in_unified_characters`` and ``move_in_notice_in_unified_characters`` do the same for a
転出証明書情報 and a 転入通知 about to leave; ``received`` converts a received text the same way but keeps
a character this CS cannot represent (a 外字 registered at the sender only) and says why.
``register`` is the remedy for a 外字 the clerk has identified in the J-LIS table: audited, insert-only.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError, refusal
from jumin.domain.glyph_entry import parse_code_point_entry
from jumin.domain.unified_characters import in_target_set, received_refusal, to_unified, to_unified_known
from jumin.jukinet.common.move_out_certificate import MoveInNoticeItems, MoveOutCertificate
from jumin.jukinet.cs import access
from jumin.jukinet.cs.models_characters import UnifiedCharacterRegistration

SUBJECT_TYPE = "cs_unified_character"


def registered_characters() -> frozenset[str]:
    """The 外字 registered as 住基ネット統一文字 at this CS."""
    return frozenset(UnifiedCharacterRegistration.objects.values_list("character", flat=True))


def convert(text: str, *, field: str) -> str:
    """``text`` in 住基ネット統一文字, or a DomainError naming ``field`` (the registrations are read
    only when the text needs them, so the usual all-standard name costs no query)."""
    try:
        return to_unified(text, field=field)
    except DomainError:
        return to_unified(text, field=field, registered=registered_characters())


#: The texts of a 転出証明書情報 written with a person's or a place's characters (the 外国人住民's 通称 is
#: in ``foreign``); codes, dates and the 続柄 word are not names.
CERTIFICATE_TEXT_FIELDS = ("name", "address", "household_head", "honseki", "hittousha", "destination")


def certificate_in_unified_characters(certificate: MoveOutCertificate) -> MoveOutCertificate:
    """The certificate's names and addresses in 統一文字 (std 7.1.1.1-e); DomainError if one has none."""
    texts = {field: convert(getattr(certificate, field), field=field) for field in CERTIFICATE_TEXT_FIELDS}
    foreign = certificate.foreign
    if foreign is not None and foreign.get("alias"):
        foreign = {**foreign, "alias": convert(foreign["alias"], field="foreign.alias")}
    return replace(certificate, **texts, foreign=foreign)


def move_in_notice_in_unified_characters(items: MoveInNoticeItems) -> MoveInNoticeItems:
    """The 転入通知's 転入先の住所 in 統一文字 (its only text); DomainError if it has none."""
    return replace(items, new_address=convert(items.new_address, field="new_address"))


def received(text: str, *, field: str) -> tuple[str, DomainError | None]:
    """A received text in this CS's 統一文字: the same characters converted, and why not all could be
    (a 外字 this CS has not registered: kept as received, for the clerk to 同定 or register)."""
    converted, missing = to_unified_known(text)
    if missing:
        converted, missing = to_unified_known(text, registered_characters())
    return converted, (received_refusal(field, missing) if missing else None)


def received_certificate(certificate: MoveOutCertificate) -> tuple[MoveOutCertificate, DomainError | None]:
    """A received 転出証明書情報 with its texts in this CS's 統一文字, and the first text that cannot be."""
    texts: dict[str, Any] = {}
    first_error: DomainError | None = None
    for field in CERTIFICATE_TEXT_FIELDS:
        texts[field], error = received(getattr(certificate, field), field=field)
        first_error = first_error or error
    foreign = certificate.foreign
    if foreign is not None and foreign.get("alias"):
        alias, error = received(foreign["alias"], field="foreign.alias")
        foreign, first_error = {**foreign, "alias": alias}, first_error or error
    return replace(certificate, **texts, foreign=foreign), first_error


def register(*, actor: Any, purpose: str, entry: str, unified_code: str) -> UnifiedCharacterRegistration:
    """Register one 外字 (entered as code points, e.g. 「U+20BB7」) as the 統一文字 ``unified_code``."""
    access.require(
        actor=actor,
        permission=Permission.MASTERS_EDIT,
        action=AuditAction.CS_UNIFIED_CHARACTER_REGISTER,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
    )
    character = parse_code_point_entry(entry)
    code = unified_code.strip()
    if not code or len(code) > 16 or not code.isascii():
        raise refusal(
            "unified_code",
            "統一文字コードが未入力か、形式が正しくありません。",
            "統一文字表で確認したコードを半角16文字以内で入力してください。",
            "jukinet.cs.unified_code",
        )
    if in_target_set(character):
        raise refusal(
            "entry",
            "この文字は統一文字（JIS X 0213）に含まれるため、登録は不要です。",
            "登録せずにそのまま送信できます。",
            "jukinet.cs.unified_character_standard",
        )
    with transaction.atomic():
        if UnifiedCharacterRegistration.objects.filter(character=character).exists():
            raise refusal(
                "entry",
                "この文字はすでに登録されています。",
                "登録済みの外字一覧を確認してください。",
                "jukinet.cs.unified_character_registered",
            )
        row = UnifiedCharacterRegistration.objects.create(
            character=character,
            unified_code=code,
            registered_by=str(getattr(actor, "username", "")),
            registered_at=timezone.now(),
        )
        record_event(
            actor=actor,
            action=AuditAction.CS_UNIFIED_CHARACTER_REGISTER,
            subject_type=SUBJECT_TYPE,
            subject_id=str(row.pk),
            purpose=purpose,
        )
    return row
