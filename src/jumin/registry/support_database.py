"""The support database's 加害者 and 転送情報 (standard 1.1.16-a): record, read and check.

Writes need ``support_measure:manage``, reads ``support_measure:view`` (controls.md C-20, C-38); each
is audited in its own transaction with ``support_measure=True``. No audit entry, log line or
exception message carries a 加害者's name, birth date or address, nor a protected person's address.

``perpetrator_check`` answers the clerk who receives a request from a person on this registry: is
that person the recorded 加害者 of a measure in force protecting one of the persons asked about? It
answers with measure numbers only, never who is protected nor where they live.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from jumin.accounts import clock
from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain import recorded_dates
from jumin.domain.checkdigits import M11Remainder1Policy, validate_atena_number, validate_lgcode
from jumin.domain.errors import refusal
from jumin.domain.kana import normalize_furigana
from jumin.domain.resident import ResidentStatus
from jumin.domain.uncertain_dates import UncertainDate
from jumin.domain.wareki import DateFieldKind, parse_date_input
from jumin.registry.models import Resident
from jumin.registry.models_restrictions import CoveredService, SupportMeasure, SupportMeasurePerson
from jumin.registry.models_support import (
    ForwardingDirection,
    PerpetratorSex,
    SupportForwarding,
    SupportPerpetrator,
)

NAME_MAX = 100
ADDRESS_MAX = 200
NOTE_MAX = 1000


@dataclass(frozen=True)
class PerpetratorEntry:
    """One 加害者 as the applicant describes them; every item may be unknown ("")."""

    surname: str = ""
    given_name: str = ""
    surname_kana: str = ""
    given_name_kana: str = ""
    atena_number: str = ""  # only for a 加害者 on this registry (current or 除票)
    birth_date: str = ""  # as entered: 和暦, 西暦 or a 不詳 form
    sex: str = PerpetratorSex.UNKNOWN
    address: str = ""
    note: str = ""


@dataclass(frozen=True)
class CheckedPerpetrator:
    """A validated entry, ready to store."""

    surname: str
    given_name: str
    surname_kana: str
    given_name_kana: str
    atena_number: str
    birth_date: dict[str, object] | None
    sex: str
    address: str
    note: str


def _text(value: str, field: str, label: str, limit: int) -> str:
    text = value.strip()
    if len(text) > limit:
        raise refusal(
            field, f"{label}が長すぎます。", f"{limit}文字以内で入力してください。", "registry.text_too_long"
        )
    return text


def _kana(value: str, field: str, label: str) -> str:
    text = _text(value, field, label, NAME_MAX)
    return normalize_furigana(text, field=field) if text else ""


def _atena_here(value: str, field: str, missing: tuple[str, str, str]) -> str:
    """A 宛名番号 as entered: "" when empty; else its check digit, then a person here (除票 too), or
    the ``missing`` refusal (reason, remedy, code)."""
    if not value.strip():
        return ""
    number = validate_atena_number(
        value,
        policy=M11Remainder1Policy(str(settings.JUMIN_POLICIES["m11_remainder1"])),
        serial_length=int(str(settings.JUMIN_POLICIES["atena_serial_length"])),
        field=field,
    )
    if not Resident.objects.filter(atena_number=number).exists():
        raise refusal(field, *missing)
    return number


def requester_atena(value: str, field: str = "requester_atena_number") -> str:
    """A requester's 宛名番号 as entered for 加害者照合: check digit, then a person here (除票 too)."""
    return _atena_here(
        value,
        field,
        (
            "請求者の宛名番号に該当する住民（除票を含む）が見つかりません。",
            "宛名番号を確認してください。当市区町村の住民記録にない請求者は空欄にしてください。",
            "registry.requester_not_local",
        ),
    )


def _local_atena(value: str, field: str) -> str:
    return _atena_here(
        value,
        field,
        (
            "加害者の宛名番号に該当する住民（除票を含む）が見つかりません。",
            "当市区町村の住民記録にない加害者は、宛名番号を空欄にして氏名等を入力してください。",
            "registry.perpetrator_not_local",
        ),
    )


def check_perpetrator(entry: PerpetratorEntry, *, field: str = "perpetrator") -> CheckedPerpetrator:
    """Validate one 加害者 entry (names, kana, 宛名番号 check digit and presence, birth date, sex)."""
    checked = CheckedPerpetrator(
        surname=_text(entry.surname, f"{field}.surname", "加害者の氏", NAME_MAX),
        given_name=_text(entry.given_name, f"{field}.given_name", "加害者の名", NAME_MAX),
        surname_kana=_kana(entry.surname_kana, f"{field}.surname_kana", "加害者の氏フリガナ"),
        given_name_kana=_kana(entry.given_name_kana, f"{field}.given_name_kana", "加害者の名フリガナ"),
        atena_number=_local_atena(entry.atena_number, f"{field}.atena_number"),
        birth_date=(
            recorded_dates.to_json(
                parse_date_input(
                    entry.birth_date, field_kind=DateFieldKind.BIRTH, field=f"{field}.birth_date"
                ).value
            )
            if entry.birth_date.strip()
            else None
        ),
        sex=_sex(entry.sex, f"{field}.sex"),
        address=_text(entry.address, f"{field}.address", "加害者の住所", ADDRESS_MAX),
        note=_text(entry.note, f"{field}.note", "加害者のその他の情報", NOTE_MAX),
    )
    if not any(
        (checked.surname, checked.given_name, checked.surname_kana, checked.atena_number, checked.note)
    ):
        raise refusal(
            f"{field}.surname",
            "加害者を特定する情報が入力されていません。",
            "氏名・フリガナ・宛名番号・その他のいずれかを入力してください。",
            "registry.perpetrator_empty",
        )
    return checked


def _sex(value: str, field: str) -> str:
    if value not in PerpetratorSex.values:
        raise refusal(
            field,
            "加害者の性別が正しくありません。",
            "男・女・不明から選んでください。",
            "registry.perpetrator_sex",
        )
    return value


def append_perpetrator(
    measure: SupportMeasure, checked: CheckedPerpetrator, *, actor: Any, perpetrator_no: int | None = None
) -> int:
    """Append one version of a 加害者 (a new number when ``perpetrator_no`` is None); caller's transaction.

    A 加害者 who is one of the measure's protected persons is refused: the two sides never mix.
    """
    if (
        checked.atena_number
        and SupportMeasurePerson.objects.filter(
            measure=measure, resident__atena_number=checked.atena_number
        ).exists()
    ):
        raise refusal(
            "perpetrator.atena_number",
            "加害者の宛名番号が支援対象者の宛名番号と同じです。",
            "加害者の宛名番号を確認してください。",
            "registry.perpetrator_is_protected",
        )
    numbers = SupportPerpetrator.objects.filter(measure=measure)
    if perpetrator_no is None:
        perpetrator_no = (numbers.aggregate(last=Max("perpetrator_no"))["last"] or 0) + 1
    elif not numbers.filter(perpetrator_no=perpetrator_no).exists():
        raise refusal(
            "perpetrator_no",
            "修正する加害者が見つかりません。",
            "加害者番号を確認するか、新しい加害者として登録してください。",
            "registry.no_such_perpetrator",
        )
    SupportPerpetrator.objects.create(
        measure=measure,
        perpetrator_no=perpetrator_no,
        surname=checked.surname,
        given_name=checked.given_name,
        surname_kana=checked.surname_kana,
        given_name_kana=checked.given_name_kana,
        atena_number=checked.atena_number,
        birth_date=checked.birth_date,
        sex=checked.sex,
        address=checked.address,
        note=checked.note,
        recorded_by=actor,
        recorded_at=clock.now(),
    )
    return perpetrator_no


def measure_for_update(measure_id: int) -> SupportMeasure:
    """The measure, locked; refused when missing or already ended."""
    measure = SupportMeasure.objects.select_for_update().filter(pk=measure_id).first()
    if measure is None or measure.ended_at is not None:
        raise refusal(
            "measure_id",
            "処理できる支援措置が見つかりません（既に終了している可能性があります）。",
            "支援措置の一覧を更新してください。",
            "registry.no_such_support_measure",
        )
    return measure


def authorize_measure(
    *,
    actor: Any,
    purpose: str,
    measure_id: int,
    action: AuditAction,
    permission: Permission = Permission.SUPPORT_MEASURE_MANAGE,
) -> None:
    """``authorize`` for a use case on one measure (subject ``support_measure``)."""
    authorize(
        actor=actor,
        permission=permission,
        action=action,
        purpose=purpose,
        subject_type="support_measure",
        subject_id=str(measure_id),
    )


def audit_measure(actor: Any, purpose: str, action: AuditAction, measure_id: int, reason: str = "") -> None:
    """The audit entry of a use case on one measure, flagged ``support_measure``; caller's transaction."""
    record_event(
        actor=actor,
        action=action,
        subject_type="support_measure",
        subject_id=str(measure_id),
        purpose=purpose,
        reason=reason,
        support_measure=True,
    )


def record_perpetrator(
    *, actor: Any, purpose: str, measure_id: int, entry: PerpetratorEntry, perpetrator_no: int | None = None
) -> int:
    """Add a 加害者 to a measure in force, or correct one (a new version; the old one stays as history).

    Returns the 加害者番号. Audited ``resident:support_measure:perpetrator_record`` with the number only.
    """
    action = AuditAction.RESIDENT_SUPPORT_MEASURE_PERPETRATOR_RECORD
    authorize_measure(actor=actor, purpose=purpose, measure_id=measure_id, action=action)
    checked = check_perpetrator(entry)
    with transaction.atomic():
        measure = measure_for_update(measure_id)
        number = append_perpetrator(measure, checked, actor=actor, perpetrator_no=perpetrator_no)
        kind = "add" if perpetrator_no is None else "correct"
        audit_measure(actor, purpose, action, measure.pk, f"{kind} perpetrator_no={number}")
    return number


def current_perpetrators(measure_ids: Sequence[int]) -> list[SupportPerpetrator]:
    """The version in force of every 加害者 of these measures (the highest id per number)."""
    latest: dict[tuple[int, int], SupportPerpetrator] = {}
    for row in SupportPerpetrator.objects.filter(measure_id__in=measure_ids).order_by("pk"):
        latest[(row.measure_id, row.perpetrator_no)] = row
    return list(latest.values())


@dataclass(frozen=True)
class PerpetratorCheck:
    """Whether the requester is the recorded 加害者 of a measure in force protecting a person asked about.

    ``measure_ids`` are the measures concerned (open them with the view permission); nothing else.
    """

    concerns_protected_person: bool
    measure_ids: tuple[int, ...]


def perpetrator_check(
    *, actor: Any, purpose: str, requester_atena_number: str, atena_numbers: Sequence[str] = ()
) -> PerpetratorCheck:
    """Is this requester (宛名番号) a 加害者 of a measure in force protecting any of ``atena_numbers``
    (any measure at all when none are given)? Needs ``support_measure:view``; audited."""
    action = AuditAction.RESIDENT_SUPPORT_MEASURE_PERPETRATOR_CHECK
    authorize(
        actor=actor,
        permission=Permission.SUPPORT_MEASURE_VIEW,
        action=action,
        purpose=purpose,
        subject_type="resident",
        subject_id=requester_atena_number,
    )
    requester = _local_atena(requester_atena_number, "requester_atena_number")
    with transaction.atomic():
        candidates = set(
            SupportPerpetrator.objects.filter(
                atena_number=requester, measure__ended_at__isnull=True
            ).values_list("measure_id", flat=True)
        )
        # Only the version in force counts: a corrected 宛名番号 no longer matches.
        matched = {
            row.measure_id
            for row in current_perpetrators(sorted(candidates))
            if row.atena_number == requester
        }
        asked = [n for n in dict.fromkeys(atena_numbers) if n]
        if asked and matched:
            matched = set(
                SupportMeasurePerson.objects.filter(
                    measure_id__in=matched, resident__atena_number__in=asked
                ).values_list("measure_id", flat=True)
            )
        result = PerpetratorCheck(concerns_protected_person=bool(matched), measure_ids=tuple(sorted(matched)))
        record_event(
            actor=actor,
            action=action,
            subject_type="resident",
            subject_id=requester,
            purpose=purpose,
            reason=f"asked={len(asked)} matched={len(result.measure_ids)}",
            support_measure=True,
        )
    return result


def _compact_name(value: str) -> str:
    """A name without any space (full- or half-width), for comparing a requester with a 加害者."""
    return re.sub(r"\s+", "", value)


def _exact_birth_date(stored: dict[str, Any] | None) -> date | None:
    """A 加害者's birth date when it is an exact day (a 不詳 form or none matches nobody)."""
    if not stored:
        return None
    value = recorded_dates.from_json(stored)
    return None if isinstance(value, UncertainDate) else recorded_dates.sort_date_of(value)


def requester_is_perpetrator(
    *,
    atena_numbers: Sequence[str],
    requester_atena_number: str = "",
    requester_name: str = "",
    requester_birth_date: date | None = None,
) -> tuple[int, ...]:
    """The measures in force protecting one of ``atena_numbers`` whose 加害者 (version in force) is
    this requester: the same 宛名番号, or the same 氏名 and the same exact 生年月日 (a name alone is not
    enough: namesakes). Unaudited and unauthorised: for a use case that audits itself (証明書の交付);
    its answer must reach the clerk only as a refusal that names nobody.
    """
    name = _compact_name(requester_name)
    if not requester_atena_number and not (name and requester_birth_date):
        return ()
    protecting = SupportMeasurePerson.objects.filter(
        resident__atena_number__in=list(atena_numbers), measure__ended_at__isnull=True
    ).values_list("measure_id", flat=True)
    matched = set()
    for row in current_perpetrators(sorted(set(protecting))):
        by_number = bool(requester_atena_number) and row.atena_number == requester_atena_number
        by_name = (
            bool(name and requester_birth_date)
            and _compact_name(row.surname + row.given_name) == name
            and _exact_birth_date(row.birth_date) == requester_birth_date
        )
        if by_number or by_name:
            matched.add(row.measure_id)
    return tuple(sorted(matched))


@dataclass(frozen=True)
class ForwardingEntry:
    """A 転送情報 entered by staff: the support moved to (outgoing) or came from (incoming) a municipality."""

    direction: str
    municipality_code: str = ""
    municipality_name: str = ""
    moved_on: date | None = None
    notified_on: date | None = None
    note: str = ""


def record_forwarding(*, actor: Any, purpose: str, measure_id: int, entry: ForwardingEntry) -> int:
    """Add one 転送情報 row to a measure in force (append-only); returns its id. Names municipalities only."""
    action = AuditAction.RESIDENT_SUPPORT_MEASURE_FORWARDING_RECORD
    authorize_measure(actor=actor, purpose=purpose, measure_id=measure_id, action=action)
    if entry.direction not in ForwardingDirection.values:
        raise refusal(
            "direction",
            "転送情報の区分が正しくありません。",
            "「転出先へ」か「転出元から」を選んでください。",
            "registry.forwarding_direction",
        )
    code = (
        validate_lgcode(entry.municipality_code, field="municipality_code") if entry.municipality_code else ""
    )
    name = _text(entry.municipality_name, "municipality_name", "相手方市区町村名", NAME_MAX)
    if not code and not name:
        raise refusal(
            "municipality_name",
            "相手方の市区町村が入力されていません。",
            "市区町村コードか市区町村名を入力してください。",
            "registry.forwarding_municipality_required",
        )
    today = clock.today()
    for field_name, day in (("moved_on", entry.moved_on), ("notified_on", entry.notified_on)):
        if day is not None and day > today:
            raise refusal(
                field_name,
                "未来の日付は入力できません。",
                "本日以前の日付を入力してください。",
                "registry.forwarding_future_date",
            )
    note = _text(entry.note, "note", "備考", ADDRESS_MAX)
    with transaction.atomic():
        measure = measure_for_update(measure_id)
        row = SupportForwarding.objects.create(
            direction=entry.direction,
            measure=measure,
            municipality_code=code,
            municipality_name=name,
            moved_on=entry.moved_on,
            notified_on=entry.notified_on,
            covered_services=list(measure.covered_services),
            note=note,
            recorded_by=actor,
            recorded_at=clock.now(),
        )
        audit_measure(actor, purpose, action, measure.pk, f"{entry.direction} forwarding={row.pk}")
    return row.pk


@dataclass(frozen=True)
class IncomingNotice:
    """A 支援措置 notice received from a 転出元 (3.4-h): whom it is about (when they live here) and whence."""

    forwarding_id: int
    atena_number: str  # "" when no current resident here has the 住民票コード (not moved in yet)
    name: str
    from_municipality_code: str
    moved_on: str
    received_on: str
    covered_services: tuple[str, ...]
    provisional: bool
    measure_id: int | None = None  # the measure here protecting the person (a 仮支援措置 opened on it)
    retraction: bool = False  # the 転出元 withdrew an earlier notice (転出の取消し); lifts nothing


def incoming_notices(*, actor: Any, purpose: str) -> tuple[IncomingNotice, ...]:
    """Every notice (and retraction) received from a 転出元, newest first, with the person when they
    live here now and the measure that protects them here.

    Needs ``support_measure:view``; audited ``resident:support_measure:forwarding_list`` with the count.
    """
    action = AuditAction.RESIDENT_SUPPORT_MEASURE_FORWARDING_LIST
    authorize(
        actor=actor,
        permission=Permission.SUPPORT_MEASURE_VIEW,
        action=action,
        purpose=purpose,
        subject_type="support_measure",
        subject_id="incoming",
    )
    with transaction.atomic():
        rows = list(SupportForwarding.objects.filter(direction=ForwardingDirection.INCOMING).order_by("-pk"))
        residents = {
            code: (atena, f"{surname} {given}".strip())
            for code, atena, surname, given in Resident.objects.filter(
                current__juminhyo_code__in={row.juminhyo_code for row in rows if row.juminhyo_code},
                current__status__in=(ResidentStatus.RESIDENT, ResidentStatus.PLANNED_MOVE_OUT),
            ).values_list("current__juminhyo_code", "atena_number", "current__surname", "current__given_name")
        }
        notices = tuple(
            IncomingNotice(
                forwarding_id=row.pk,
                atena_number=residents.get(row.juminhyo_code, ("", ""))[0],
                name=residents.get(row.juminhyo_code, ("", ""))[1],
                from_municipality_code=row.municipality_code,
                moved_on=row.moved_on.isoformat() if row.moved_on else "",
                received_on=row.notified_on.isoformat() if row.notified_on else "",
                covered_services=tuple(CoveredService(v).label for v in row.covered_services),
                provisional=row.provisional,
                measure_id=row.measure_id,
                retraction=bool(row.retracts_message_id),
            )
            for row in rows
        )
        record_event(
            actor=actor,
            action=action,
            subject_type="support_measure",
            subject_id="incoming",
            purpose=purpose,
            reason=f"rows={len(notices)}",
            result_count=len(notices),
            support_measure=True,
        )
    return notices


# Choices for the screens, so forms need not import models.
PERPETRATOR_SEXES = PerpetratorSex.choices
FORWARDING_DIRECTIONS = ForwardingDirection.choices
