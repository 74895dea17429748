"""帰化・国籍取得 and 国籍喪失 (standard 4.5.3-a, 4.5.4-a, 4.5.5-a/b; system.md F09)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain import recorded_dates
from jumin.domain.checkdigits import mynumber_check_digit
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason, ForeignResidentItems, ResidentKind, Sex
from jumin.domain.wareki import WarekiDate
from jumin.registry.models import Change, ExOfficioRecord, ResidentSnapshot
from jumin.registry.selectors import resident_history
from jumin.registry.services import Address, DraftRecorded, MoveIn, record_move_in
from jumin.registry.workflows.acknowledgement import UnacknowledgedAlertsError
from jumin.registry.workflows.cancellation import Cancellation, record_cancellation
from jumin.registry.workflows.naturalisation import (
    LossOfNationality,
    NationalityEvent,
    Naturalisation,
    PersonName,
    record_loss_of_nationality,
    record_naturalisation,
)
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, current, logged_in, person
from tests.registry.conftest import commit as commit  # re-exported: other tests import it from here
from tests.registry.test_move_in import family_move_in

pytestmark = pytest.mark.django_db

HONSEKI = "長崎県佐世保市八幡町1番地"
FOREIGN_ADDRESS = Address(
    address="長崎県佐世保市島瀬町2番3号", katagaki="島瀬ハイツ302号", postal_code="8570806"
)


def today() -> date:
    return timezone.localdate()


def foreign_person(**extra: Any) -> Any:
    """A foreign resident (中長期在留者) born 1990-05-01; tests override what matters to them."""
    values: dict[str, Any] = {
        "surname": "NGUYEN",
        "given_name": "VAN AN",
        "surname_kana": "グエン",
        "given_name_kana": "バンアン",
        "born": date(1990, 5, 1),
        "kind": ResidentKind.FOREIGN,
    }
    values.update(extra)
    return person(**values)


def foreign_move_in(*members: Any, moved: date = date(2026, 4, 1)) -> MoveIn:
    return MoveIn(
        members=list(members) or [foreign_person()],
        address=FOREIGN_ADDRESS,
        move_in_date=moved,
        notification_date=moved + timedelta(days=3),
        previous_address="ベトナム",
        reason=ChangeReason.MOVE_IN_FROM_ABROAD,
    )


def _with_individual_number(atena: str) -> str:
    """Give the person's current row a 個人番号 (the workflows carry it, never re-enter it)."""
    number = "98765432101" + mynumber_check_digit("98765432101")
    row = current(atena)
    row.set_individual_number(number)
    row.save(update_fields=["individual_number", "individual_number_index"])
    return number


@pytest.fixture
def foreigner(clerk: User, code_pool: list[str], commit: Callable[..., DraftRecorded]) -> str:
    """A committed foreign head of household with a 通称 and a 個人番号."""
    draft = commit(
        record_move_in(
            actor=clerk,
            purpose=PURPOSE,
            move_in=foreign_move_in(foreign_person(alias="中村 安", alias_kana="ナカムラ ヤスシ")),
        )
    )
    _with_individual_number(draft.atena_numbers[0])
    return draft.atena_numbers[0]


@pytest.fixture
def japanese(clerk: User, code_pool: list[str], commit: Callable[..., DraftRecorded]) -> DraftRecorded:
    """A committed Japanese household (世帯主, 妻, 子); the wife has a 旧氏."""
    members = list(family_move_in().members)
    members[1] = person(
        given_name="花子",
        given_name_kana="ハナコ",
        relationship="妻",
        sex=Sex.FEMALE,
        born=WarekiDate("showa", 37, 8, 15),
        former_surname="佐藤",
        former_surname_kana="サトウ",
    )
    return commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=members)))


ACK_NATURALISATION = ("registry.alias_ends",)


def naturalisation(atena: str, **overrides: Any) -> Naturalisation:
    values: dict[str, Any] = {
        "atena_number": atena,
        "event": NationalityEvent.NATURALISATION,
        "event_date": today() - timedelta(days=10),
        "notified_on": today() - timedelta(days=2),
        "honseki": HONSEKI,
        "hittousha": "中村 安",
        "findings": "帰化届を受理（法務大臣告示を確認）",
        "name": PersonName("中村", "安", "ナカムラ", "ヤスシ"),
        "acknowledged_alerts": ACK_NATURALISATION,
    }
    values.update(overrides)
    return Naturalisation(**values)


def loss(atena: str, **overrides: Any) -> LossOfNationality:
    values: dict[str, Any] = {
        "atena_number": atena,
        "loss_date": today() - timedelta(days=5),
        "notified_on": today() - timedelta(days=1),
        "foreign": ForeignResidentItems(
            nationality_code="840", category="経過滞在者", alphabet_name="AOKI HANAKO"
        ),
        "findings": "本籍地からの国籍喪失の通知（法第9条第2項）",
        "acknowledged_alerts": ("registry.former_surname_ends",),
    }
    values.update(overrides)
    return LossOfNationality(**values)


def test_4_5_3_a_naturalisation_makes_a_japanese_record_keeping_the_numbers_and_the_items(
    clerk: User, reviewer: User, foreigner: str, commit: Callable[..., DraftRecorded]
) -> None:
    before = current(foreigner)
    number = before.get_individual_number()
    draft = record_naturalisation(actor=clerk, purpose=PURPOSE, naturalisation=naturalisation(foreigner))
    assert draft.atena_numbers == (foreigner,)
    assert current(foreigner).pk == before.pk  # a draft changes nothing visible (4.0.8-b)
    commit(draft)

    after = current(foreigner)
    assert after.history_no == before.history_no + 1  # type: ignore[operator]
    assert (after.kind, after.foreign, after.alias, after.alias_kana) == ("J", None, "", "")
    assert (after.surname, after.given_name, after.honseki, after.hittousha) == (
        "中村",
        "安",
        HONSEKI,
        "中村 安",
    )
    kept = (
        "juminhyo_code",
        "household_id",
        "is_head",
        "relationship",
        "member_order",
        "address",
        "katagaki",
        "postal_code",
        "previous_address",
        "became_resident_date",
        "address_set_date",
        "sex",
        "birth_sort_date",
    )
    assert {name: getattr(after, name) for name in kept} == {name: getattr(before, name) for name in kept}
    assert after.get_individual_number() == number
    # The birth date is now held in 和暦 (1.1.1-a): 1990-05-01 is 平成2年5月1日.
    assert recorded_dates.from_json(after.birth_date) == WarekiDate("heisei", 2, 5, 1)

    change = Change.objects.get(pk=draft.change_id)
    assert (change.reason, change.change_date, change.notification_date) == (
        ChangeReason.NATURALISATION,
        today() - timedelta(days=10),
        today() - timedelta(days=2),
    )
    record = ExOfficioRecord.objects.get(change=change)
    assert (record.grounds, record.notice_required) == ("帰化", False)
    assert {"kind", "foreign", "honseki", "surname", "alias"} <= set(record.changed_items)

    history = resident_history(actor=reviewer, purpose=PURPOSE, atena_number=foreigner)
    assert [(row.kind, row.change_reason) for row in history] == [
        ("F", ChangeReason.MOVE_IN_FROM_ABROAD),
        ("J", ChangeReason.NATURALISATION),
    ]
    # The foreign record stays in history, with its items.
    old = ResidentSnapshot.objects.get(pk=before.pk)
    assert old.foreign is not None
    assert old.foreign["residence_card_number"] == "AB12345678CD"
    assert old.alias == "中村 安"


def test_the_former_alien_registration_date_ends_with_the_foreign_record(
    clerk: User, foreigner: str, commit: Callable[..., DraftRecorded]
) -> None:
    registered = recorded_dates.to_json(WarekiDate("heisei", 10, 4, 1))
    before = current(foreigner)
    before.former_alien_registration_date = registered  # the fixture's foreign record holds one
    before.save(update_fields=["former_alien_registration_date"])
    commit(record_naturalisation(actor=clerk, purpose=PURPOSE, naturalisation=naturalisation(foreigner)))
    assert current(foreigner).former_alien_registration_date is None
    assert ResidentSnapshot.objects.get(pk=before.pk).former_alien_registration_date == registered


def test_4_5_4_a_acquisition_of_nationality_is_recorded_like_naturalisation(
    clerk: User, foreigner: str, commit: Callable[..., DraftRecorded]
) -> None:
    draft = commit(
        record_naturalisation(
            actor=clerk,
            purpose=PURPOSE,
            naturalisation=naturalisation(foreigner, event=NationalityEvent.ACQUISITION),
        )
    )
    assert ExOfficioRecord.objects.get(change_id=draft.change_id).grounds == "国籍取得"
    assert current(foreigner).kind == ResidentKind.JAPANESE


def test_the_alerts_need_an_explicit_acknowledgment_which_is_audited(clerk: User, foreigner: str) -> None:
    changes = Change.objects.count()
    with pytest.raises(UnacknowledgedAlertsError) as raised:
        record_naturalisation(
            actor=clerk,
            purpose=PURPOSE,
            naturalisation=naturalisation(foreigner, name=None, acknowledged_alerts=()),
        )
    assert sorted(a.code for a in raised.value.alerts) == [
        "registry.alias_ends",
        "registry.naturalisation_name_unchanged",
    ]
    assert Change.objects.count() == changes
    codes = ["registry.alias_ends", "registry.naturalisation_name_unchanged"]
    draft = record_naturalisation(
        actor=clerk,
        purpose=PURPOSE,
        naturalisation=naturalisation(foreigner, name=None, acknowledged_alerts=codes),
    )
    entry = AuditEntry.objects.get(action="resident:nationality:record", subject_id=str(draft.change_id))
    assert entry.reason == f"職権記載(帰化等); 帰化; acknowledged={','.join(codes)}"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"event_date": date(2099, 1, 1), "notified_on": date(2099, 1, 1)}, "registry.future_event_date"),
        ({"notified_on": date(2026, 1, 1), "event_date": date(2026, 1, 5)}, "registry.notified_before_event"),
        ({"event_date": date(2026, 3, 1)}, "registry.nationality_event_before_residence"),
        ({"honseki": ""}, "resident.required"),
        ({"findings": " "}, "registry.record_book_required"),
        ({"event": NationalityEvent.LOSS}, "registry.nationality_event_kind"),
    ],
)
def test_bad_naturalisation_input_is_refused_and_nothing_is_written(
    clerk: User, foreigner: str, overrides: dict[str, Any], code: str
) -> None:
    changes = Change.objects.count()
    with pytest.raises(DomainError) as raised:
        record_naturalisation(
            actor=clerk, purpose=PURPOSE, naturalisation=naturalisation(foreigner, **overrides)
        )
    assert raised.value.code == code
    assert raised.value.reason
    assert raised.value.remedy
    assert Change.objects.count() == changes


def test_a_japanese_resident_cannot_be_naturalised(clerk: User, japanese: DraftRecorded) -> None:
    with pytest.raises(DomainError) as raised:
        record_naturalisation(
            actor=clerk, purpose=PURPOSE, naturalisation=naturalisation(japanese.atena_numbers[0])
        )
    assert (raised.value.code, raised.value.field) == ("registry.not_a_foreign_resident", "atena_number")


def test_a_naturalisation_can_be_cancelled_and_the_foreign_record_comes_back(
    clerk: User, foreigner: str, commit: Callable[..., DraftRecorded]
) -> None:
    foreign_row = current(foreigner)
    draft = commit(
        record_naturalisation(actor=clerk, purpose=PURPOSE, naturalisation=naturalisation(foreigner))
    )
    commit(
        record_cancellation(
            actor=clerk,
            purpose=PURPOSE,
            cancellation=Cancellation(change_id=draft.change_id, reason="通知の誤り"),
        )
    )
    restored = current(foreigner)
    assert restored.history_no == 3
    assert (restored.kind, restored.foreign, restored.alias) == ("F", foreign_row.foreign, "中村 安")


def test_4_5_5_a_loss_of_nationality_makes_a_foreign_record(
    clerk: User, reviewer: User, japanese: DraftRecorded, commit: Callable[..., DraftRecorded]
) -> None:
    wife = japanese.atena_numbers[1]
    before = current(wife)
    number = _with_individual_number(wife)
    # Lost before the family moved in (2026-11-01): the 住民となった年月日 is the later date.
    draft = commit(
        record_loss_of_nationality(actor=clerk, purpose=PURPOSE, loss=loss(wife, loss_date=date(2026, 10, 1)))
    )
    after = current(wife)
    assert (after.kind, after.honseki, after.hittousha, after.former_surname, after.former_surname_kana) == (
        "F",
        "",
        "",
        "",
        "",
    )
    assert after.foreign == {
        "nationality_code": "840",
        "category": "経過滞在者",
        "alphabet_name": "AOKI HANAKO",
        "residence_status": "",
        "period_of_stay": "",
        "stay_expiry_date": "",
        "residence_card_number": "",
        "special_permanent_resident_number": "",
        "landing_period": "",
        "provisional_stay_period": "",
        "transitional_reason": "国籍喪失",
    }
    assert after.became_resident_date == before.became_resident_date
    # The birth date is now held in 西暦 (1.1.2-a).
    assert recorded_dates.from_json(after.birth_date) == date(1962, 8, 15)
    assert (after.juminhyo_code, after.household_id, after.relationship) == (
        before.juminhyo_code,
        before.household_id,
        "妻",
    )
    assert after.get_individual_number() == number
    assert Change.objects.get(pk=draft.change_id).reason == ChangeReason.LOSS_OF_NATIONALITY
    assert ExOfficioRecord.objects.get(change_id=draft.change_id).grounds == "国籍喪失"
    history = resident_history(actor=reviewer, purpose=PURPOSE, atena_number=wife)
    assert [(row.kind, row.change_reason) for row in history] == [
        ("J", ChangeReason.DOMESTIC_MOVE_IN),
        ("F", ChangeReason.LOSS_OF_NATIONALITY),
    ]


def test_4_5_5_a_the_loss_date_wins_when_it_is_later(
    clerk: User, japanese: DraftRecorded, commit: Callable[..., DraftRecorded]
) -> None:
    head = japanese.atena_numbers[0]
    became = recorded_dates.sort_date_of(recorded_dates.from_json(current(head).became_resident_date))
    assert became < today() - timedelta(days=5), "the family moved in before the loss date"
    commit(record_loss_of_nationality(actor=clerk, purpose=PURPOSE, loss=loss(head, acknowledged_alerts=())))
    assert recorded_dates.from_json(current(head).became_resident_date) == today() - timedelta(days=5)


def test_4_5_5_b_the_japanese_resident_date_is_never_written_as_an_alien_registration_date(
    clerk: User, japanese: DraftRecorded, commit: Callable[..., DraftRecorded]
) -> None:
    head = japanese.atena_numbers[0]
    commit(record_loss_of_nationality(actor=clerk, purpose=PURPOSE, loss=loss(head, acknowledged_alerts=())))
    foreign = current(head).foreign
    assert foreign is not None
    assert not any("registration" in key or "旧外登" in key for key in foreign)


def test_loss_of_nationality_alerts_that_the_former_surname_ends(
    clerk: User, japanese: DraftRecorded
) -> None:
    with pytest.raises(UnacknowledgedAlertsError) as raised:
        record_loss_of_nationality(
            actor=clerk, purpose=PURPOSE, loss=loss(japanese.atena_numbers[1], acknowledged_alerts=())
        )
    assert [a.code for a in raised.value.alerts] == ["registry.former_surname_ends"]


def test_loss_of_nationality_checks_the_30_45_items(clerk: User, japanese: DraftRecorded) -> None:
    items = ForeignResidentItems(nationality_code="840", category="中長期在留者")
    with pytest.raises(DomainError) as raised:
        record_loss_of_nationality(
            actor=clerk,
            purpose=PURPOSE,
            loss=loss(japanese.atena_numbers[0], foreign=items, acknowledged_alerts=()),
        )
    assert (raised.value.code, raised.value.field) == ("resident.required", "residence_status")
    with pytest.raises(DomainError) as early:
        record_loss_of_nationality(
            actor=clerk, purpose=PURPOSE, loss=loss(japanese.atena_numbers[0], loss_date=date(1950, 1, 1))
        )
    assert early.value.code == "registry.event_before_birth"


def test_a_clerk_without_permission_is_refused_and_audited(
    make_clerk: Callable[..., User], foreigner: str
) -> None:
    changes = Change.objects.count()
    with pytest.raises(AccessRefused):
        record_naturalisation(
            actor=make_clerk("nobody"), purpose=PURPOSE, naturalisation=naturalisation(foreigner)
        )
    assert Change.objects.count() == changes
    assert AuditEntry.objects.get(action="resident:nationality:record").outcome == "refused"


# --- API and screens ------------------------------------------------------------------------------


def _naturalisation_json(atena: str) -> str:
    return json.dumps(
        {
            "purpose": PURPOSE,
            "atena_number": atena,
            "event": "帰化",
            "event_date": (today() - timedelta(days=3)).isoformat(),
            "notified_on": today().isoformat(),
            "honseki": HONSEKI,
            "hittousha": "中村 安",
            "findings": "帰化届を受理",
            "name": {
                "surname": "中村",
                "given_name": "安",
                "surname_kana": "ナカムラ",
                "given_name_kana": "ヤスシ",
            },
            "acknowledged_alerts": ["registry.alias_ends"],
        }
    )


def test_api_naturalisation_permission_triple(make_staff: Callable[..., object], foreigner: str) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/foreign/naturalisation",
        Permission.RESIDENT_RECORD,
        data=_naturalisation_json(foreigner),
        content_type="application/json",
        success_status=(201,),
    )


def loss_api_body(atena: str) -> dict[str, object]:
    """A valid 国籍喪失 of the Japanese resident ``atena`` (API)."""
    return {
        "purpose": PURPOSE,
        "atena_number": atena,
        "loss_date": (today() - timedelta(days=3)).isoformat(),
        "notified_on": today().isoformat(),
        "foreign": {"nationality_code": "840", "category": "経過滞在者"},
        "findings": "国籍喪失届",
    }


def test_api_loss_permission_triple(make_staff: Callable[..., object], japanese: DraftRecorded) -> None:
    body = loss_api_body(japanese.atena_numbers[0])
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/foreign/loss-of-nationality",
        Permission.RESIDENT_RECORD,
        data=json.dumps(body),
        content_type="application/json",
        success_status=(201,),
    )


def test_api_unacknowledged_alert_is_a_400_naming_the_codes(clerk: User, foreigner: str) -> None:
    body = json.loads(_naturalisation_json(foreigner))
    body["acknowledged_alerts"] = []
    response = logged_in(clerk).post(
        "/api/registry/foreign/naturalisation", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "registry.alerts_not_acknowledged"
    assert "registry.alias_ends" in response.json()["reason"]


def _screen_data(atena: str, **overrides: str) -> dict[str, str]:
    data = {
        "purpose": PURPOSE,
        "atena_number": atena,
        "event": "帰化",
        "event_date": (today() - timedelta(days=3)).isoformat(),
        "notified_on": today().isoformat(),
        "surname": "中村",
        "given_name": "安",
        "surname_kana": "ナカムラ",
        "given_name_kana": "ヤスシ",
        "honseki": HONSEKI,
        "hittousha": "中村 安",
        "legal_basis": "住民基本台帳法施行令第12条第2項第1号",
        "findings": "帰化届を受理",
        "acknowledged_alerts": "registry.alias_ends",
    }
    data.update(overrides)
    return data


def test_naturalisation_screen_asks_for_the_alert_then_drafts(clerk: User, foreigner: str) -> None:
    client = logged_in(clerk)
    url = reverse("registry:naturalisation")
    assert client.get(url).status_code == 200
    pending = client.post(url, _screen_data(foreigner, acknowledged_alerts=""))
    assert 'value="registry.alias_ends"' in pending.content.decode()
    assert not Change.objects.filter(reason=ChangeReason.NATURALISATION).exists()
    done = client.post(url, _screen_data(foreigner))
    assert "仮登録しました" in done.content.decode()
    assert Change.objects.filter(reason=ChangeReason.NATURALISATION, state="draft").count() == 1


def test_naturalisation_screen_permission_triple(make_staff: Callable[..., object], foreigner: str) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        reverse("registry:naturalisation"),
        Permission.RESIDENT_RECORD,
        data=_screen_data(foreigner),
    )


def loss_screen_data(atena: str) -> dict[str, str]:
    """A valid 国籍喪失 of the Japanese resident ``atena`` (screen)."""
    return {
        "purpose": PURPOSE,
        "atena_number": atena,
        "loss_date": (today() - timedelta(days=3)).isoformat(),
        "notified_on": today().isoformat(),
        "nationality_code": "840",
        "foreign_category": "経過滞在者",
        "legal_basis": "住民基本台帳法施行令第12条第2項第1号",
        "findings": "国籍喪失届",
    }


def test_loss_screen_permission_triple(make_staff: Callable[..., object], japanese: DraftRecorded) -> None:
    data = loss_screen_data(japanese.atena_numbers[0])
    assert_permission_triple(
        make_staff, "post", reverse("registry:loss_of_nationality"), Permission.RESIDENT_RECORD, data=data
    )
