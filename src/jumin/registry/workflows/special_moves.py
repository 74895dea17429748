"""特例転出 and 特例転入 in the registry (system.md F02, F03 steps 3b and 7; std 4.1.1.3-a, 4.1.3.0.4-a).

The registry reaches the other municipality only through its CS (import-linter):

* 転出地: the commit of a 転出 with the 特例転出サイン hands each mover's 転出証明書情報 to the CS
  (``registry.special_move_link``, in the commit's transaction). A received 転入通知 is taken in as a
  転出確定 draft (``import_move_in_notices``), committed by another clerk like every change.
* 転入地: after the card check at the CS, ``special_move_in_start`` gives the held 転出証明書情報 as the
  starting data (editable); ``record_special_move_in`` enters the 転入 draft with the 特例転入サイン.
  Its commit tells the CS, which marks the held data used and sends the 転入通知 and the 継続利用 card
  event in the same transaction (``registry.special_move_link``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize, mask, visible_fields
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event, record_results
from jumin.domain.errors import Alert, DomainError, refusal
from jumin.domain.received_text import format_code_point, unacceptable_characters
from jumin.domain.relationships import parse_relationship
from jumin.domain.resident import (
    ChangeReason,
    ForeignResidentItems,
    PersonFacts,
    ResidentKind,
    ResidentStatus,
    Sex,
)
from jumin.jukinet.cs import special_move_in, special_move_out
from jumin.jukinet.cs.special_move_out import NOTICE_SUBJECT_TYPE, ReceivedNotice
from jumin.masters.selectors import address_codes_of_address
from jumin.registry.models import ResidentSnapshot
from jumin.registry.search_keys import variant_name_key
from jumin.registry.selectors_common import RESIDENCE_STATUS_ITEMS
from jumin.registry.services import DraftRecorded, MoveIn, record_move_in, returning_resident
from jumin.registry.workflows.move_in_notice import (
    DESTINATION_MAX_LENGTH,
    MoveInNotice,
    record_move_in_notice,
)

_CODE = "registry.special_move"


def _split(name: str) -> tuple[str, str]:
    """氏 and 名 of a name as the CS sends it (氏 and 名 joined by a full-width space; a half-width one if
    there is none). Only that first separator splits: an alphabetic 名 keeps its own spaces."""
    separator = "\u3000" if "\u3000" in name else " "
    surname, _, given = name.partition(separator)
    return surname.strip(" \u3000"), given.strip(" \u3000")


def _birth_date(code: str) -> date:
    if code.endswith("00"):
        raise refusal(
            "birth_date",
            "転出証明書情報の生年月日に不詳の部分があります。",
            "生年月日を本人に確認して、転入の入力画面で入力してください。",
            _CODE,
        )
    return date(int(code[:4]), int(code[4:6]), int(code[6:]))


@dataclass(frozen=True)
class SpecialMoveInStart:
    """The starting data of a 特例転入 (std 4.1.1.3-a): the clerk may edit every item but the numbers."""

    facts: PersonFacts
    birth_date: date  # the 出生の年月日 of the data (facts.birth_date holds the same day)
    previous_address: str  # the 転出地 address (転入前住所)
    individual_number: str = dataclasses.field(repr=False)
    planned_date: date
    destination: str  # 転出先 as stated at the 転出地
    former_municipality_code: str  # the 転出地 (sender of the held data)
    # 再転入 (std 4.1.1.2-b): the 宛名番号 of this person's former record here, reused by the 転入.
    returning_atena_number: str = ""
    alerts: tuple[Alert, ...] = ()
    # C-10: the held items this clerk may not see, left out of the starting data (kept from the held
    # data at the 仮登録 when left blank, ``record_special_move_in``).
    honseki_hidden: bool = False
    residence_status_hidden: bool = False


def _as_seen(start: SpecialMoveInStart, visible: frozenset[Permission]) -> SpecialMoveInStart:
    """The starting data without the 本籍・筆頭者 and the 在留資格 items the clerk has no grant for."""
    facts = start.facts
    honseki_hidden = Permission.FIELD_HONSEKI_VIEW not in visible and bool(facts.honseki or facts.hittousha)
    status_hidden = Permission.FIELD_RESIDENCE_STATUS_VIEW not in visible and facts.foreign is not None
    if honseki_hidden:
        facts = dataclasses.replace(facts, honseki="", hittousha="")
    if status_hidden and facts.foreign is not None:
        hidden = dict.fromkeys(RESIDENCE_STATUS_ITEMS, "")
        facts = dataclasses.replace(facts, foreign=dataclasses.replace(facts.foreign, **hidden))
    return dataclasses.replace(
        start, facts=facts, honseki_hidden=honseki_hidden, residence_status_hidden=status_hidden
    )


def _with_hidden_items(
    entered: PersonFacts, held: PersonFacts, visible: frozenset[Permission]
) -> PersonFacts:
    """The member as entered, with the hidden items the clerk left blank taken from the held data, so a
    clerk without the grant neither sees them nor loses them."""
    if Permission.FIELD_HONSEKI_VIEW not in visible:
        entered = dataclasses.replace(
            entered, honseki=entered.honseki or held.honseki, hittousha=entered.hittousha or held.hittousha
        )
    if (
        Permission.FIELD_RESIDENCE_STATUS_VIEW not in visible
        and entered.foreign is not None
        and held.foreign is not None
        and not any(getattr(entered.foreign, item) for item in RESIDENCE_STATUS_ITEMS)
    ):
        kept = {item: getattr(held.foreign, item) for item in RESIDENCE_STATUS_ITEMS}
        entered = dataclasses.replace(entered, foreign=dataclasses.replace(entered.foreign, **kept))
    return entered


def special_move_in_start(*, actor: Any, purpose: str, resident_code: str) -> SpecialMoveInStart:
    """The held 転出証明書情報 of a card-checked person as starting data (audited by the CS with the
    個人番号 use). Refused, with the 送信依頼 as remedy, when nothing is held or the card was not checked.

    A person registered here before (a 再転入, found by 住民票コード) keeps the former 宛名番号, and the
    CS data wins except for the 氏名 (std 4.1.1.2-b): when it is the same name, the former record's
    spelling (its exact glyphs, which the network's characters may not carry) is offered; when the name
    has changed since, the CS's stays and an alert asks the clerk to confirm it. Refused when the
    person is a current resident here.
    """
    start = _held_start(actor=actor, purpose=purpose, resident_code=resident_code)
    visible = visible_fields(actor)
    with transaction.atomic():  # the former record is read and audited together
        former = returning_resident(start.facts)
        if former is None or former.current is None:
            return _as_seen(start, visible)
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_RECORD_VIEW,
            subject_type="resident",
            subject_id=former.atena_number,
            purpose=purpose,
            reason="特例転入（再転入）の開始データ",
        )
        facts, alert = _registered_name(start.facts, former.current)
    return _as_seen(
        dataclasses.replace(start, facts=facts, returning_atena_number=former.atena_number, alerts=(alert,)),
        visible,
    )


def _registered_name(facts: PersonFacts, former: ResidentSnapshot) -> tuple[PersonFacts, Alert]:
    """The 氏名 of a 再転入: the former record's spelling when it names the same person's same name."""
    same = variant_name_key(former.surname + former.given_name) == variant_name_key(
        facts.surname + facts.given_name
    )
    if same:
        kept = dataclasses.replace(facts, surname=former.surname, given_name=former.given_name)
        return kept, Alert(
            "surname",
            "再転入です。氏名は前回の住民票の表記にしました。前回の宛名番号で記録します。",
            f"{_CODE}.returning_name_kept",
        )
    return facts, Alert(
        "surname",
        "再転入ですが、氏名が前回の住民票と異なります。転出証明書情報の氏名にしています。",
        f"{_CODE}.returning_name_changed",
    )


def _held_start(*, actor: Any, purpose: str, resident_code: str) -> SpecialMoveInStart:
    """The held data as it came from the 転出地, before the 再転入 rule."""
    for permission in (Permission.RESIDENT_RECORD, Permission.INDIVIDUAL_NUMBER_ACCESS):
        authorize(
            actor=actor,
            permission=permission,
            action=AuditAction.RESIDENT_MOVE_IN_RECORD,
            purpose=purpose,
            subject_type="change",
        )
    held = special_move_in.starting_data(actor=actor, purpose=purpose, resident_code=resident_code)
    surname, given = _split(held.name)
    surname_kana, given_kana = _split(held.name_kana)
    born = _birth_date(held.birth_date)
    # A foreign resident's 30条の45 items, and the 通称 that travels with them.
    foreign = dict(held.foreign) if held.foreign is not None else None
    alias = foreign.pop("alias", "") if foreign else ""
    alias_kana = foreign.pop("alias_kana", "") if foreign else ""
    facts = PersonFacts(
        kind=ResidentKind.JAPANESE if foreign is None else ResidentKind.FOREIGN,
        surname=surname,
        given_name=given,
        surname_kana=surname_kana,
        given_name_kana=given_kana,
        kana_confirmed=bool(held.name_kana),
        birth_date=born,
        sex=Sex(held.sex),
        relationship=parse_relationship(held.relationship),
        honseki=held.honseki,
        hittousha=held.hittousha,
        juminhyo_code=held.resident_code,
        alias=alias,
        alias_kana=alias_kana,
        foreign=ForeignResidentItems(**foreign) if foreign else None,
    )
    return SpecialMoveInStart(
        facts=facts,
        birth_date=born,
        previous_address=held.address,
        individual_number=held.individual_number,
        planned_date=date.fromisoformat(held.planned_date),
        destination=held.destination,
        former_municipality_code=held.municipality_code,
    )


def record_special_move_in(*, actor: Any, purpose: str, move_in: MoveIn) -> DraftRecorded:
    """Enter a 特例転入 as a draft: every member is a card-checked person with held data, whose 住民票コード
    and 個人番号 come from that data; the draft carries the 特例転入サイン (T96)."""
    if move_in.reason is not ChangeReason.DOMESTIC_MOVE_IN:
        raise refusal("reason", "特例転入は国内転入です。", "異動事由に国内転入を選んでください。", _CODE)
    numbers = []
    former = ""
    members = []
    visible = visible_fields(actor)
    for facts in move_in.members:
        if not facts.juminhyo_code or not special_move_in.is_ready(facts.juminhyo_code):
            raise refusal(
                "members",
                "カードで本人確認をし、転出証明書情報を受信している方だけが特例転入できます。",
                "統合端末でカードによる本人確認をしてください（未受信なら送信依頼）。転出証明書のある方は通常の転入で処理してください。",
                _CODE,
            )
        start = _held_start(actor=actor, purpose=purpose, resident_code=facts.juminhyo_code)
        numbers.append(start.individual_number)
        former = start.former_municipality_code
        members.append(_with_hidden_items(facts, start.facts, visible))
    # The 転出地 is the held data's sender; the commit's 転入通知 goes by the special path only.
    draft = record_move_in(
        actor=actor,
        purpose=purpose,
        move_in=dataclasses.replace(
            move_in,
            members=members,
            individual_numbers=numbers,
            former_municipality_code=former,
            former_municipality_unknown=False,
        ),
    )
    ResidentSnapshot.objects.filter(change_id=draft.change_id).update(
        special_move_in=True, move_in_notice_due=False
    )
    return draft


@dataclass(frozen=True)
class ImportResult:
    """What ``import_move_in_notices`` did: the 転出確定 drafts made, the notices left (取込エラー一覧)
    and the 重複 closed, each with why."""

    drafts: tuple[DraftRecorded, ...]
    left: tuple[tuple[int, str], ...]  # (notice id, reason) for each notice not taken in
    duplicates: tuple[tuple[int, str], ...] = ()  # (notice id, 重複 reason): closed, never taken in


def _garbled(address: str) -> str:
    """The 取込エラー reason of a 転入先住所 with characters the registry does not store, or ""."""
    refused = unacceptable_characters(address)
    if not refused:
        return ""
    named = "、".join(format_code_point(char) for char in refused)
    return (
        f"転入先住所に文字化けまたは登録できない文字（{named}）があります。"
        "取込エラー一覧で転入先住所を訂正して、再取込してください。"
    )


def _take_in(actor: Any, purpose: str, permission: Permission, notice: ReceivedNotice) -> DraftRecorded | str:
    """One received notice as a 転出確定 draft, or the reason it cannot be taken in (nothing changed)."""
    garbled = _garbled(notice.address) or special_move_out.address_not_unified(notice)
    if garbled:
        return garbled
    snapshot = (
        ResidentSnapshot.objects.filter(
            juminhyo_code=notice.resident_code,
            current_of__isnull=False,
            status__in=(ResidentStatus.PLANNED_MOVE_OUT, ResidentStatus.REMOVED),
        )
        .select_related("resident")
        .first()
    )
    if snapshot is None:
        return "転出した方が見つかりません。"
    codes = address_codes_of_address(notice.address)
    try:
        draft = record_move_in_notice(
            actor=actor,
            purpose=purpose,
            notice=MoveInNotice(
                atena_numbers=[snapshot.resident.atena_number],
                notice_date=notice.notice_date,
                move_in_date=notice.move_in_date,
                destination=notice.address,
                notification_kind=notice.notification_kind,
                destination_postal_code=codes.postal_code,
                destination_address_code=codes.address_code,
            ),
            permission=permission,
        )
    except DomainError as error:
        return error.reason
    special_move_out.mark_imported(notice.notice_id, change_id=draft.change_id)
    if ResidentSnapshot.objects.filter(
        change_id=draft.change_id, confirmed_destination_postal_unknown=True
    ).exists():
        draft = dataclasses.replace(draft, alerts=(*draft.alerts, POSTAL_CODE_UNKNOWN))
    return draft


IMPORT_ERROR = "registry.move_in_notice_import_error"
#: The flag on a draft whose 転入先 postal code the dictionary did not give (std 4.1.3.1.2-a).
POSTAL_CODE_UNKNOWN = Alert(
    "destination_postal_code",
    "転入先の郵便番号を住所辞書で特定できませんでした（空欄にしています）。転入通知の住所を確認して入力してください。",
    "registry.move_in_notice_postal_code_unknown",
)
DUPLICATE_NOTICE = "registry.move_in_notice_duplicate"


def _audit_left(actor: Any, purpose: str, notice_id: int, reason: str, code: str = IMPORT_ERROR) -> None:
    """A notice left in the 取込エラー一覧 (or closed as 重複), audited naming its person by notice."""
    record_event(
        actor=actor,
        action=AuditAction.RESIDENT_MOVE_IN_NOTICE_RECORD,
        subject_type=NOTICE_SUBJECT_TYPE,
        subject_id=str(notice_id),
        purpose=purpose,
        reason=reason[:200],
        outcome=Outcome.REFUSED,
        outcome_reason=code,
    )


def _keep_error(actor: Any, purpose: str, notice_id: int, reason: str) -> None:
    """Enter the notice in the 取込エラー一覧 with ``reason``, audited in the same transaction."""
    with transaction.atomic():
        special_move_out.mark_import_error(notice_id, reason)
        _audit_left(actor, purpose, notice_id, reason)


def import_move_in_notices(
    *, actor: Any, purpose: str, permission: Permission = Permission.RESIDENT_RECORD
) -> ImportResult:
    """Take every received 転入通知 in as a 転出確定 draft (F03 step 7; std 4.1.3.1.2–3), through the same
    path as a notice typed in by a clerk (``record_move_in_notice``: checks, draft, audit). A notice of a
    特例転入 and one after a paper 転出証明書 (no 管理番号) are taken in alike, by 住民票コード.

    Re-sends are closed as 重複 first (``special_move_out.close_duplicates``: never applied twice, the
    latest wins); a notice with garbled text or another refusal stays waiting in the 取込エラー一覧 with
    its reason, for a clerk to correct and retry (``retry_move_in_notice``)."""
    authorize(
        actor=actor,
        permission=permission,
        action=AuditAction.RESIDENT_MOVE_IN_NOTICE_RECORD,
        purpose=purpose,
        subject_type="change",
    )
    with transaction.atomic():
        duplicates = [
            (notice_id, f"重複：転入通知 {kept_id} 番と同じ方の転入通知です（取り込みません）。")
            for notice_id, kept_id in special_move_out.close_duplicates()
        ]
        for notice_id, reason in duplicates:
            _audit_left(actor, purpose, notice_id, reason, DUPLICATE_NOTICE)
    drafts: list[DraftRecorded] = []
    left: list[tuple[int, str]] = []
    for notice in special_move_out.waiting_move_in_notices():
        outcome = _take_in(actor, purpose, permission, notice)
        if isinstance(outcome, str):
            _keep_error(actor, purpose, notice.notice_id, outcome)
            left.append((notice.notice_id, outcome))
        else:
            drafts.append(outcome)
    return ImportResult(drafts=tuple(drafts), left=tuple(left), duplicates=tuple(duplicates))


def retry_move_in_notice(
    *, actor: Any, purpose: str, notice_id: int, corrected_address: str = ""
) -> DraftRecorded:
    """Retry one notice of the 取込エラー一覧 after correction (std 4.1.3.1.2-a).

    ``corrected_address`` replaces a garbled or too long 転入先住所 (the received text is kept); other
    causes are corrected in the registry first (e.g. 異動の取消し of a wrong 転出確定). Refused, with the
    reason and nothing taken in, when it still cannot be taken in; the correction is kept then.
    """
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_MOVE_IN_NOTICE_RECORD,
        purpose=purpose,
        subject_type=NOTICE_SUBJECT_TYPE,
        subject_id=str(notice_id),
    )
    corrected = corrected_address.strip()
    if len(corrected) > DESTINATION_MAX_LENGTH:
        raise refusal(
            "corrected_address",
            f"訂正した転入先住所が{DESTINATION_MAX_LENGTH}文字を超えています。",
            "転入先住所を短く入力してください。",
            _CODE,
        )
    if _garbled(corrected):
        raise refusal(
            "corrected_address",
            "訂正した転入先住所に登録できない文字があります。",
            "文字化けした文字を取り除き、正しい文字で入力してください。",
            _CODE,
        )
    with transaction.atomic():
        notice = special_move_out.waiting_move_in_notice(notice_id)
        if notice is None:
            raise refusal(
                "notice_id",
                "取込待ちの転入通知ではありません（取込済み、重複または存在しません）。",
                "取込エラー一覧から転入通知を選んでください。",
                _CODE,
            )
        if corrected:
            special_move_out.correct_address(notice_id, corrected)
            notice = dataclasses.replace(notice, corrected_address=corrected)
    outcome = _take_in(actor, purpose, Permission.RESIDENT_RECORD, notice)
    if isinstance(outcome, str):
        _keep_error(actor, purpose, notice_id, outcome)
        raise refusal("notice_id", outcome, "理由を確認し、訂正してから再取込してください。", _CODE)
    return outcome


@dataclass(frozen=True)
class FailedNotice:
    """One row of the 取込エラー一覧 as shown: the 住民票コード masked unless granted (C-10)."""

    notice_id: int
    received_at: str
    resident_code: str
    name: str  # the person's name on the registry, "" when not found
    move_in_date: str
    notice_date: str
    new_address: str
    corrected_address: str
    reason: str


def move_in_notice_errors(*, actor: Any, purpose: str) -> list[FailedNotice]:
    """The 取込エラー一覧 (std 4.1.3.1.2-a): received 転入通知 the import left, with the reason, oldest
    first. Audited as a list naming each person found on the registry."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_VIEW,
        action=AuditAction.RESIDENT_MOVE_IN_NOTICE_LIST,
        purpose=purpose,
        subject_type="resident",
    )
    code_visible = Permission.FIELD_JUMINHYO_CODE_VIEW in visible_fields(actor)
    with transaction.atomic():
        failed = special_move_out.failed_move_in_notices()
        persons = {
            row.juminhyo_code: row
            for row in ResidentSnapshot.objects.filter(
                juminhyo_code__in=[notice.resident_code for notice in failed], current_of__isnull=False
            ).select_related("resident")
        }
        listed = []
        for notice in failed:
            person = persons.get(notice.resident_code)
            listed.append(
                FailedNotice(
                    notice_id=notice.notice_id,
                    received_at=timezone.localtime(notice.received_at).date().isoformat()
                    if notice.received_at
                    else "",
                    resident_code=mask(notice.resident_code, visible=code_visible),
                    name=f"{person.surname}　{person.given_name}".strip("　") if person else "",
                    move_in_date=notice.move_in_date.isoformat(),
                    notice_date=notice.notice_date.isoformat(),
                    new_address=notice.new_address,
                    corrected_address=notice.corrected_address,
                    reason=notice.import_error,
                )
            )
        record_results(
            actor,
            "resident",
            sorted({person.resident.atena_number for person in persons.values()}),
            purpose,
            "move_in_notice_error",
            action=AuditAction.RESIDENT_MOVE_IN_NOTICE_LIST,
            reason="move_in_notice_errors",
            result_count=len(listed),
        )
    return listed


def import_move_in_notices_scheduled(*, actor: Any, purpose: str) -> ImportResult:
    """The daily import (``jumin cs import-move-in-notices``): ``import_move_in_notices`` as the batch
    account (住民記録バッチ運用, std 10.3-e); the drafts wait for a clerk's 本登録 like typed-in ones.
    One audit entry with the counts besides each draft's own."""
    result = import_move_in_notices(actor=actor, purpose=purpose, permission=Permission.RESIDENT_BATCH_RUN)
    with transaction.atomic():
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_MOVE_IN_NOTICE_RECORD,
            subject_type="batch",
            subject_id=timezone.localdate().isoformat(),
            purpose=purpose,
            reason=(
                f"scheduled import: drafts={len(result.drafts)} left={len(result.left)}"
                f" duplicates={len(result.duplicates)}"
            ),
            result_count=len(result.drafts),
        )
    return result
