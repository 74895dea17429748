"""住民記録 use cases that change state. Each: one authorize(), one transaction, one audit event.

A change is entered as 仮登録 (draft) by one clerk and committed (本登録) by a different one
(spec architecture.md §4 "Drafts are invisible"; standard 4.0.8).
"""

from __future__ import annotations

import dataclasses
import functools
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Field, Max, Model, Q
from django.utils import timezone

from jumin import fixed_sql
from jumin.accounts import input_places
from jumin.accounts.authorization import AccessRefused, authorize
from jumin.accounts.context import current_terminal_id
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.bulk_insert import insert_objects
from jumin.domain import recorded_dates
from jumin.domain.bulk_entry import per_member
from jumin.domain.checkdigits import validate_lgcode
from jumin.domain.errors import Alert, DomainError, refusal
from jumin.domain.member_order import Member, append_new_members, compute_member_order
from jumin.domain.recorded_dates import RecordedDate
from jumin.domain.relationships import RelationshipKind
from jumin.domain.resident import (
    ChangeReason,
    PersonFacts,
    ResidentStatus,
    check_person,
    with_checked_relationship_proof,
)
from jumin.jukinet.cs.services import local_municipality_code
from jumin.registry import (
    address_codes,
    fuhyo_notices,
    immigration_link,
    locks,
    move_in_numbers,
    number_designation,
    number_renewal,
    numbering,
    outbox,
    preset_notes,
    restriction_feed,
    restriction_locks,
    services_restrictions,
    support_arrivals,
    support_roles,
)
from jumin.registry import returning as returning_choice
from jumin.registry.models import (
    Change,
    ChangeState,
    Household,
    Resident,
    ResidentSearchKey,
    ResidentSnapshot,
    SearchKeyKind,
)
from jumin.registry.models_review import LockRelease
from jumin.registry.removed_archive import archived_keys
from jumin.registry.restrictions import KnownHouseholds, RestrictedProcess
from jumin.registry.search_keys import rebuild_search_keys_many, variant_name_key
from jumin.registry.snapshots import in_history_order, newest_per_person
from jumin.registry.workflows.acknowledgement import require_acknowledged
from jumin.registry.workflows.household_members import existing_household
from jumin.registry.workflows.unreported_move_in import (
    UnreportedMoveIn,
    attention_note,
    check_unreported,
    recorded_previous_address,
)

MOVE_IN_REASONS = (ChangeReason.DOMESTIC_MOVE_IN, ChangeReason.MOVE_IN_FROM_ABROAD)


@dataclass(frozen=True)
class Address:
    """住所 as recorded (records.md §6.5): text, 方書, codes."""

    address: str
    katagaki: str = ""
    postal_code: str = ""
    address_code: str = ""


@dataclass(frozen=True)
class MoveIn:
    """A 転入届 (standard 4.1.1): who moves in, where to, from where, when."""

    members: Sequence[PersonFacts]
    address: Address
    move_in_date: RecordedDate
    notification_date: date
    previous_address: str
    reason: ChangeReason = ChangeReason.DOMESTIC_MOVE_IN
    household_number: str | None = None
    # 個人番号 from the 転出証明書, one per member ("" for none); never shown in repr (move_in_numbers).
    individual_numbers: Sequence[str] = dataclasses.field(default=(), repr=False)
    # 未届転入 (standard 4.1.1.4-a): when set, previous_address is the last registered address (the
    # 転出証明書's) and the 住民票 shows the unreported address with 「（未届）」 instead.
    unreported: UnreportedMoveIn | None = None
    # 転出地 市町村コード (the 転出証明書's municipality, with check digit): where the commit sends the
    # 転入通知 (住基法9条1項). Required for a 国内転入 of anyone entered with a 住民票コード unless the
    # clerk states it is unknown (the notice then waits at the CS for a clerk to send it).
    former_municipality_code: str = ""
    former_municipality_unknown: bool = False
    # 再転入 (standard 4.1.1.2-b): per member, the 宛名番号 of the 除票 the clerk chose from the lookup
    # (``returning.find_returning``), "" for none; reused like a 住民票コード match.
    returning_atena_numbers: Sequence[str] = ()
    # 留意事項 entered by the clerk (type B, standard 1.1.14-a/b), often a preset text edited; "" for none.
    attention_note: str = ""
    # 転入前住所の郵便番号 as typed; "" to look it up in the address dictionary (1.1.17-a).
    previous_postal_code: str = ""


@dataclass(frozen=True)
class DraftRecorded:
    """The draft a workflow created: its change id, the people and household, and alerts to show."""

    change_id: int
    atena_numbers: tuple[str, ...]
    household_number: str
    alerts: tuple[Alert, ...]


def _current(resident: Resident | None) -> ResidentSnapshot | None:
    return resident.current if resident is not None else None


def returning_resident(facts: PersonFacts) -> Resident | None:
    """A former resident this person is, decided by 住民票コード (standard 4.1.1.2: forced reuse)."""
    if not facts.juminhyo_code:
        return None
    snapshot = (
        ResidentSnapshot.objects.filter(juminhyo_code=facts.juminhyo_code, history_no__isnull=False)
        .select_related("resident__current")
        .order_by("-history_no")
        .first()
    )
    if snapshot is None:
        return None
    current = _current(snapshot.resident)
    if current is not None and current.status != ResidentStatus.REMOVED:
        raise refusal(
            "juminhyo_code",
            "この住民票コードの方は既に住民として記録されています。",
            "転入ではなく転居または修正として処理してください。",
            "registry.move_in_of_current_resident",
        )
    return snapshot.resident


def _possible_duplicates(facts: PersonFacts) -> list[Alert]:
    """氏名・性別・生年月日 matches are an alert, not a decision (standard 4.1.1.2).

    Looked up through the indexed search keys of current records, so variant spellings of the
    same name (渡邊 / 渡辺) alert too and the check costs one index probe at any registry size.
    """
    return _possible_duplicates_of([facts])


def _possible_duplicates_of(people: list[PersonFacts]) -> list[Alert]:
    """``_possible_duplicates`` of several people, person by person, in one statement (P3)."""
    if not people:
        return []
    wanted = [
        (variant_name_key(f.surname + f.given_name), str(f.sex), recorded_dates.sort_date_of(f.birth_date))
        for f in people
    ]

    def probe() -> Any:
        matches = Q()
        for variant, sex, birth in wanted:
            matches |= Q(variant_key=variant, sex=sex, birth_sort_date=birth)
        # The 除票 in the 除票データベース are former residents too (standard 1.1.5-f): one statement.
        live, archived = (
            keys.filter(matches, kind=SearchKeyKind.NAME, is_current_name=True).values_list(
                "variant_key", "sex", "birth_sort_date", "status"
            )
            for keys in (ResidentSearchKey.objects.all(), archived_keys())
        )
        return live.union(archived, all=True)

    # Its text is compiled once per household size (fixed_sql, P3). The rows' dates come back as the
    # driver gives them (a date, or ISO text): matched on their ISO text.
    birth_param = functools.partial(fixed_sql.db_value, ResidentSearchKey, "birth_sort_date")
    # Each Q's keywords in name order: birth_sort_date, sex, variant_key.
    per_person = [value for v, s, b in wanted for value in (birth_param(b), s, v)]
    name_rows = [SearchKeyKind.NAME.value]  # is_current_name needs no parameter
    rows = fixed_sql.read(
        ("services.duplicate_probe", len(people)),
        [*per_person, *name_rows, *per_person, *name_rows],
        fixed_sql.reading(probe, caller_converts=True),
    )
    found: dict[tuple[str, str, object], list[str]] = {}
    for variant, sex, birth, status in rows:
        found.setdefault((variant, sex, str(birth)), []).append(status)
    alerts = []
    for variant, sex, birth in wanted:
        key = (variant, sex, str(birth))
        for status in found.get(key, [])[:5]:
            if status == ResidentStatus.REMOVED:
                message = "氏名・性別・生年月日が一致する除票があります。再転入でないか確認してください。"
                code = "registry.possible_return"
            else:
                message = "氏名・性別・生年月日が一致する住民がいます。二重登録でないか確認してください。"
                code = "registry.possible_duplicate"
            alerts.append(Alert(field="surname", message=message, code=code))
    return alerts


def _check_move_in(move_in: MoveIn) -> tuple[list[PersonFacts], list[Alert]]:
    if move_in.reason not in MOVE_IN_REASONS:
        raise refusal(
            "reason",
            "転入の異動事由ではありません。",
            "国内転入または国外転入等を選んでください。",
            "registry.move_in_reason",
        )
    if not move_in.members:
        raise refusal(
            "members", "転入する方が入力されていません。", "1人以上入力してください。", "registry.no_members"
        )
    if not move_in.address.address.strip():
        raise refusal(
            "address",
            "住所が入力されていません。",
            "転入先の住所を入力してください。",
            "registry.address_required",
        )
    if move_in.unreported is not None:  # before the generic check: its message names the 転出証明書
        check_unreported(
            move_in.unreported,
            registered_address=move_in.previous_address,
            move_in_date=recorded_dates.sort_date_of(move_in.move_in_date),
        )
    if not move_in.previous_address.strip():
        raise refusal(
            "previous_address",
            "転入前住所が入力されていません。",
            "転入前の住所（国外の場合は国名）を入力してください。",
            "registry.previous_address_required",
        )
    moved = recorded_dates.sort_date_of(move_in.move_in_date)
    # A 転入 is notified after it happened (standard 4.0.3-a, 4.1.0.2-a): neither date may be ahead.
    today = timezone.localdate()
    if moved > today:
        raise refusal(
            "move_in_date",
            "転入日が未来の日付です。",
            "本日以前の日付を入力してください。",
            "registry.future_event_date",
        )
    if move_in.notification_date > today:
        raise refusal(
            "notification_date",
            "届出日が未来の日付です。",
            "本日以前の日付を入力してください。",
            "registry.future_notification_date",
        )
    if move_in.notification_date < moved:
        raise refusal(
            "notification_date",
            "届出日が転入日より前です。",
            "転入した後の日付を届出日に入力してください。",
            "registry.notified_before_move",
        )
    checked: list[PersonFacts] = []
    alerts: list[Alert] = []
    for index, facts in enumerate(move_in.members):
        try:
            normalised, person_alerts = check_person(facts)
        except DomainError as error:  # name the member's row (standard 4.0.10-a: per-row errors)
            raise per_member(index, error) from None
        field = f"members[{index}].relationship_proof"
        checked.append(with_checked_relationship_proof(normalised, field=field))
        alerts += person_alerts
    preset_notes.checked_note(move_in.attention_note)  # refused before anything is written
    heads = [f for f in checked if f.relationship.kind is RelationshipKind.HEAD]
    if move_in.household_number is None and len(heads) != 1:
        raise refusal(
            "relationship",
            "新しい世帯には世帯主が1人必要です。",
            "続柄が「世帯主」の方を1人だけ指定してください。",
            "registry.one_head_required",
        )
    if move_in.household_number is not None and heads:
        raise refusal(
            "relationship",
            "既存の世帯に世帯主として転入することはできません。",
            "世帯主の変更は世帯変更届で処理してください。",
            "registry.head_joins_household",
        )
    if (move_in.notification_date - moved).days > 14:
        alerts.append(
            Alert(
                field="notification_date",
                message="転入日から14日を超えた届出です。",
                code="registry.late_move_in",
            )
        )
    return checked, alerts


def _check_former_municipality(move_in: MoveIn) -> None:
    """The 転出地 市町村コード: a valid other municipality for a 国内転入, none for a 国外転入等."""
    code = move_in.former_municipality_code.strip()
    field = "former_municipality_code"
    if move_in.reason is not ChangeReason.DOMESTIC_MOVE_IN:
        if code or move_in.former_municipality_unknown:
            raise refusal(
                field,
                "国外からの転入に転出地の市町村コードは指定できません。",
                "転出地の市町村コードを空欄にしてください。",
                "registry.former_municipality_abroad",
            )
        return
    if code:
        validate_lgcode(code, field=field)
        if move_in.former_municipality_unknown:
            raise refusal(
                field,
                "転出地の市町村コードと「不明」の両方が指定されています。",
                "市町村コードを入力した場合は「不明」の選択を外してください。",
                "registry.former_municipality_both",
            )
        if code == local_municipality_code():
            raise refusal(
                field,
                "転出地に自分の市町村が指定されています。",
                "市町村内の移動は転居で処理してください。転出証明書の市町村コードを確認してください。",
                "registry.former_municipality_local",
            )
    elif not move_in.former_municipality_unknown and any(m.juminhyo_code for m in move_in.members):
        raise refusal(
            field,
            "転出地の市町村コードが入力されていません。",
            "転出証明書に記載された転出地の市町村コード（6桁）を入力してください。"
            "わからない場合は「転出地の市町村コード不明」を選んでください（転入通知は送信待ちになります）。",
            "registry.former_municipality_required",
        )


def record_move_in(*, actor: Any, purpose: str, move_in: MoveIn) -> DraftRecorded:
    """Enter a 転入 as a draft (standard 4.1.1). Nothing is visible outside review until committed."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_MOVE_IN_RECORD,
        purpose=purpose,
        subject_type="change",
    )
    if move_in_numbers.entered(move_in.individual_numbers):  # 特定個人情報 (controls.md C-9)
        authorize(
            actor=actor,
            permission=Permission.INDIVIDUAL_NUMBER_ACCESS,
            action=AuditAction.RESIDENT_MOVE_IN_RECORD,
            purpose=purpose,
            subject_type="change",
        )
    members, alerts = _check_move_in(move_in)
    numbers = move_in_numbers.checked(move_in.individual_numbers, len(members))
    # 再転入 (standard 4.1.1.2): 住民票コード and 個人番号 are forced matches reusing the old 宛名番号.
    chosen = list(move_in.returning_atena_numbers) or [""] * len(members)
    if len(chosen) != len(members):
        raise refusal(
            "members",
            "選んだ除票の数が転入する方の数と合いません。",
            "転入する方ごとに除票を選ぶか、空欄にしてください。",
            "registry.returning_count",
        )
    returning = [
        returning_choice.chosen_returning(
            chosen[i],
            move_in_numbers.merge_returning(
                returning_resident(facts), move_in_numbers.returning_by_number(number, i), number, i
            ),
            i,
        )
        for i, (facts, number) in enumerate(zip(members, numbers, strict=True))
    ]
    # After the 再転入 checks: a current resident's code is refused for that first.
    _check_former_municipality(move_in)
    # The 転入通知 is due for a code entered from a 転出証明書, not for one kept from the 除票.
    notice_due = [move_in.reason is ChangeReason.DOMESTIC_MOVE_IN and bool(f.juminhyo_code) for f in members]
    kept = [
        returning_choice.carry_departure_names(facts, previous, move_in.reason)
        for facts, previous in zip(members, returning, strict=True)
    ]
    alerts += [alert for _, carried in kept for alert in carried]
    from_abroad = [
        returning_choice.left_for_abroad(previous, facts, move_in.reason)
        for facts, previous in zip(members, returning, strict=True)
    ]
    members = [
        returning_choice.with_former_code(facts, previous)
        for (facts, _), previous in zip(kept, returning, strict=True)
    ]
    # 異動入力 suppressions (standard 3.1-b): errors refuse the draft; alerts go with it to the reviewer.
    restriction = services_restrictions.enforce_restrictions(
        actor=actor,
        purpose=purpose,
        atena_numbers=[previous.atena_number for previous in returning if previous is not None],
        process=RestrictedProcess.CHANGE_ENTRY,
        action=AuditAction.RESIDENT_MOVE_IN_RECORD,
        subject_type="change",
        subject_id="",
        require_acknowledgment=False,
        household_numbers=[move_in.household_number] if move_in.household_number else [],
    )
    alerts += services_restrictions.as_alerts(restriction)
    alerts += _possible_duplicates_of(
        [facts for facts, previous in zip(members, returning, strict=True) if previous is None]
    )
    previous_codes = _previous_address_codes(move_in)
    if previous_codes["previous_address_postal_unknown"]:
        alerts.append(PREVIOUS_POSTAL_CODE_UNKNOWN)
    moved = recorded_dates.to_json(move_in.move_in_date)
    with transaction.atomic():
        change = Change.objects.create(
            reason=move_in.reason,
            change_date=recorded_dates.sort_date_of(move_in.move_in_date),
            notification_date=move_in.notification_date,
            notification_kind="届出",
            made_by=actor,
            made_at=timezone.now(),
            attention_note=_attention_note_of(move_in),
        )
        # The 世帯番号 and the new people's 宛名番号: both counters in one lock and one update (P3).
        issued = numbering.issue_numbers_of(
            {
                numbering.HOUSEHOLD: 1 if move_in.household_number is None else 0,
                numbering.ATENA: sum(previous is None for previous in returning),
            }
        )
        household, existing_order, de_facto_head = _household_for(
            move_in.household_number, issued=issued[numbering.HOUSEHOLD]
        )
        residents = _residents_for(members, returning, issued=issued[numbering.ATENA])
        for previous in returning:
            if previous is not None:  # a returning former resident: lock their record (10.3-d)
                locks.take(previous, change)
        order = _member_order(members, residents, existing_order)
        numbered = [move_in_numbers.number_columns(n, p) for n, p in zip(numbers, returning, strict=True)]
        # One INSERT for the household's rows (performance.md P3); no model save() logic is skipped.
        insert_objects(
            [
                ResidentSnapshot(
                    resident=resident,
                    change=change,
                    # A returning former resident's draft is based on their 除票, like any amendment.
                    based_on_history_no=resident.current.history_no if resident.current else None,
                    status=ResidentStatus.RESIDENT,
                    **_person_columns(facts, previous if abroad else None),
                    household=household,
                    is_head=facts.relationship.kind is RelationshipKind.HEAD,
                    relationship=facts.relationship.text,
                    member_order=order.index(resident.atena_number) + 1,
                    de_facto_head=de_facto_head,
                    postal_code=move_in.address.postal_code,
                    address_code=move_in.address.address_code,
                    address=move_in.address.address,
                    katagaki=move_in.address.katagaki,
                    **_previous_address_columns(move_in),
                    **previous_codes,
                    previous_municipality_code=move_in.former_municipality_code.strip(),
                    move_in_notice_due=due,
                    became_resident_date=moved,
                    became_resident_reason=move_in.reason,
                    address_set_date=moved,
                    **number_columns,
                )
                for facts, resident, number_columns, previous, due, abroad in zip(
                    members, residents, numbered, returning, notice_due, from_abroad, strict=True
                )
            ]
        )
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_MOVE_IN_RECORD,
            subject_type="change",
            subject_id=str(change.pk),
            purpose=purpose,
            individual_number_used=any(numbers),
        )
    return DraftRecorded(
        change_id=change.pk,
        atena_numbers=tuple(r.atena_number for r in residents),
        household_number=household.number,
        alerts=tuple(alerts),
    )


#: The flag on a 転入 draft whose 転入前住所 postal code the dictionary did not give (std 1.1.17-a).
PREVIOUS_POSTAL_CODE_UNKNOWN = address_codes.unknown_alert(
    "previous_postal_code", "転入前住所", "registry.move_in_previous_postal_code_unknown"
)


def _previous_address_codes(move_in: MoveIn) -> dict[str, object]:
    """The 転入前住所's postal and address codes; a 未届転入's are those of the unreported address."""
    codes = address_codes.codes_of(
        move_in.unreported.address if move_in.unreported is not None else move_in.previous_address,
        move_in.previous_postal_code,
        domestic=move_in.reason is ChangeReason.DOMESTIC_MOVE_IN,
        field="previous_postal_code",
        label="転入前住所",
    )
    return {
        "previous_address_postal_code": codes.postal_code,
        "previous_address_code": codes.address_code,
        "previous_address_postal_unknown": codes.unknown,
    }


def _previous_address_columns(move_in: MoveIn) -> dict[str, object]:
    """転入前住所 as the 住民票 shows it; for a 未届転入 also the kept unreported and registered addresses."""
    if move_in.unreported is None:
        return {"previous_address": move_in.previous_address}
    return {
        "previous_address": recorded_previous_address(move_in.unreported),
        "unreported_address": move_in.unreported.address.strip(),
        "unreported_moved_on": move_in.unreported.moved_on,
        "last_registered_address": move_in.previous_address.strip(),
    }


def _attention_note_of(move_in: MoveIn) -> str:
    entered = preset_notes.checked_note(move_in.attention_note)
    if move_in.unreported is None:
        return entered
    unreported = attention_note(move_in.unreported, registered_address=move_in.previous_address)
    return preset_notes.joined(unreported, entered)


def _residents_for(
    members: list[PersonFacts], returning: list[Resident | None], *, issued: Sequence[str] | None = None
) -> list[Resident]:
    """The members' people: a returning former resident's own record, or a new one with a new 宛名番号.

    The new people's numbers come from one counter update (or are ``issued`` already, one per new
    member) and their rows from one INSERT (P3).
    """
    new_members = [facts for facts, previous in zip(members, returning, strict=True) if previous is None]
    if issued is None:
        issued = numbering.issue_numbers(numbering.ATENA, len(new_members))
    new_people = [
        Resident(atena_number=number, kind=facts.kind)
        for facts, number in zip(new_members, issued, strict=True)
    ]
    insert_objects(new_people)
    created = iter(new_people)
    return [previous or next(created) for previous in returning]


def _household_for(number: str | None, *, issued: Sequence[str] = ()) -> tuple[Household, list[str], str]:
    """A new household, or an existing one with its current member order; and its 事実上の世帯主
    (household data every new member's row copies, standard 4.1.4.3-a; "" for a new household).

    A new household takes the 世帯番号 ``issued`` for it, else the next one."""
    if number is None:
        new_number = issued[0] if issued else numbering.issue_number(numbering.HOUSEHOLD)
        return Household.objects.create(number=new_number), [], ""
    household, members = existing_household(number, field="household_number")
    return household, [member.atena_number for member in members], members[0].current.de_facto_head


def _member_order(members: list[PersonFacts], residents: list[Resident], existing: list[str]) -> list[str]:
    """New households get the standard order (D.2); joiners are appended (ORD-2)."""
    atena = [r.atena_number for r in residents]
    if existing:
        return append_new_members(existing, atena)
    return compute_member_order(
        Member(
            atena_number=number,
            relationship=facts.relationship,
            approx_birth_date=recorded_dates.sort_date_of(facts.birth_date),
        )
        for number, facts in zip(atena, members, strict=True)
    )


def _person_columns(facts: PersonFacts, returned_from_abroad: Resident | None = None) -> dict[str, object]:
    foreign = dataclasses.asdict(facts.foreign) if facts.foreign else None
    history = returning_choice.departure_alias_history(returned_from_abroad) if foreign is not None else []
    if history:  # a returner from abroad keeps the 通称 history of their 除票 (1.1.7-b, records.md §6.2)
        foreign = {**foreign, "alias_history": history}  # type: ignore[dict-item]
    return {
        "kind": facts.kind,
        "surname": facts.surname,
        "given_name": facts.given_name,
        "surname_kana": facts.surname_kana,
        "given_name_kana": facts.given_name_kana,
        "kana_confirmed": facts.kana_confirmed,
        "former_surname_kana_confirmed": facts.former_surname_kana_confirmed,
        "alias_kana_confirmed": facts.alias_kana_confirmed,
        "relationship_proof": facts.relationship_proof.as_json() if facts.relationship_proof else None,
        "former_surname": facts.former_surname,
        "former_surname_kana": facts.former_surname_kana,
        "alias": facts.alias,
        "alias_kana": facts.alias_kana,
        "birth_date": recorded_dates.to_json(facts.birth_date),
        "birth_sort_date": recorded_dates.sort_date_of(facts.birth_date),
        "sex": facts.sex,
        "honseki": facts.honseki,
        "hittousha": facts.hittousha,
        "foreign": foreign,
        "former_alien_registration_date": (
            recorded_dates.to_json(facts.former_alien_registration_date)
            if facts.former_alien_registration_date is not None
            else None
        ),
        "juminhyo_code": facts.juminhyo_code,
    }


def commit_change(
    *, actor: Any, purpose: str, change_id: int, acknowledged_alerts: Collection[str] = ()
) -> Change:
    """本登録: a different clerk confirms a draft; snapshots get their 履歴番号 and become current.

    The people's search keys (standard 2.1.2, 2.1.3) are rewritten in the same transaction, so a
    draft is never searchable and a committed change is searchable at once. 異動入力 suppressions are
    checked again here, for every workflow: an error refuses, an alert needs its code in
    ``acknowledged_alerts`` (the codes are recorded in the commit's audit entry). In the same
    transaction the outbox gets one event per person (``outbox``) and the draft's edit locks end.
    """
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_COMMIT,
        action=AuditAction.RESIDENT_CHANGE_COMMIT,
        purpose=purpose,
        subject_type="change",
        subject_id=str(change_id),
    )
    # The change and the 職権 drafts that follow it (workflows.head_by_ex_officio) in one read; their
    # snapshots are then read by these ids. Not a subquery: PostgreSQL planned one as a hash join over
    # every snapshot (108 ms at 100,000 residents), and an OR across the join made SQLite scan them (P3).
    changes = fixed_sql.instances(
        ("services.change_and_followers",),
        [change_id, change_id, ChangeState.DRAFT.value],
        lambda: Change.objects.filter(Q(pk=change_id) | Q(follows_id=change_id, state=ChangeState.DRAFT)),
    )
    change = next((each for each in changes if each.pk == change_id), None)
    if change is None or change.state != ChangeState.DRAFT:
        raise refusal(
            "change_id",
            "確認待ちの異動が見つかりません。",
            "一覧から確認待ちの異動を選んでください。",
            "registry.no_such_draft",
        )
    _refuse_follower(change)
    if change.made_by_id == actor.pk:
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_CHANGE_COMMIT,
            subject_type="change",
            subject_id=str(change_id),
            purpose=purpose,
            outcome=Outcome.REFUSED,
            outcome_reason="same_person_as_maker",
        )
        raise AccessRefused(
            "入力した職員は本登録できません。別の職員が確認してください。", reason_code="same_person_as_maker"
        )
    # The people's and households' numbers and ids in one query, not one each: the people, the
    # households a row enters (its own) and those it leaves (the person's current one) are locked below.
    rows = list(
        ResidentSnapshot.objects.filter(change_id__in=[each.pk for each in changes]).values_list(
            "resident__atena_number",
            "household__number",
            "change_id",
            "resident_id",
            "household_id",
            "resident__current__household_id",
            "resident__current_id",
        )
    )
    numbers = [(atena, household) for atena, household, *_ in rows]
    people = {resident for _, _, _, resident, *_ in rows}
    households = {entered for *_, entered, _, _ in rows} | {left for *_, left, _ in rows}
    has_followers = any(change_id != change.pk for _, _, change_id, *_ in rows)
    # A 個人番号の変更 also needs 特定個人情報アクセス権限 (refusal audited outside the transaction).
    number_renewal.authorize_commit(change, actor=actor, purpose=purpose)
    with (
        services_restrictions.refusals_audited(
            actor=actor,
            purpose=purpose,
            action=AuditAction.RESIDENT_CHANGE_COMMIT,
            subject_type="change",
            subject_id=str(change_id),
        ),
        number_designation.refusal_audited(change_id, actor=actor, purpose=purpose),
        transaction.atomic(),
    ):
        # The maker comes with it (the CS update names the 操作者): one read, the change's row locked only.
        change = Change.objects.select_for_update(of=("self",)).select_related("made_by").get(pk=change_id)
        if change.state != ChangeState.DRAFT:  # committed or discarded concurrently
            raise refusal(
                "change_id",
                "この異動は既に処理されています。",
                "一覧を更新してください。",
                "registry.draft_already_processed",
            )
        # The households, then the people, locked (in id order, so concurrent commits never deadlock;
        # one statement each, performance.md P3) before the 異動入力 restrictions are checked: a 抑止
        # set meanwhile takes the same locks, so it is seen here or set after this commit
        # (restriction_locks). A person moved by another commit since ``rows`` was read makes this
        # draft stale: refused below, whatever the check finds.
        restriction_locks.lock_households(households)
        residents = restriction_locks.lock_residents(people)
        # Error → refused; alert → refused until acknowledged (audited by ``refusals_audited``).
        restriction = services_restrictions.enforce_in_transaction(
            atena_numbers=[atena for atena, _ in numbers],
            process=RestrictedProcess.CHANGE_ENTRY,
            acknowledged=acknowledged_alerts,
            household_numbers=[household for _, household in numbers],
            known=_households_seen_under_locks(rows, residents),
        )
        # A 一時解除 of 異動入力 lets one change through: its 本登録 uses it up (the draft only passed it).
        restriction = services_restrictions.consume_or_refuse(
            restriction, actor=actor, purpose=purpose, subject_type="change", subject_id=str(change_id)
        )
        acknowledged = require_acknowledged(services_restrictions.as_alerts(restriction), acknowledged_alerts)
        # Only now, with the draft locked, still a draft and not restricted, a 個人番号の変更 asks the
        # national node: unreachable → refused, this transaction rolls back, nothing changed (F22).
        renewed = number_renewal.new_individual_numbers(change, actor=actor, purpose=purpose)
        if renewed:
            number_renewal.store_individual_numbers(renewed)
        # A 職権 世帯主変更 entered with this draft (workflows.head_by_ex_officio) commits with it.
        # Looked up only when there are any: the usual commit issues no extra statement (P3).
        followers = (
            list(Change.objects.select_for_update().filter(follows=change, state=ChangeState.DRAFT))
            if has_followers
            else []
        )
        # Read after the new 個人番号 was stored: the CS update and the outbox take these rows.
        committed = in_history_order(_rows_of_change(change))
        following = {f.pk: list(f.snapshots.order_by("member_order", "pk")) for f in followers}
        committed_all = committed + [row for rows in following.values() for row in rows]
        # A person without a current row has no 履歴番号 yet (a commit sets both; a purge deletes both):
        # a 転入's new people need no read (P3).
        with_history = [pk for pk, resident in residents.items() if resident.current_id is not None]
        last_numbers = (
            dict(
                ResidentSnapshot.objects.filter(resident_id__in=with_history)
                .values("resident_id")
                .annotate(last=Max("history_no"))
                .values_list("resident_id", "last")
            )
            if with_history
            else {}
        )
        newly_coded: set[int] = set()  # rows given their first 住民票コード by this commit
        for snapshot in committed_all:
            resident = snapshot.resident = residents[snapshot.resident_id]  # the outbox reads it: no re-read
            last = last_numbers.get(resident.pk) or 0
            if snapshot.based_on_history_no is not None and snapshot.based_on_history_no != last:
                raise refusal(
                    "change_id",
                    "この異動の入力後に、同じ住民の別の異動が本登録されました。",
                    "この異動を破棄し、最新の住民票から入力し直してください。",
                    "registry.stale_draft",
                )
            snapshot.history_no = last_numbers[resident.pk] = last + 1
            resident.current = snapshot
            # 帰化・国籍喪失 change the 住民種別 on the new row; the person's column follows it here,
            # the one place every change becomes current.
            resident.kind = snapshot.kind
        uncoded = [s for s in committed_all if not s.juminhyo_code and s.status != ResidentStatus.REMOVED]
        for snapshot, code in zip(uncoded, numbering.take_juminhyo_codes(len(uncoded)), strict=True):
            snapshot.juminhyo_code = code  # one pool read per code, one UPDATE for all (P3)
            newly_coded.add(snapshot.pk)
        _write_commit_numbers(committed_all, list(residents.values()))
        # 出生 and a first 国外転入等: the 個人番号 of each newly coded person from the national node,
        # before the CS update carries it (番号法 第7条第1項; F06 3–4).
        number_designation.assign(change, committed, newly_coded=newly_coded, actor=actor, purpose=purpose)
        # Search keys are derived data: replaced, never versioned (standard 2.1.3-d).
        latest = {snapshot.resident_id: snapshot for snapshot in committed_all}  # each person's newest row
        # People without history before this commit (a 転入's) whose only row is ``latest``: no read of
        # earlier rows (P3). Rows of this commit besides the newest are earlier rows and are read.
        rows_per_person = Counter(snapshot.resident_id for snapshot in committed_all)
        first_rows = set(residents) - set(with_history) - {pk for pk, n in rows_per_person.items() if n > 1}
        rebuild_search_keys_many(
            [(residents[pk], snapshot) for pk, snapshot in latest.items()], first_rows=first_rows
        )
        events = outbox.append_events(change, committed)
        immigration_link.notify_committed(change, committed, events)  # 市町村通知 (standard 4.5.7-a)
        fuhyo_notices.notify_committed(
            change, newest_per_person(committed)
        )  # 戸籍附票記載事項通知 (住基法19条)
        number_renewal.send_addresses(change, committed, actor=actor)  # 個人番号通知書 (F22 step 4)
        for follower in followers:
            events = outbox.append_events(follower, following[follower.pk])
            immigration_link.notify_committed(follower, following[follower.pk], events)
        # Household 抑止 follow membership: sent to whoever joins, lifted for whoever leaves (3.1-g,
        # 3.2-a); the audit reason counts what was sent. Rare: no statement in a commit that touches
        # no suppressed household (P3).
        if restriction.joined_household_suppressions:
            joined = restriction_feed.members_joined(
                restriction.joined_household_suppressions, sorted(residents), actor=actor
            )
            acknowledged = restriction_feed.with_counts(acknowledged, "", joined)
        if restriction.left_household_suppressions:
            left = restriction_feed.members_left(
                restriction.left_household_suppressions, sorted(residents), actor=actor
            )
            acknowledged = restriction_feed.with_counts(acknowledged, "left: ", left)
        # A 支援措置 target's 転出 makes its measure a 仮支援措置 as 転出元 (3.4-h); a cancellation undoes it.
        support_roles.follow_committed_change(
            change=change, snapshots=committed, actor=actor, purpose=purpose
        )
        # A person a 転出元's 支援措置 notice waits for arrives: a 仮支援措置 protects them at once.
        support_arrivals.protect_arrivals(
            change=change, snapshots=committed, newly_coded=newly_coded, actor=actor, purpose=purpose
        )
        # 入力場所 (standard 1.2.1-a): the input terminal's place in force today (else the committer's
        # terminal's, for a draft that recorded none), fixed now so a later renaming never rewrites it.
        place_id = input_places.place_id_for_terminal(
            change.terminal_id or current_terminal_id(), timezone.localdate()
        )
        people_of = {change.pk: committed, **following}
        for each in [change, *followers]:
            locks.release_for_change(
                each, LockRelease.COMMITTED, actor, resident_ids=[s.resident_id for s in people_of[each.pk]]
            )
            each.state = ChangeState.COMMITTED
            each.reviewed_by = actor
            each.reviewed_at = timezone.now()
            each.input_place_id = place_id
            _store_review(each)
        for follower in followers:  # each change's commit has its own audit entry
            record_event(
                actor=actor,
                action=AuditAction.RESIDENT_CHANGE_COMMIT,
                subject_type="change",
                subject_id=str(follower.pk),
                purpose=purpose,
                reason=f"follows={change.pk}",
            )
        services_restrictions.acknowledge_alerts(
            restriction, actor=actor, purpose=purpose, subject_type="change", subject_id=str(change.pk)
        )
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_CHANGE_COMMIT,
            subject_type="change",
            subject_id=str(change.pk),
            purpose=purpose,
            reason=acknowledged,
        )
    return change


def _households_seen_under_locks(
    rows: list[tuple[Any, ...]], residents: dict[int, Resident]
) -> KnownHouseholds | None:
    """The households the restriction check would read, from the commit's first read, when the locks
    show that read still holds (performance.md P3: two statements fewer); else None, and it reads them.

    A person's current household is the household of their current row, which never changes once
    committed: the first read's value holds when the locked person has the same current row and
    宛名番号. The entered households' ids come with their numbers from the same draft rows.
    """
    current: dict[str, int | None] = {}
    entered: set[int] = set()
    for atena, number, _, resident_id, household_id, current_household_id, current_id in rows:
        locked = residents.get(resident_id)
        if locked is None or locked.current_id != current_id or locked.atena_number != atena:
            return None  # moved, renumbered or gone since the first read: read them again
        if atena:
            current[atena] = current_household_id
        if number:
            entered.add(household_id)
    return KnownHouseholds(current=current, entered=frozenset(entered))


def _refuse_follower(change: Change) -> None:
    """A change that follows another is committed or discarded with it, never on its own."""
    if change.follows_id is not None:
        raise refusal(
            "change_id",
            "この職権の異動は、元の異動と一緒に処理されます。",
            f"元の異動（異動番号 {change.follows_id}）を本登録または破棄してください。",
            "registry.follower_with_its_change",
        )


def _rows_of_change(change: Change) -> list[ResidentSnapshot]:
    """``change.snapshots`` in member order, by a read compiled once (fixed_sql, performance.md P3)."""
    rows = fixed_sql.instances(
        ("services.rows_of_change",),
        [change.pk],
        lambda: ResidentSnapshot.objects.filter(change_id=change.pk).order_by("member_order", "pk"),
    )
    for row in rows:
        row.change = change  # as the related manager sets it: no re-read
    return rows


def _store_review(change: Change) -> None:
    """UPDATE the change's 登録状態, reviewer, time and 入力場所 as ``save(update_fields=…)`` would
    (Change.save adds nothing to an update); its text is compiled once (fixed_sql, performance.md P3)."""
    values = {
        "state": change.state,
        "reviewed_by_id": change.reviewed_by_id,
        "reviewed_at": change.reviewed_at,
        "input_place_id": change.input_place_id,
    }
    fixed_sql.run(
        ("services.store_review",),
        [
            change.state,
            change.reviewed_by_id,
            fixed_sql.db_value(Change, "reviewed_at", change.reviewed_at),
            change.input_place_id,
            change.pk,
        ],
        fixed_sql.updating(lambda: Change.objects.filter(pk=change.pk), **values),
    )


def _write_commit_numbers(snapshots: list[ResidentSnapshot], residents: list[Resident]) -> None:
    """Store the snapshots' 履歴番号/住民票コード and the people's current row and 住民種別 (and clear
    their 除票データベース mark).

    One executemany each: bulk_update's CASE expressions cost more Python than the statements
    themselves (performance.md P3, measured with cProfile). Names come from the models, never input.
    """
    quote = connection.ops.quote_name

    def column(model: type[Model], name: str) -> str:
        field = model._meta.get_field(name)
        assert isinstance(field, Field)  # concrete columns only
        return quote(str(field.column))

    snapshot_sql = "UPDATE {} SET {} = %s, {} = %s WHERE id = %s".format(  # noqa: S608 (model names only)
        quote(ResidentSnapshot._meta.db_table),
        column(ResidentSnapshot, "history_no"),
        column(ResidentSnapshot, "juminhyo_code"),
    )
    # A committed row brings a person in the 除票データベース back into the live working set
    # (再転入, 1.1.5-e): the archive's mark on the person is cleared in the same statement.
    resident_sql = "UPDATE {} SET {} = %s, {} = %s, {} = NULL WHERE id = %s".format(  # noqa: S608 (model names only)
        quote(Resident._meta.db_table),
        column(Resident, "current"),
        column(Resident, "kind"),
        column(Resident, "archive_entry"),
    )
    for resident in residents:
        resident.archive_entry = None
    with connection.cursor() as cursor:
        cursor.executemany(snapshot_sql, [(s.history_no, s.juminhyo_code, s.pk) for s in snapshots])
        cursor.executemany(resident_sql, [(r.current_id, r.kind, r.pk) for r in residents])


def discard_change(*, actor: Any, purpose: str, change_id: int, reason: str) -> Change:
    """Discard a draft (e.g. entered in error); its snapshots never become history."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_CHANGE_DISCARD,
        purpose=purpose,
        subject_type="change",
        subject_id=str(change_id),
    )
    if not reason.strip():
        raise refusal(
            "reason",
            "破棄の理由が入力されていません。",
            "理由を入力してください。",
            "registry.reason_required",
        )
    with transaction.atomic():
        change = Change.objects.select_for_update().filter(pk=change_id).first()
        if change is None or change.state != ChangeState.DRAFT:
            raise refusal(
                "change_id",
                "確認待ちの異動が見つかりません。",
                "一覧を更新してください。",
                "registry.no_such_draft",
            )
        _refuse_follower(change)
        followers = list(Change.objects.select_for_update().filter(follows=change, state=ChangeState.DRAFT))
        for each in [change, *followers]:
            locks.release_for_change(each, LockRelease.DISCARDED, actor)
            each.state = ChangeState.DISCARDED
            each.reviewed_by = actor
            each.reviewed_at = timezone.now()
            each.save(update_fields=["state", "reviewed_by", "reviewed_at"])
        for follower in followers:
            record_event(
                actor=actor,
                action=AuditAction.RESIDENT_CHANGE_DISCARD,
                subject_type="change",
                subject_id=str(follower.pk),
                purpose=purpose,
                reason=f"follows={change.pk}",
            )
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_CHANGE_DISCARD,
            subject_type="change",
            subject_id=str(change.pk),
            purpose=purpose,
            reason=reason,
        )
    return change
