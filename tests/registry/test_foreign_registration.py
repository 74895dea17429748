"""住基法30条の46 and 30条の47 registrations (standard 4.5.1-a, 4.5.2-a, 4.1.1.2-a)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain import recorded_dates
from jumin.domain.errors import DomainError
from jumin.domain.resident import (
    ChangeReason,
    ForeignResidentItems,
    ResidentKind,
    ResidentStatus,
    Sex,
    parse_former_alien_registration_date,
)
from jumin.registry.models import Change
from jumin.registry.selectors import resident_record
from jumin.registry.services import DraftRecorded
from jumin.registry.workflows.acknowledgement import UnacknowledgedAlertsError
from jumin.registry.workflows.ex_officio import ExOfficioRemoval, RecordBook, record_ex_officio_removal
from jumin.registry.workflows.foreign_registration import (
    ForeignRegistration,
    RegistrationBasis,
    record_foreign_registration,
)
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, current, logged_in, person
from tests.registry.test_naturalisation import FOREIGN_ADDRESS, foreign_person
from tests.registry.test_views import move_in_form

pytestmark = pytest.mark.django_db


def today() -> date:
    return timezone.localdate()


def registration(*members: Any, **overrides: Any) -> ForeignRegistration:
    values: dict[str, Any] = {
        "basis": RegistrationBasis.ARRIVAL,
        "members": list(members) or [foreign_person()],
        "address": FOREIGN_ADDRESS,
        "address_set_date": today() - timedelta(days=5),
        "notification_date": today(),
    }
    values.update(overrides)
    return ForeignRegistration(**values)


def test_4_5_1_a_an_arrival_is_recorded_as_a_move_in_from_abroad_with_a_blank_previous_address(
    clerk: User, code_pool: list[str], commit: Callable[..., DraftRecorded]
) -> None:
    spouse = foreign_person(
        given_name="THI MAI",
        given_name_kana="ティマイ",
        relationship="妻",
        sex=Sex.FEMALE,
        born=date(1992, 2, 29),
        foreign=ForeignResidentItems(
            nationality_code="704",
            category="中長期在留者",
            residence_status="家族滞在",
            period_of_stay="3年",
            stay_expiry_date="2029-10-31",
            residence_card_number="EF87654321GH",
        ),
    )
    draft = commit(
        record_foreign_registration(
            actor=clerk,
            purpose=PURPOSE,
            registration=registration(foreign_person(), spouse, landing_permit=True),
        )
    )
    change = Change.objects.get(pk=draft.change_id)
    assert (change.reason, change.change_date, change.notification_kind) == (
        ChangeReason.MOVE_IN_FROM_ABROAD,
        today() - timedelta(days=5),
        "届出",
    )
    head, wife = (current(a) for a in draft.atena_numbers)
    assert (head.is_head, wife.relationship, head.household_id) == (True, "妻", wife.household_id)
    assert head.previous_address == ""
    assert recorded_dates.from_json(head.became_resident_date) == today() - timedelta(days=5)
    assert head.juminhyo_code  # taken from the pool at commit
    assert head.foreign is not None
    assert (
        head.foreign["registration_basis"],
        head.foreign["residence_notification"],
        head.foreign["landing_permit_move_in"],
    ) == ("法30条の46", True, True)
    assert AuditEntry.objects.get(action="resident:foreign_registration:record").reason == "法30条の46"


def test_4_5_2_a_a_resident_becoming_a_mid_long_term_resident_starts_on_that_day(
    clerk: User, code_pool: list[str], commit: Callable[..., DraftRecorded]
) -> None:
    became = today() - timedelta(days=2)
    draft = commit(
        record_foreign_registration(
            actor=clerk,
            purpose=PURPOSE,
            registration=registration(
                basis=RegistrationBasis.STATUS_ACQUIRED,
                address_set_date=date(2026, 6, 1),
                became_foreign_resident_on=became,
            ),
        )
    )
    row = current(draft.atena_numbers[0])
    assert recorded_dates.from_json(row.became_resident_date) == became
    assert recorded_dates.from_json(row.address_set_date) == date(2026, 6, 1)
    assert row.foreign is not None
    assert row.foreign["registration_basis"] == "法30条の47"
    assert Change.objects.get(pk=draft.change_id).change_date == became


@pytest.mark.parametrize(
    ("basis", "overrides"),
    [
        (RegistrationBasis.ARRIVAL, {"address_set_date": date(2026, 10, 1)}),
        (
            RegistrationBasis.STATUS_ACQUIRED,
            {"address_set_date": date(2026, 5, 1), "became_foreign_resident_on": date(2026, 10, 1)},
        ),
    ],
)
def test_a_notification_more_than_14_days_late_needs_the_alert_acknowledged(
    clerk: User, code_pool: list[str], basis: RegistrationBasis, overrides: dict[str, Any]
) -> None:
    late = registration(basis=basis, notification_date=date(2026, 10, 16), **overrides)
    changes = Change.objects.count()
    with pytest.raises(UnacknowledgedAlertsError) as raised:
        record_foreign_registration(actor=clerk, purpose=PURPOSE, registration=late)
    assert [a.code for a in raised.value.alerts] == ["registry.late_foreign_registration"]
    assert basis.value in raised.value.alerts[0].message
    assert Change.objects.count() == changes
    on_time = registration(basis=basis, notification_date=date(2026, 10, 15), **overrides)
    assert record_foreign_registration(actor=clerk, purpose=PURPOSE, registration=on_time).alerts == ()
    draft = record_foreign_registration(
        actor=clerk,
        purpose=PURPOSE,
        registration=registration(
            basis=basis,
            notification_date=date(2026, 10, 16),
            acknowledged_alerts=["registry.late_foreign_registration"],
            members=[foreign_person(foreign=_card("XY00000001ZZ"))],
            **overrides,
        ),
    )
    entry = AuditEntry.objects.get(
        action="resident:foreign_registration:record", subject_id=str(draft.change_id)
    )
    assert entry.reason == f"{basis.value}; acknowledged=registry.late_foreign_registration"


def _card(number: str, category: str = "中長期在留者") -> ForeignResidentItems:
    return ForeignResidentItems(
        nationality_code="156",
        category=category,
        residence_status="留学",
        period_of_stay="2年",
        stay_expiry_date="2028-09-30",
        residence_card_number=number,
    )


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"members": [person()]}, "registry.foreign_registration_japanese"),
        (
            {
                "members": [
                    foreign_person(
                        foreign=ForeignResidentItems(nationality_code="156", category="経過滞在者")
                    )
                ]
            },
            "registry.foreign_registration_category",
        ),
        ({"notification_date": today() - timedelta(days=6)}, "registry.notified_before_move"),
        ({"address_set_date": today() + timedelta(days=1)}, "registry.future_event_date"),
        (
            {"became_foreign_resident_on": today() - timedelta(days=1)},
            "registry.arrival_start_is_address_date",
        ),
        ({"basis": RegistrationBasis.STATUS_ACQUIRED}, "registry.status_date_required"),
        (
            {
                "basis": RegistrationBasis.STATUS_ACQUIRED,
                "became_foreign_resident_on": today() - timedelta(days=9),
            },
            "registry.status_before_address",
        ),
        ({"members": [foreign_person(relationship="子")]}, "registry.one_head_required"),
        ({"address": FOREIGN_ADDRESS.__class__(address=" ")}, "registry.address_required"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    clerk: User, code_pool: list[str], overrides: dict[str, Any], code: str
) -> None:
    changes = Change.objects.count()
    with pytest.raises(DomainError) as raised:
        record_foreign_registration(actor=clerk, purpose=PURPOSE, registration=registration(**overrides))
    assert raised.value.code == code
    assert raised.value.field
    assert raised.value.remedy
    assert Change.objects.count() == changes


def test_4_1_1_2_a_a_residence_card_number_of_a_removed_person_reuses_their_atena_number(
    clerk: User, code_pool: list[str], commit: Callable[..., DraftRecorded]
) -> None:
    first = commit(record_foreign_registration(actor=clerk, purpose=PURPOSE, registration=registration()))
    atena = first.atena_numbers[0]
    with pytest.raises(DomainError) as current_resident:
        record_foreign_registration(actor=clerk, purpose=PURPOSE, registration=registration())
    assert current_resident.value.code == "registry.move_in_of_current_resident"
    commit(
        record_ex_officio_removal(
            actor=clerk,
            purpose=PURPOSE,
            removal=ExOfficioRemoval(
                atena_numbers=[atena],
                removal_date=today(),
                record=RecordBook("住民基本台帳法施行令第12条第1項", today(), "出国", "出国を確認"),
            ),
        )
    )
    assert current(atena).status == ResidentStatus.REMOVED
    again = commit(record_foreign_registration(actor=clerk, purpose=PURPOSE, registration=registration()))
    assert again.atena_numbers == (atena,)
    assert current(atena).status == ResidentStatus.RESIDENT
    assert current(atena).history_no == 3


def test_a_person_can_join_an_existing_household(
    clerk: User, code_pool: list[str], commit: Callable[..., DraftRecorded]
) -> None:
    first = commit(record_foreign_registration(actor=clerk, purpose=PURPOSE, registration=registration()))
    child = foreign_person(
        given_name="MINH",
        given_name_kana="ミン",
        relationship="子",
        born=date(2015, 3, 3),
        foreign=_card("CD11112222EF"),
    )
    joined = commit(
        record_foreign_registration(
            actor=clerk,
            purpose=PURPOSE,
            registration=registration(child, household_number=first.household_number),
        )
    )
    assert current(joined.atena_numbers[0]).member_order == 2
    assert current(joined.atena_numbers[0]).kind == ResidentKind.FOREIGN


# --- API and screen -------------------------------------------------------------------------------


def _member_json(card: str = "AB12345678CD") -> dict[str, Any]:
    return {
        "kind": "F",
        "surname": "NGUYEN",
        "given_name": "VAN AN",
        "surname_kana": "グエン",
        "given_name_kana": "バンアン",
        "birth_date": "1990-05-01",
        "sex": "male",
        "relationship": "世帯主",
        "foreign": {
            "nationality_code": "704",
            "category": "中長期在留者",
            "residence_status": "技能",
            "period_of_stay": "1年",
            "stay_expiry_date": "2027-12-31",
            "residence_card_number": card,
        },
    }


def test_api_registration_permission_triple(make_staff: Callable[..., object], code_pool: list[str]) -> None:
    cards = iter(["AA00000001AA", "AA00000002AA", "AA00000003AA"])

    def body() -> str:
        return json.dumps(
            {
                "purpose": PURPOSE,
                "basis": "法30条の46",
                "members": [_member_json(next(cards))],
                "address": {"address": "長崎県佐世保市島瀬町2番3号"},
                "address_set_date": (today() - timedelta(days=2)).isoformat(),
                "notification_date": today().isoformat(),
            }
        )

    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/foreign/registration",
        Permission.RESIDENT_RECORD,
        data=body,
        content_type="application/json",
        success_status=(201,),
    )


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "purpose": PURPOSE,
        "basis": "法30条の46",
        "surname": "NGUYEN",
        "given_name": "VAN AN",
        "surname_kana": "グエン",
        "given_name_kana": "バンアン",
        "birth_date": "1990-05-01",
        "sex": "male",
        "relationship": "世帯主",
        "nationality_code": "704",
        "foreign_category": "中長期在留者",
        "residence_status": "技能",
        "period_of_stay": "1年",
        "stay_expiry_date": "2027-12-31",
        "residence_card_number": "AB12345678CD",
        "address": "長崎県佐世保市島瀬町2番3号",
        "address_set_date": (today() - timedelta(days=20)).isoformat(),
        "notification_date": today().isoformat(),
    }
    data.update(overrides)
    return data


def test_registration_screen_asks_for_the_late_alert_then_drafts(clerk: User, code_pool: list[str]) -> None:
    client = logged_in(clerk)
    url = reverse("registry:foreign_registration")
    assert client.get(url).status_code == 200
    pending = client.post(url, _form())
    assert 'value="registry.late_foreign_registration"' in pending.content.decode()
    assert not Change.objects.exists()
    done = client.post(url, {**_form(), "acknowledged_alerts": "registry.late_foreign_registration"})
    assert "仮登録しました" in done.content.decode()
    assert Change.objects.get().reason == ChangeReason.MOVE_IN_FROM_ABROAD


def test_registration_screen_permission_triple(
    make_staff: Callable[..., object], code_pool: list[str]
) -> None:
    cards = iter(["AA00000001AA", "AA00000002AA", "AA00000003AA"])
    assert_permission_triple(
        make_staff,
        "post",
        reverse("registry:foreign_registration"),
        Permission.RESIDENT_RECORD,
        data=lambda: _form(
            address_set_date=(today() - timedelta(days=2)).isoformat(), residence_card_number=next(cards)
        ),
    )


# --- Category periods and the 旧外登法登録年月日 (standard 1.1.2-a/b, 1.1.6-a, 1.1.8-c) -----------------


def _refugee(**items: str) -> Any:
    values = {"nationality_code": "104", "category": "一時庇護許可者", "landing_period": "6月", **items}
    return foreign_person(
        foreign=ForeignResidentItems(**values),
        former_alien_registration_date=parse_former_alien_registration_date("平成15年頃", field="f"),
    )


def test_1_1_2_a_a_temporary_refugee_keeps_the_landing_period_and_the_former_registration_date(
    clerk: User, reviewer: User, code_pool: list[str], commit: Callable[..., DraftRecorded]
) -> None:
    draft = commit(
        record_foreign_registration(actor=clerk, purpose=PURPOSE, registration=registration(_refugee()))
    )
    row = current(draft.atena_numbers[0])
    assert (row.foreign["category"], row.foreign["landing_period"]) == ("一時庇護許可者", "6月")
    kept = recorded_dates.from_json(row.former_alien_registration_date)
    assert recorded_dates.display(kept) == "平成15年頃"  # 不詳 kept as entered (1.1.8-c)
    shown = resident_record(actor=reviewer, purpose=PURPOSE, atena_number=draft.atena_numbers[0])
    assert (shown.foreign_category, shown.category_period_label) == ("一時庇護許可者", "上陸期間")
    # The period is a 在留資格 item: masked without the field permission, like the 在留資格 itself.
    assert shown.category_period == "＊＊＊＊"
    assert shown.former_alien_registration_date == "平成15年頃"


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ({"landing_period": ""}, "landing_period"),
        ({"category": "仮滞在許可者", "landing_period": ""}, "provisional_stay_period"),
    ],
)
def test_1_1_6_a_a_refugee_or_provisional_stay_without_its_period_is_refused(
    clerk: User, code_pool: list[str], items: dict[str, str], field: str
) -> None:
    with pytest.raises(DomainError) as raised:
        record_foreign_registration(
            actor=clerk, purpose=PURPOSE, registration=registration(_refugee(**items))
        )
    assert (raised.value.field, raised.value.code) == (field, "resident.required")
    assert not Change.objects.exists()


def test_the_api_takes_the_period_and_refuses_a_registration_date_after_the_act(
    clerk: User, code_pool: list[str]
) -> None:
    client = logged_in(clerk)
    member = {
        **_member_json(),
        "foreign": {"nationality_code": "104", "category": "仮滞在許可者", "provisional_stay_period": "3月"},
        "former_alien_registration_date": "平成24年7月9日",
    }
    body = {
        "purpose": PURPOSE,
        "basis": "法30条の46",
        "members": [member],
        "address": {"address": "長崎県佐世保市島瀬町2番3号"},
        "address_set_date": (today() - timedelta(days=2)).isoformat(),
        "notification_date": today().isoformat(),
    }
    url = "/api/registry/foreign/registration"
    refused = client.post(url, json.dumps(body), content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["field"] == "members[0].former_alien_registration_date"
    assert not Change.objects.exists()
    member["former_alien_registration_date"] = "年月日不詳"
    created = client.post(url, json.dumps(body), content_type="application/json")
    assert created.status_code == 201
    row = Change.objects.get().snapshots.get()
    assert row.foreign["provisional_stay_period"] == "3月"
    assert (
        recorded_dates.display(recorded_dates.from_json(row.former_alien_registration_date)) == "年月日不詳"
    )


def test_the_registration_screen_takes_the_landing_period_and_the_former_registration_date(
    clerk: User, code_pool: list[str]
) -> None:
    client = logged_in(clerk)
    url = reverse("registry:foreign_registration")
    form = _form(
        foreign_category="一時庇護許可者",
        residence_status="",
        period_of_stay="",
        stay_expiry_date="",
        residence_card_number="",
        landing_period="6月",
        former_alien_registration_date="平成10年4月1日",
        address_set_date=(today() - timedelta(days=2)).isoformat(),
    )
    assert "上陸期間" in client.get(url).content.decode()
    done = client.post(url, form)
    assert "仮登録しました" in done.content.decode()
    row = Change.objects.get().snapshots.get()
    assert row.foreign["landing_period"] == "6月"
    assert row.former_alien_registration_date == {
        "kind": "wareki",
        "era": "heisei",
        "year": 10,
        "month": 4,
        "day": 1,
    }


def test_a_move_in_carries_the_transitional_flag_and_the_former_registration_date(
    clerk: User, code_pool: list[str]
) -> None:
    member = {
        **_member_json(),
        "foreign": {"nationality_code": "840", "category": "経過滞在者", "transitional_reason": "国籍喪失"},
        "former_alien_registration_date": "昭和60年5月頃",
    }
    body = {
        "purpose": PURPOSE,
        "members": [member],
        "address": {"address": "長崎県佐世保市相生町1番1号"},
        "move_in_date": (today() - timedelta(days=3)).isoformat(),
        "notification_date": today().isoformat(),
        "previous_address": "東京都日野市神明1丁目1番1号",
    }
    client = logged_in(clerk)
    url = "/api/registry/move-ins"
    unflagged = {**member, "foreign": {**member["foreign"], "transitional_reason": ""}}
    refused = client.post(url, json.dumps({**body, "members": [unflagged]}), content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "resident.transitional_reason"
    created = client.post(url, json.dumps(body), content_type="application/json")
    assert created.status_code == 201
    row = Change.objects.get().snapshots.get()
    assert row.foreign["transitional_reason"] == "国籍喪失"
    registered = recorded_dates.from_json(row.former_alien_registration_date)
    assert recorded_dates.display(registered) == "昭和60年5月頃"


def test_the_move_in_screen_takes_the_provisional_stay_period_and_the_former_registration_date(
    clerk: User, code_pool: list[str]
) -> None:
    foreign_row = {
        "form-0-kind": "F",
        "form-0-surname": "NGUYEN",
        "form-0-surname_kana": "グエン",
        "form-0-birth_date": "1990-05-01",
        "form-0-honseki": "",
        "form-0-hittousha": "",
        "form-0-nationality_code": "104",
        "form-0-foreign_category": "仮滞在許可者",
        "form-0-provisional_stay_period": "3月",
        "form-0-former_alien_registration_date": "平成15年頃",
    }
    client = logged_in(clerk)
    screen = {**move_in_form(**{"form-TOTAL_FORMS": "1"}), **foreign_row}
    missing = client.post("/registry/move-in/", {**screen, "form-0-provisional_stay_period": ""})
    assert "仮滞在許可者の仮滞在期間が入力されていません" in missing.content.decode()
    assert not Change.objects.exists()
    entered = client.post("/registry/move-in/", screen)
    assert "仮登録しました" in entered.content.decode()
    row = Change.objects.get().snapshots.get()
    assert row.foreign["provisional_stay_period"] == "3月"
    registered = recorded_dates.from_json(row.former_alien_registration_date)
    assert recorded_dates.display(registered) == "平成15年頃"
