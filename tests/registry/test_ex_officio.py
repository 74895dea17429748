"""職権記載・職権修正・職権消除, 軽微な修正 and 誤記修正 (standard §8 4.2; 施行令12条; system.md F08)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.domain.wareki import WarekiDate
from jumin.registry.models import Change, ExOfficioRecord, ResidentSnapshot
from jumin.registry.selectors_corrections import change_history, ex_officio_notice
from jumin.registry.services import Address, DraftRecorded
from jumin.registry.workflows.acknowledgement import UnacknowledgedAlertsError
from jumin.registry.workflows.cancellation import Cancellation, record_cancellation
from jumin.registry.workflows.ex_officio import (
    ExOfficioAction,
    ExOfficioCorrection,
    ExOfficioRecording,
    ExOfficioRemoval,
    MinorCase,
    RecordBook,
    record_ex_officio_correction,
    record_ex_officio_recording,
    record_ex_officio_removal,
)
from jumin.registry.workflows.move_within import MoveWithin, record_move_within
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, current, logged_in, person

pytestmark = pytest.mark.django_db

BASIS = "住民基本台帳法施行令第12条第1項"


def today() -> date:
    return timezone.localdate()


def book(**overrides: Any) -> RecordBook:
    values: dict[str, Any] = {
        "legal_basis": BASIS,
        "found_on": today(),
        "grounds": "実態調査により居住の事実がないことを確認",
        "findings": "令和8年11月の現地調査で空室を確認。管理会社の回答あり。",
    }
    values.update(overrides)
    return RecordBook(**values)


def raw_rows() -> list[tuple[Any, ...]]:
    """Every committed snapshot row exactly as stored, in insertion order."""
    table = ResidentSnapshot._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE history_no IS NOT NULL ORDER BY id")  # noqa: S608
        return [tuple(row) for row in cursor.fetchall()]


def removal(numbers: list[str], **overrides: Any) -> ExOfficioRemoval:
    values: dict[str, Any] = {
        "atena_numbers": numbers,
        "removal_date": today() - timedelta(days=3),
        "record": book(),
    }
    values.update(overrides)
    return ExOfficioRemoval(**values)


def correction(numbers: list[str], items: dict[str, str], **overrides: Any) -> ExOfficioCorrection:
    values: dict[str, Any] = {
        "action": ExOfficioAction.AMENDMENT,
        "atena_numbers": numbers,
        "items": items,
        "change_date": today(),
        "record": book(legal_basis="住民基本台帳法施行令第12条第2項第1号", grounds="戸籍の届出（婚姻）"),
    }
    values.update(overrides)
    return ExOfficioCorrection(**values)


def test_4_2_0_1_a_ex_officio_removal_keeps_the_record_book_and_the_notice_data(
    clerk: User, reviewer: User, family: DraftRecorded, commit: Callable[..., DraftRecorded]
) -> None:
    child = family.atena_numbers[2]
    before = raw_rows()
    draft = record_ex_officio_removal(actor=clerk, purpose=PURPOSE, removal=removal([child]))
    change = Change.objects.get(pk=draft.change_id)
    assert (change.reason, change.notification_kind, change.notification_date) == ("職権消除", "職権", None)
    record = ExOfficioRecord.objects.get(change=change)
    assert (record.action, record.legal_basis, record.found_on, record.notice_required) == (
        "職権消除",
        BASIS,
        today(),
        True,
    )
    assert "空室" in record.findings
    with pytest.raises(DomainError) as draft_notice:
        ex_officio_notice(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert draft_notice.value.code == "registry.no_such_ex_officio_change"
    commit(draft)
    row = current(child)
    assert (row.status, row.removal_reason, row.removal_date, row.history_no) == (
        ResidentStatus.REMOVED,
        "職権消除",
        today() - timedelta(days=3),
        2,
    )
    assert raw_rows()[: len(before)] == before
    notice = ex_officio_notice(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert (notice.action, notice.legal_basis, notice.change_date, notice.committed_on) == (
        "職権消除",
        BASIS,
        (today() - timedelta(days=3)).isoformat(),
        today().isoformat(),
    )
    assert [(p.atena_number, p.name) for p in notice.persons] == [(child, "青木　三奈")]
    assert AuditEntry.objects.filter(action="resident:ex_officio_notice:view", outcome="done").count() == 1


def test_removing_the_head_needs_the_alert_acknowledged(clerk: User, family: DraftRecorded) -> None:
    head = family.atena_numbers[0]
    changes = Change.objects.count()
    with pytest.raises(UnacknowledgedAlertsError) as raised:
        record_ex_officio_removal(actor=clerk, purpose=PURPOSE, removal=removal([head]))
    assert [a.code for a in raised.value.alerts] == ["registry.head_change_request"]
    assert Change.objects.count() == changes
    draft = record_ex_officio_removal(
        actor=clerk,
        purpose=PURPOSE,
        removal=removal([head], acknowledged_alerts=["registry.head_change_request"]),
    )
    entry = AuditEntry.objects.get(action="resident:ex_officio:record", subject_id=str(draft.change_id))
    assert entry.reason == "職権消除; acknowledged=registry.head_change_request"


def test_an_ex_officio_removal_can_be_cancelled_and_the_person_is_current_again(
    clerk: User, family: DraftRecorded, commit: Callable[..., DraftRecorded]
) -> None:
    child = family.atena_numbers[2]
    removed = commit(record_ex_officio_removal(actor=clerk, purpose=PURPOSE, removal=removal([child])))
    cancelled = commit(
        record_cancellation(
            actor=clerk,
            purpose=PURPOSE,
            cancellation=Cancellation(change_id=removed.change_id, reason="誤認"),
        )
    )
    assert Change.objects.get(pk=cancelled.change_id).reason == ChangeReason.CANCELLATION_ENTRY
    assert (current(child).status, current(child).history_no) == (ResidentStatus.RESIDENT, 3)


def test_4_2_0_4_a_and_4_2_0_5_a_the_change_keeps_the_family_register_date_or_is_marked_on_application(
    clerk: User, family: DraftRecorded
) -> None:
    """A 戸籍届出・通知日 is the change's 届出日 (still 職権); a 申出日 marks the change 申出 (4.2.0.5-a)."""
    wife, child = family.atena_numbers[1], family.atena_numbers[2]
    notified = today() - timedelta(days=2)
    by_notice = record_ex_officio_correction(
        actor=clerk,
        purpose=PURPOSE,
        correction=correction(
            [wife], {"surname": "佐藤", "surname_kana": "サトウ"}, record=book(notified_on=notified)
        ),
    )
    applied = today() - timedelta(days=1)
    on_application = record_ex_officio_removal(
        actor=clerk,
        purpose=PURPOSE,
        removal=removal([child], record=book(applied_on=applied)),
    )
    kinds = {
        change.pk: (change.notification_kind, change.notification_date)
        for change in Change.objects.filter(pk__in=[by_notice.change_id, on_application.change_id])
    }
    assert kinds == {by_notice.change_id: ("職権", notified), on_application.change_id: ("申出", applied)}


def test_the_ex_officio_screens_offer_todays_family_register_date_and_an_application_date(
    clerk: User,
) -> None:
    page = logged_in(clerk).get(reverse("registry:ex_officio_removal")).content.decode()
    assert "戸籍届出・通知日" in page
    assert f'name="notified_on" value="{today().isoformat()}"' in page
    assert 'name="applied_on"' in page


def test_the_removal_screen_marks_an_action_on_application_with_todays_application_date(
    clerk: User, family: DraftRecorded
) -> None:
    client = logged_in(clerk)
    url = reverse("registry:ex_officio_removal")
    data = _book_form(atena_numbers=family.atena_numbers[2], removal_date=today().isoformat())
    changes = Change.objects.count()
    refused = client.post(url, {**data, "applied_on": today().isoformat()}).content.decode()
    assert "申出日は「本人等の申出による処理」を選んだときだけ" in refused
    assert Change.objects.count() == changes
    done = client.post(url, {**data, "on_application": "on"}).content.decode()
    assert "仮登録しました" in done
    change = Change.objects.order_by("-pk").first()
    assert change is not None
    assert (change.notification_kind, change.notification_date) == ("申出", today())


def test_an_ex_officio_amendment_changes_only_the_chosen_items_and_the_notice_shows_both(
    clerk: User, reviewer: User, family: DraftRecorded, commit: Callable[..., DraftRecorded]
) -> None:
    wife = family.atena_numbers[1]
    old = current(wife)
    before = raw_rows()
    draft = commit(
        record_ex_officio_correction(
            actor=clerk,
            purpose=PURPOSE,
            correction=correction(
                [wife], {"surname": "佐藤", "surname_kana": "さとう", "former_surname": ""}
            ),
        )
    )
    new = current(wife)
    assert (new.surname, new.surname_kana, new.history_no, new.change.reason) == (
        "佐藤",
        "サトウ",
        2,
        "職権修正",
    )
    for name in ("given_name", "birth_date", "address", "household_id", "relationship", "juminhyo_code"):
        assert getattr(new, name) == getattr(old, name), name
    assert raw_rows()[: len(before)] == before
    notice = ex_officio_notice(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert [(i.label, i.before, i.after) for i in notice.persons[0].items] == [
        ("氏", "青木", "佐藤"),
        ("氏フリガナ", "アオキ", "サトウ"),
        ("旧氏", "", ""),
    ]
    assert notice.notice_required


def test_4_2_3_2_a_minor_correction_of_the_katagaki_for_the_household_sends_no_notice(
    clerk: User, family: DraftRecorded, commit: Callable[..., DraftRecorded]
) -> None:
    draft = commit(
        record_ex_officio_correction(
            actor=clerk,
            purpose=PURPOSE,
            correction=correction(
                list(family.atena_numbers),
                {"katagaki": "さくら荘 201号"},
                action=ExOfficioAction.MINOR,
                minor_case=MinorCase.BUILDING_RENAMING,
                notice_required=True,
            ),
        )
    )
    assert {current(a).katagaki for a in family.atena_numbers} == {"さくら荘 201号"}
    record = ExOfficioRecord.objects.get(change_id=draft.change_id)
    assert (record.notice_required, record.minor_case, record.changed_items) == (
        False,
        MinorCase.BUILDING_RENAMING.value,
        ["katagaki"],
    )
    assert Change.objects.get(pk=draft.change_id).reason == "軽微な修正"


def test_4_2_3_3_a_error_correction_keeps_the_wrong_row_and_marks_it_corrected(
    clerk: User, reviewer: User, family: DraftRecorded, commit: Callable[..., DraftRecorded]
) -> None:
    head = family.atena_numbers[0]
    commit(
        record_move_within(
            actor=clerk,
            purpose=PURPOSE,
            move=MoveWithin(
                movers=list(family.atena_numbers),
                address=Address(address="長崎県佐世保市八幡町2番3号"),
                move_date=today() - timedelta(days=1),
                notification_date=today(),
            ),
        )
    )
    wrong_rows = raw_rows()
    draft = commit(
        record_ex_officio_correction(
            actor=clerk,
            purpose=PURPOSE,
            correction=correction(
                [head],
                {"birth_date": "昭和35年4月2日"},
                action=ExOfficioAction.ERROR,
                record=book(grounds="誤記"),
            ),
        )
    )
    fixed = current(head)
    assert (fixed.history_no, fixed.birth_sort_date) == (3, date(1960, 4, 2))
    # The wrong value was entered at the 転入 (row 1) and copied by the 転居 (row 2): row 1 is marked.
    assert ExOfficioRecord.objects.get(change_id=draft.change_id).corrected_rows == {head: 1}
    assert raw_rows()[: len(wrong_rows)] == wrong_rows
    history = change_history(actor=reviewer, purpose=PURPOSE, atena_number=head)
    assert [(h.history_no, h.reason, h.corrected_by) for h in history] == [
        (1, "国内転入", 3),
        (2, "転居", None),
        (3, "誤記修正", None),
    ]


def test_4_2_1_1_a_ex_officio_recording_of_a_new_person_with_an_unknown_previous_address(
    clerk: User, code_pool: list[str], commit: Callable[..., DraftRecorded]
) -> None:
    recording = ExOfficioRecording(
        members=[person("山田", "一", "ヤマダ", "ハジメ")],
        address=Address(address="長崎県佐世保市島瀬町1番1号"),
        address_set_date=WarekiDate("reiwa", 8, 10, 1),
        previous_address="不明",
        record=book(grounds="実態調査により居住の事実を確認"),
    )
    draft = commit(record_ex_officio_recording(actor=clerk, purpose=PURPOSE, recording=recording))
    row = current(draft.atena_numbers[0])
    assert (row.status, row.previous_address, row.became_resident_reason, row.is_head) == (
        ResidentStatus.RESIDENT,
        "不明",
        "職権記載",
        True,
    )
    assert row.juminhyo_code in code_pool
    assert Change.objects.get(pk=draft.change_id).reason == "職権記載"


def test_a_blank_previous_address_on_recording_is_an_alert_to_acknowledge(
    clerk: User, code_pool: list[str]
) -> None:
    recording = ExOfficioRecording(
        members=[person("山田", "一", "ヤマダ", "ハジメ")],
        address=Address(address="長崎県佐世保市島瀬町1番1号"),
        address_set_date=WarekiDate("reiwa", 8, 10, 1),
        previous_address="",
        record=book(),
    )
    with pytest.raises(UnacknowledgedAlertsError) as raised:
        record_ex_officio_recording(actor=clerk, purpose=PURPOSE, recording=recording)
    assert [a.code for a in raised.value.alerts] == ["registry.previous_address_blank"]


@pytest.mark.parametrize(
    ("build", "code"),
    [
        (lambda f: correction([f[0]], {}), "registry.no_items"),
        (lambda f: correction([f[0]], {"本籍地": "x"}), "registry.item_not_correctable"),
        (lambda f: correction([f[0]], {"surname": "青木"}), "registry.correction_changes_nothing"),
        (lambda f: correction([f[0]], {"surname": " "}), "registry.item_required"),
        (lambda f: correction(list(f[:2]), {"surname": "佐藤"}), "registry.personal_items_for_one_person"),
        (lambda f: correction([f[1]], {"relationship": "世帯主"}), "registry.head_by_correction"),
        (lambda f: correction([f[0]], {"relationship": "子"}), "registry.head_by_correction"),
        (lambda f: correction([f[0]], {"alias": "アオ"}), "registry.item_not_for_kind"),
        (lambda f: correction([f[0]], {"postal_code": "857-0048"}), "registry.item_format"),
        (lambda f: correction([f[0]], {"sex": "不明"}), "registry.item_sex"),
        (
            lambda f: correction([f[0]], {"katagaki": "x"}, action=ExOfficioAction.MINOR),
            "registry.minor_case_required",
        ),
        (
            lambda f: correction(
                [f[0]],
                {"birth_date": "昭和35年4月2日"},
                action=ExOfficioAction.MINOR,
                minor_case=MinorCase.LOT_RENUMBERING,
            ),
            "registry.not_a_minor_item",
        ),
        (
            lambda f: correction([f[0]], {"katagaki": "x"}, minor_case=MinorCase.LOT_RENUMBERING),
            "registry.minor_case_only_for_minor",
        ),
        (
            lambda f: correction([f[0]], {"katagaki": "x"}, record=book(legal_basis=" ")),
            "registry.record_book_required",
        ),
        (
            lambda f: correction([f[0]], {"katagaki": "x"}, record=book(findings="")),
            "registry.record_book_required",
        ),
        (
            lambda f: correction([f[0]], {"katagaki": "x"}, record=book(found_on=date(2099, 1, 1))),
            "registry.future_found_on",
        ),
        (
            lambda f: correction(
                [f[0]], {"katagaki": "x"}, record=book(found_on=today() - timedelta(days=5))
            ),
            "registry.event_after_found_on",
        ),
        (lambda f: correction(["000000000000"], {"katagaki": "x"}), "registry.resident_not_found"),
        (lambda f: correction([f[0], f[0]], {"katagaki": "x"}), "registry.person_listed_twice"),
    ],
)
def test_bad_correction_input_is_refused_and_writes_nothing(
    clerk: User, family: DraftRecorded, build: Callable[[tuple[str, ...]], ExOfficioCorrection], code: str
) -> None:
    changes, records, entries = (
        Change.objects.count(),
        ExOfficioRecord.objects.count(),
        AuditEntry.objects.count(),
    )
    with pytest.raises(DomainError) as raised:
        record_ex_officio_correction(actor=clerk, purpose=PURPOSE, correction=build(family.atena_numbers))
    assert raised.value.code == code
    assert raised.value.reason
    assert raised.value.remedy
    assert (Change.objects.count(), ExOfficioRecord.objects.count(), AuditEntry.objects.count()) == (
        changes,
        records,
        entries,
    )


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"removal_date": date(2099, 1, 1)}, "registry.future_event_date"),
        ({"atena_numbers": []}, "registry.no_members"),
        ({"record": book(grounds="")}, "registry.record_book_required"),
        ({"record": book(findings="あ" * 2001)}, "registry.record_book_too_long"),
        ({"record": book(notified_on=date(2099, 1, 1))}, "registry.future_date"),
        ({"record": book(applied_on=date(2099, 1, 1))}, "registry.future_date"),
        (
            {"record": book(notified_on=date(2026, 1, 5), applied_on=date(2026, 1, 5))},
            "registry.notified_and_applied",
        ),
    ],
)
def test_bad_removal_input_is_refused(
    clerk: User, family: DraftRecorded, overrides: dict[str, Any], code: str
) -> None:
    with pytest.raises(DomainError) as raised:
        record_ex_officio_removal(
            actor=clerk, purpose=PURPOSE, removal=removal([family.atena_numbers[2]], **overrides)
        )
    assert raised.value.code == code


def test_removing_a_removed_person_is_refused(
    clerk: User, family: DraftRecorded, commit: Callable[..., DraftRecorded]
) -> None:
    child = family.atena_numbers[2]
    commit(record_ex_officio_removal(actor=clerk, purpose=PURPOSE, removal=removal([child])))
    with pytest.raises(DomainError) as raised:
        record_ex_officio_removal(actor=clerk, purpose=PURPOSE, removal=removal([child]))
    assert raised.value.code == "registry.not_a_resident"


def test_a_clerk_without_permission_is_refused_and_nothing_is_written(
    make_clerk: Callable[..., User], family: DraftRecorded
) -> None:
    with pytest.raises(AccessRefused):
        record_ex_officio_removal(
            actor=make_clerk("nobody"), purpose=PURPOSE, removal=removal([family.atena_numbers[2]])
        )
    assert not ExOfficioRecord.objects.exists()
    assert AuditEntry.objects.get(action="resident:ex_officio:record").outcome == "refused"


def _book_json(**overrides: str) -> dict[str, str]:
    return {
        "legal_basis": BASIS,
        "found_on": today().isoformat(),
        "grounds": "実態調査",
        "findings": "空室を確認",
        **overrides,
    }


def test_api_removal_permission_triple(make_staff: Callable[..., object], family: DraftRecorded) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/corrections/ex-officio/removal",
        Permission.RESIDENT_RECORD,
        data=json.dumps(
            {
                "purpose": PURPOSE,
                "atena_numbers": [family.atena_numbers[2]],
                "removal_date": today().isoformat(),
                "record": _book_json(),
            }
        ),
        content_type="application/json",
        success_status=(201,),
    )


def test_api_correction_permission_triple(make_staff: Callable[..., object], family: DraftRecorded) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/corrections/ex-officio/correction",
        Permission.RESIDENT_RECORD,
        data=json.dumps(
            {
                "purpose": PURPOSE,
                "action": "誤記修正",
                "atena_numbers": [family.atena_numbers[0]],
                "items": {"given_name": "太朗"},
                "change_date": today().isoformat(),
                "record": _book_json(),
            }
        ),
        content_type="application/json",
        success_status=(201,),
    )


def recording_api_body() -> dict[str, object]:
    """A valid 職権記載 of one new person (API)."""
    return {
        "purpose": PURPOSE,
        "members": [
            {
                "surname": "山田",
                "given_name": "一",
                "surname_kana": "ヤマダ",
                "given_name_kana": "ハジメ",
                "birth_date": "昭和50年1月1日",
                "sex": "male",
                "relationship": "世帯主",
                "honseki": "長崎県佐世保市八幡町1番地",
                "hittousha": "山田 一",
            }
        ],
        "address": {"address": "長崎県佐世保市島瀬町1番1号"},
        "address_set_date": "令和8年10月1日",
        "record": _book_json(),
    }


def test_api_recording_permission_triple(make_staff: Callable[..., object], code_pool: list[str]) -> None:
    body = recording_api_body()
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/corrections/ex-officio/recording",
        Permission.RESIDENT_RECORD,
        data=json.dumps(body),
        content_type="application/json",
        success_status=(201,),
    )


def test_api_notice_permission_triple(
    make_staff: Callable[..., object],
    clerk: User,
    family: DraftRecorded,
    commit: Callable[..., DraftRecorded],
) -> None:
    draft = commit(
        record_ex_officio_removal(actor=clerk, purpose=PURPOSE, removal=removal([family.atena_numbers[2]]))
    )
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/corrections/ex-officio/notice",
        Permission.RESIDENT_VIEW,
        data=json.dumps({"purpose": PURPOSE, "change_id": draft.change_id}),
        content_type="application/json",
    )


def test_api_domain_errors_are_400(clerk: User, family: DraftRecorded) -> None:
    response = logged_in(clerk).post(
        "/api/registry/corrections/ex-officio/correction",
        json.dumps(
            {
                "purpose": PURPOSE,
                "action": "職権修正",
                "atena_numbers": [family.atena_numbers[0]],
                "items": {},
                "change_date": today().isoformat(),
                "record": _book_json(),
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "registry.no_items"


def _book_form(**overrides: str) -> dict[str, str]:
    data = {
        "purpose": PURPOSE,
        "legal_basis": BASIS,
        "found_on": today().isoformat(),
        "grounds": "実態調査",
        "findings": "空室を確認",
        "notice_required": "on",
    }
    data.update(overrides)
    return data


def test_removal_screen_permission_triple(make_staff: Callable[..., object], family: DraftRecorded) -> None:
    data = _book_form(atena_numbers=family.atena_numbers[2], removal_date=today().isoformat())
    assert_permission_triple(
        make_staff, "post", reverse("registry:ex_officio_removal"), Permission.RESIDENT_RECORD, data=data
    )


def test_correction_screen_enters_a_minor_correction_and_shows_errors(
    clerk: User, family: DraftRecorded
) -> None:
    client = logged_in(clerk)
    url = reverse("registry:ex_officio_correction")
    assert client.get(url).status_code == 200
    data = _book_form(
        action="軽微な修正",
        minor_case=MinorCase.BUILDING_RENAMING.value,
        atena_numbers="\n".join(family.atena_numbers),
        items="方書 さくら荘 201号",
        change_date=today().isoformat(),
    )
    done = client.post(url, data)
    assert "仮登録しました" in done.content.decode()
    assert ResidentSnapshot.objects.filter(history_no__isnull=True, katagaki="さくら荘 201号").count() == 3
    bad = client.post(url, {**data, "items": "生年月日 昭和35年4月2日"})
    assert "軽微な修正では" in bad.content.decode()


def test_correction_screen_permission_triple(
    make_staff: Callable[..., object], family: DraftRecorded
) -> None:
    data = _book_form(
        action="職権修正",
        atena_numbers=family.atena_numbers[0],
        items="名 太朗",
        change_date=today().isoformat(),
    )
    assert_permission_triple(
        make_staff, "post", reverse("registry:ex_officio_correction"), Permission.RESIDENT_RECORD, data=data
    )


def recording_screen_data() -> dict[str, str]:
    """A valid 職権記載 of one new person (screen)."""
    return _book_form(
        kind="J",
        surname="山田",
        given_name="一",
        surname_kana="ヤマダ",
        given_name_kana="ハジメ",
        birth_date="昭和50年1月1日",
        sex="male",
        relationship="世帯主",
        honseki="長崎県佐世保市八幡町1番地",
        hittousha="山田 一",
        address="長崎県佐世保市島瀬町1番1号",
        previous_address="不明",
        address_set_date="令和8年10月1日",
    )


def test_recording_screen_permission_triple(make_staff: Callable[..., object], code_pool: list[str]) -> None:
    data = recording_screen_data()
    assert_permission_triple(
        make_staff, "post", reverse("registry:ex_officio_recording"), Permission.RESIDENT_RECORD, data=data
    )
