"""再転入 on an ordinary 転入 (standard 4.1.1.2-b, 1.1.7-b; docs/workflows/move-in.md).

A person removed from this municipality earlier (a 除票) who moves back in keeps their 宛名番号
(``services.record_move_in``'s forced match by 住民票コード or 個人番号). On the entry screen and API the
clerk can also look the 除票 up by 4情報 or 住民票コード (``find_returning``, audited as a list naming
each person listed), open one (``returning_prefill``, audited as viewed, 照会 suppressions apply) and
start the 転入 form from its data. Nothing is written by either: the 転入 is entered and reviewed as
usual, and the 除票 itself is never changed. The chosen 除票 goes with the draft
(``MoveIn.returning_atena_numbers``, ``chosen_returning``).

A returner from abroad (国外転入等 after a 国外転出 from here) keeps the 旧氏 or 通称 held at departure
(1.1.7-b): ``carry_departure_names`` puts them back when the form leaves them blank.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q

from jumin.accounts.authorization import authorize, mask, visible_fields
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_results
from jumin.domain import recorded_dates
from jumin.domain.errors import Alert, refusal
from jumin.domain.kana import kana_search_key
from jumin.domain.relationships import parse_relationship
from jumin.domain.resident import (
    ChangeReason,
    ForeignResidentItems,
    PersonFacts,
    ResidentKind,
    ResidentStatus,
    Sex,
)
from jumin.registry.models import Resident, ResidentSearchKey, ResidentSnapshot
from jumin.registry.removed_archive import archived_keys
from jumin.registry.restrictions import marks_of_people
from jumin.registry.search_keys import variant_name_key
from jumin.registry.selectors_common import RESIDENCE_STATUS_ITEMS, audited_inquiry, resident_not_found

MAX_CANDIDATES = 20
_CODE = "registry.returning"


@dataclass(frozen=True)
class ReturningQuery:
    """What the clerk knows of a returning person: the 住民票コード, or 氏名 (or its フリガナ) and
    生年月日, narrowed by 性別 and the 除票's 住所 (前方一致) when given."""

    juminhyo_code: str = ""
    name: str = ""
    name_kana: str = ""
    birth_date: date | None = None
    sex: Sex | None = None
    address: str = ""


@dataclass(frozen=True)
class ReturningCandidate:
    """One 除票 listed for the clerk to pick; the 住民票コード masked without its grant (C-10)."""

    atena_number: str
    surname: str
    given_name: str
    surname_kana: str
    given_name_kana: str
    birth_date: str
    sex: str
    address: str
    removal_reason: str
    removal_date: str
    juminhyo_code: str
    # The marks a result list shows (standard 3.1-f, 2.2.4-a): opening the 除票 is then a 照会 the
    # suppression may refuse or alert on (``returning_prefill``).
    suppressed: bool = False
    support_measure: bool = False


@dataclass(frozen=True)
class ReturningPrefill:
    """The 除票's data as the starting data of a 転入 member row (every item editable).

    ``honseki_hidden``: the clerk lacks the 本籍 grant (C-10), so 本籍・筆頭者 are left blank to enter.
    ``left_for_abroad``: the 除票 is a 国外転出, so on a 国外転入等 the 旧氏・通称 are kept (1.1.7-b).
    """

    atena_number: str
    facts: PersonFacts
    birth_date_text: str
    previous_address: str
    honseki_hidden: bool
    left_for_abroad: bool


def _query_q(query: ReturningQuery) -> tuple[Q, str]:
    """The search-key condition and the audit's key kinds; refused when too broad to name a person."""
    if query.juminhyo_code.strip():
        code = query.juminhyo_code.strip()
        if not (code.isascii() and code.isdigit() and len(code) == 11):
            raise refusal(
                "juminhyo_code",
                "住民票コードは11桁の数字です。",
                "転出証明書などに記載された住民票コードを確認してください。",
                f"{_CODE}.code_format",
            )
        return Q(juminhyo_code=code), "juminhyo_code"
    if not (query.name.strip() or query.name_kana.strip()) or query.birth_date is None:
        raise refusal(
            "name",
            "除票を探す条件が足りません。",
            "住民票コード、または氏名（またはフリガナ）と生年月日を入力してください。",
            f"{_CODE}.too_broad",
        )
    keys = []
    condition = Q(birth_sort_date=query.birth_date)
    if query.name.strip():
        condition &= Q(variant_key=variant_name_key(query.name))
        keys.append("name")
    if query.name_kana.strip():
        condition &= Q(full_key=kana_search_key(query.name_kana, field="name_kana"))
        keys.append("kana_name")
    keys.append("birth_date")
    if query.sex is not None:
        condition &= Q(sex=query.sex)
        keys.append("sex")
    if query.address.strip():
        condition &= Q(address__startswith=query.address.strip())
        keys.append("address")
    return condition, "+".join(keys)


def find_returning(*, actor: Any, purpose: str, query: ReturningQuery) -> list[ReturningCandidate]:
    """The 除票 matching ``query`` (at most ``MAX_CANDIDATES``), for a 転入 entry to pick from.

    Current residents are never listed (their 転入 is refused anyway). One audit entry lists every
    person shown (``record_results``, C-42); its summary names the kinds of keys, never their values.
    """
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_RECORD_LIST,
        purpose=purpose,
        subject_type="resident",
    )
    condition, summary = _query_q(query)
    visible = visible_fields(actor)
    with transaction.atomic():
        # Live 除票 first, then those in the 除票データベース (standard 1.1.5-f).
        ids = [
            resident_id
            for keys in (ResidentSearchKey.objects.all(), archived_keys())
            for resident_id in keys.filter(condition, status=ResidentStatus.REMOVED)
            .values_list("resident_id", flat=True)
            .distinct()
            .order_by("resident_id")[:MAX_CANDIDATES]
        ][:MAX_CANDIDATES]
        people = list(
            Resident.objects.filter(pk__in=ids, current__status=ResidentStatus.REMOVED)
            .select_related("current")
            .order_by("atena_number")
        )
        marks = marks_of_people(
            {p.atena_number: (p.pk, p.current.household_id) for p in people if p.current is not None}
        )
        found = [
            dataclasses.replace(
                _candidate(person, visible),
                suppressed=marks[person.atena_number].suppressed,
                support_measure=marks[person.atena_number].support_measure,
            )
            for person in people
            if person.current is not None
        ]
        record_results(
            actor,
            "resident",
            [candidate.atena_number for candidate in found],
            purpose,
            summary,
            action=AuditAction.RESIDENT_RECORD_LIST,
            reason="転入（再転入）の除票検索",
        )
    return found


def _candidate(person: Resident, visible: frozenset[Permission]) -> ReturningCandidate:
    row = person.current
    assert row is not None  # filtered by the caller
    return ReturningCandidate(
        atena_number=person.atena_number,
        surname=row.surname,
        given_name=row.given_name,
        surname_kana=row.surname_kana,
        given_name_kana=row.given_name_kana,
        birth_date=_birth_text(row),
        sex=row.sex,
        address=row.address,
        removal_reason=row.removal_reason,
        removal_date=recorded_dates.display(row.removal_date) if row.removal_date else "",
        juminhyo_code=mask(row.juminhyo_code, visible=Permission.FIELD_JUMINHYO_CODE_VIEW in visible)
        if row.juminhyo_code
        else "",
    )


def _birth_text(row: ResidentSnapshot) -> str:
    """The birth date as the 転入 form takes it: 和暦, or 西暦 (YYYY-MM-DD) for a foreign resident."""
    born = recorded_dates.from_json(row.birth_date)
    if row.kind == ResidentKind.FOREIGN and isinstance(born, date):
        return born.isoformat()
    return recorded_dates.display(born)


def returning_prefill(
    *, actor: Any, purpose: str, atena_number: str, acknowledged_alerts: tuple[str, ...] = ()
) -> ReturningPrefill:
    """Open one 除票 as the starting data of a 転入 member (audited as viewed; 照会 suppressions apply).

    本籍・筆頭者 only with the 本籍 grant, the 在留資格 items only with theirs (C-10); the 住民票コード is
    not part of it (the draft keeps the 除票's own, ``chosen_returning``). Refused for a current resident.
    """
    number = atena_number.strip()
    with audited_inquiry(
        actor=actor,
        purpose=purpose,
        atena_number=number,
        action=AuditAction.RESIDENT_RECORD_VIEW,
        acknowledged_alerts=acknowledged_alerts,
        reason="転入（再転入）の入力補助",
    ):
        person = Resident.objects.select_related("current").filter(atena_number=number).first()
        row = person.current if person is not None else None
        if row is None or row.history_no is None:
            raise resident_not_found()
        if row.status != ResidentStatus.REMOVED:
            raise _not_removed("atena_number")
        visible = visible_fields(actor)
    honseki_shown = Permission.FIELD_HONSEKI_VIEW in visible
    facts = PersonFacts(
        kind=ResidentKind(row.kind),
        surname=row.surname,
        given_name=row.given_name,
        surname_kana=row.surname_kana,
        given_name_kana=row.given_name_kana,
        kana_confirmed=row.kana_confirmed,
        former_surname_kana_confirmed=row.former_surname_kana_confirmed,
        alias_kana_confirmed=row.alias_kana_confirmed,
        birth_date=recorded_dates.from_json(row.birth_date),
        sex=Sex(row.sex),
        relationship=parse_relationship(row.relationship),
        former_surname=row.former_surname,
        former_surname_kana=row.former_surname_kana,
        alias=row.alias,
        alias_kana=row.alias_kana,
        honseki=row.honseki if honseki_shown else "",
        hittousha=row.hittousha if honseki_shown else "",
        foreign=_foreign_items(row, Permission.FIELD_RESIDENCE_STATUS_VIEW in visible),
        former_alien_registration_date=(
            recorded_dates.from_json(row.former_alien_registration_date)
            if row.former_alien_registration_date
            else None
        ),
    )
    return ReturningPrefill(
        atena_number=number,
        facts=facts,
        birth_date_text=_birth_text(row),
        previous_address=row.planned_destination,
        honseki_hidden=not honseki_shown,
        left_for_abroad=row.removal_reason == ChangeReason.MOVE_OUT_ABROAD,
    )


def _foreign_items(row: ResidentSnapshot, residence_status_shown: bool) -> ForeignResidentItems | None:
    if row.kind != ResidentKind.FOREIGN or not row.foreign:
        return None
    names = {field.name for field in dataclasses.fields(ForeignResidentItems)}
    items = {key: str(value) for key, value in row.foreign.items() if key in names}
    if not residence_status_shown:
        items.update(dict.fromkeys(RESIDENCE_STATUS_ITEMS, ""))  # C-10: not prefilled for such a clerk
    items.setdefault("nationality_code", "")
    items.setdefault("category", "")
    return ForeignResidentItems(**items)


def _not_removed(field: str) -> Exception:
    return refusal(
        field,
        "この方は既に住民として記録されています。",
        "転入ではなく転居または修正として処理してください。",
        "registry.move_in_of_current_resident",
    )


def chosen_returning(atena_number: str, found: Resident | None, index: int) -> Resident | None:
    """The member's former resident: the 除票 the clerk chose (``returning_atena_numbers``) merged with
    the one a 住民票コード or 個人番号 forces. A chosen number that is no 除票, or two different people,
    are refused (nothing is written)."""
    number = atena_number.strip()
    if not number:
        return found
    field = f"members[{index}].returning_atena_number"
    chosen = Resident.objects.select_related("current").filter(atena_number=number).first()
    if chosen is None or chosen.current is None:
        raise refusal(
            field,
            "選んだ除票が見つかりません。",
            "除票を検索し直して選んでください。",
            f"{_CODE}.not_found",
        )
    if chosen.current.status != ResidentStatus.REMOVED:
        raise _not_removed(field)
    if found is not None and found.pk != chosen.pk:
        raise refusal(
            field,
            "選んだ除票と、住民票コードまたは個人番号が一致した除票が別の方です。",
            "選んだ除票と転出証明書の住民票コード・個人番号を確認してください。",
            "registry.returning_mismatch",
        )
    return chosen


def with_former_code(facts: PersonFacts, previous: Resident | None) -> PersonFacts:
    """A returning person entered without a 住民票コード keeps the one on their 除票."""
    row = previous.current if previous is not None else None
    if facts.juminhyo_code or row is None or not row.juminhyo_code:
        return facts
    return dataclasses.replace(facts, juminhyo_code=row.juminhyo_code)


def left_for_abroad(previous: Resident | None, facts: PersonFacts, reason: ChangeReason) -> bool:
    """1.1.7-b applies: a 国外転入等 of the person whose 除票 here is a 国外転出 (so this is the first
    return since that departure), of the same 住民種別."""
    row = previous.current if previous is not None else None
    return (
        reason is ChangeReason.MOVE_IN_FROM_ABROAD
        and row is not None
        and row.removal_reason == ChangeReason.MOVE_OUT_ABROAD
        and row.kind == facts.kind
    )


def carry_departure_names(
    facts: PersonFacts, previous: Resident | None, reason: ChangeReason
) -> tuple[PersonFacts, list[Alert]]:
    """The 旧氏 (Japanese) or 通称 (foreign) held at the 国外転出, kept on the returner's new record
    when the entry leaves it blank (1.1.7-b): deleting one is a separate 請求 or 申出, not a 転入."""
    if not left_for_abroad(previous, facts, reason):
        return facts, []
    row = previous.current if previous is not None else None
    assert row is not None
    if facts.kind is ResidentKind.JAPANESE and row.former_surname and not facts.former_surname.strip():
        carried = dataclasses.replace(
            facts, former_surname=row.former_surname, former_surname_kana=row.former_surname_kana
        )
        return carried, [_kept_alert("former_surname", "旧氏")]
    if facts.kind is ResidentKind.FOREIGN and row.alias and not facts.alias.strip():
        carried = dataclasses.replace(facts, alias=row.alias, alias_kana=row.alias_kana)
        return carried, [_kept_alert("alias", "通称")]
    return facts, []


def _kept_alert(field: str, label: str) -> Alert:
    return Alert(
        field, f"国外からの再転入です。転出時の{label}を引き継ぎました。", f"{_CODE}.departure_names_kept"
    )


def departure_alias_history(previous: Resident | None) -> list[Any]:
    """The 通称 history (30条の45 items) of the 除票, kept on a foreign returner's new record."""
    row = previous.current if previous is not None else None
    history = (row.foreign or {}).get("alias_history") if row is not None else None
    return list(history) if history else []


def foreign_initial(facts: PersonFacts) -> dict[str, str] | None:
    """The 30条の45 items of a prefill as a dict (API body, screen row), None for a Japanese resident."""
    return dataclasses.asdict(facts.foreign) if facts.foreign is not None else None
