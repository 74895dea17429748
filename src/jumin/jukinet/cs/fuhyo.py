"""附票本人確認情報 updates at the 市町村CS (system.md F21a step 1; docs/jukinet.md Flow 9).

The 本籍地's 戸籍附票 system (not the resident registry: Jumin keeps no 戸籍 or 附票) hands each 附票
記載/修正/消除 to its CS as the 18 items of records.md §3. ``accept_fuhyo_updates`` checks them as the
prefecture will (``fuhyo_from_payload``: exactly the defined items, so never a 本籍, 筆頭者 or 個人番号),
keeps them in the CS 附票 file (insert-only ``CsFuhyoVersion`` + current ``CsFuhyo``) and enqueues
``jukinet.fuhyo_update`` to the prefecture in the same transaction, one subject per person
(``cs-fh<pk>``) so the messaging sequence number orders that person's updates. A batch is all or
nothing: one bad update refuses the batch, every bad one is listed, and nothing is stored or sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.catalogue import FUHYO_UPDATE
from jumin.jukinet.common.fuhyo import (
    FUHYO_FIELDS,
    FuhyoNotice,
    FuhyoNoticeType,
    FuhyoState,
    former_code_to_rekey,
    fuhyo_from_payload,
)
from jumin.jukinet.cs import access, unified_characters
from jumin.jukinet.cs.models import CsFuhyo, CsFuhyoVersion
from jumin.jukinet.cs.services import RETENTION_YEARS, local_municipality_code, prefecture_of
from jumin.messaging.services import enqueue

SUBJECT_TYPE = "cs_fuhyo"
MAX_BATCH = 1000
_CODE = "jukinet.cs.fuhyo"


@dataclass(frozen=True)
class FuhyoRowError:
    """Why one update of a batch was refused (``row`` counts from 1 in the order given)."""

    row: int
    error: DomainError


class FuhyoBatchRefused(DomainError):  # noqa: N818 (a refusal, as DomainError)
    """A batch with at least one bad update: nothing was stored or sent; ``errors`` lists every bad one."""

    def __init__(self, errors: Sequence[FuhyoRowError]) -> None:
        first = errors[0]
        super().__init__(
            field=f"updates[{first.row}].{first.error.field}",
            reason=f"{first.row}件目: {first.error.reason}（誤りのある更新 {len(errors)}件）",
            remedy=f"{first.error.remedy} 誤りを直して、全件を送り直してください（1件も送信していません）。",
            code=first.error.code,
        )
        self.errors = list(errors)


@dataclass(frozen=True)
class FuhyoAccepted:
    """What one batch did: updates stored and messages queued for the prefecture (equal counts)."""

    accepted: int
    message_ids: list[str]


def _retain_until(day: date) -> date:
    try:
        return day.replace(year=day.year + RETENTION_YEARS)
    except ValueError:  # 29 February
        return day.replace(year=day.year + RETENTION_YEARS, day=28)


def _bad(code: str, field: str, reason: str, remedy: str) -> DomainError:
    return refusal(field, reason, remedy, f"{_CODE}_{code}")


def check_fuhyo_here(notice: FuhyoNotice, current: CsFuhyo | None) -> None:
    """This CS sends only the 附票 its municipality keeps, and only an update the prefecture can apply."""
    if notice.fuhyo_municipality_code != local_municipality_code():
        raise _bad(
            "municipality_mismatch",
            "fuhyo_municipality_code",
            "附票管理市町村コードがこの市町村と一致しません。",
            "この市町村が本籍地として管理する附票だけを送ってください。",
        )
    kind = FuhyoNoticeType(notice.notice_type)
    if current is None and kind is not FuhyoNoticeType.NEW:
        raise _bad(
            "unknown_person",
            "notice_type",
            "附票ファイルに記録のない者に対する修正・消除です。",
            "先に通知区分「new」（記載）の更新を送ってください。",
        )
    if current is not None and kind is FuhyoNoticeType.DELETE and current.state == FuhyoState.DELETED:
        raise _bad(
            "already_deleted",
            "notice_type",
            "既に消除された者に対する消除です。",
            "通知区分を確認してください。",
        )


def _check_item_names(payload: dict[str, Any]) -> None:
    """Name the first unexpected or missing item (the shared check only says the set differs)."""
    extra = sorted(set(payload) - set(FUHYO_FIELDS))
    if extra:
        raise _bad(
            "undefined_item",
            extra[0],
            "附票本人確認情報にない項目です（本籍・筆頭者・個人番号は送れません）。",
            "附票本人確認情報の18項目と操作者ID・操作端末IDだけを送ってください。",
        )
    missing = [name for name in FUHYO_FIELDS if name not in payload]
    if missing:
        raise _bad("missing_item", missing[0], "必要な項目がありません。", "この項目を加えて送ってください。")


def _checked(payloads: Sequence[Any]) -> tuple[list[tuple[int, FuhyoNotice]], list[FuhyoRowError]]:
    """The well-formed updates with their row numbers, and the malformed ones' errors."""
    notices: list[tuple[int, FuhyoNotice]] = []
    errors: list[FuhyoRowError] = []
    for row, payload in enumerate(payloads, start=1):
        try:
            if not isinstance(payload, dict):
                raise _bad(
                    "not_object", "update", "更新の形式が不正です。", "項目名と値の組で送ってください。"
                )
            _check_item_names(payload)
            notices.append((row, _in_unified_characters(fuhyo_from_payload(payload))))
        except DomainError as error:
            errors.append(FuhyoRowError(row, error))
    return notices, errors


def _in_unified_characters(notice: FuhyoNotice) -> FuhyoNotice:
    """The update with its names and addresses in 住基ネット統一文字; a DomainError (the row is refused,
    as every bad row) when a character has none (std 7.1.1.1-e)."""
    return replace(
        notice,
        name=unified_characters.convert(notice.name, field="name"),
        address=unified_characters.convert(notice.address, field="address"),
        last_address=unified_characters.convert(notice.last_address, field="last_address"),
    )


def _store(notice: FuhyoNotice, current: CsFuhyo | None, now: Any) -> CsFuhyo:
    version = CsFuhyoVersion.objects.create(
        resident_code=notice.resident_code,
        notice_type=notice.notice_type,
        items=notice.as_payload(),
        message_id="",
        retain_until=_retain_until(timezone.localdate(now)),
        created_at=now,
    )
    if current is None:
        current = CsFuhyo(resident_code=notice.resident_code)
    current.current = version
    current.state = notice.state
    current.fuhyo_municipality_code = notice.fuhyo_municipality_code
    current.updated_at = now
    current.save()
    return current


def _apply(notices: Sequence[tuple[int, FuhyoNotice]], actor: Any) -> tuple[list[str], list[FuhyoRowError]]:
    """Store and enqueue in order (caller's transaction, rolled back by the caller on any error)."""
    now = timezone.now()
    message_ids: list[str] = []
    errors: list[FuhyoRowError] = []
    codes = {notice.resident_code for _, notice in notices}
    codes |= {former_code_to_rekey(notice) for _, notice in notices} - {""}
    rows = {
        row.resident_code: row
        for row in CsFuhyo.objects.select_for_update().filter(resident_code__in=codes).order_by("pk")
    }
    for position, notice in notices:
        current = rows.get(notice.resident_code)
        former = former_code_to_rekey(notice)
        if current is None and former in rows:
            # 住民票コードの変更: the person's 附票 moves to the new code (its versions keep theirs).
            current = rows.pop(former)
            current.resident_code = notice.resident_code
        try:
            check_fuhyo_here(notice, current)
        except DomainError as error:
            errors.append(FuhyoRowError(position, error))
            continue
        # A later update of the same person in this batch is checked against this one.
        current = rows[notice.resident_code] = _store(notice, current, now)
        message = enqueue(
            message_type=FUHYO_UPDATE,
            receiver=prefecture_of(notice.fuhyo_municipality_code),
            subject=current.subject_key,
            payload=notice.as_payload(),
            actor=actor,
        )
        current.current.message_id = str(message.message_id)
        current.current.save(update_fields=["message_id"])
        message_ids.append(str(message.message_id))
    return message_ids, errors


def accept_fuhyo_updates(*, actor: Any, purpose: str, payloads: Sequence[Any]) -> FuhyoAccepted:
    """Take 附票本人確認情報 updates from the 戸籍附票 system and send each to the prefecture.

    ``payloads`` are ``jukinet.fuhyo_update`` payloads (the 18 items + operator_id, terminal_id) in
    the order they happened. Needs ``jukinet:cs:fuhyo`` (audited refusal otherwise). All or nothing:
    any bad update raises ``FuhyoBatchRefused`` (every bad row listed) and nothing is stored, sent or
    audited as done; the refusal is audited. A prefecture that is not a configured peer refuses the
    batch too (``messaging.unknown_receiver``): the 附票 system keeps it and sends it again.
    """
    access.require(
        actor=actor,
        permission=Permission.CS_FUHYO,
        action=AuditAction.CS_FUHYO_UPDATE,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
    )
    try:
        if not payloads or len(payloads) > MAX_BATCH:
            raise _bad(
                "batch_size",
                "updates",
                "更新の件数が0件か多すぎます。",
                f"1件以上{MAX_BATCH}件以内で送ってください。",
            )
        notices, malformed = _checked(payloads)
        with transaction.atomic():
            message_ids, refused = _apply(notices, actor)
            if malformed or refused:
                # Raising inside the atomic block undoes every stored row and queued message.
                raise FuhyoBatchRefused(sorted([*malformed, *refused], key=lambda e: e.row))
            record_event(
                actor=actor,
                action=AuditAction.CS_FUHYO_UPDATE,
                subject_type=SUBJECT_TYPE,
                purpose=purpose,
                reason=f"附票更新 {len(message_ids)}件を都道府県サーバへ送信",
                result_count=len(message_ids),
            )
    except DomainError as error:
        _audit_refusal(actor, purpose, error)
        raise
    return FuhyoAccepted(accepted=len(message_ids), message_ids=message_ids)


def _audit_refusal(actor: Any, purpose: str, error: DomainError) -> None:
    """The refused batch, in its own entry (the batch's transaction was rolled back)."""
    record_event(
        actor=actor,
        action=AuditAction.CS_FUHYO_UPDATE,
        subject_type=SUBJECT_TYPE,
        purpose=purpose,
        outcome=Outcome.REFUSED,
        outcome_reason=error.code[:64],
        result_count=len(error.errors) if isinstance(error, FuhyoBatchRefused) else 1,
    )
