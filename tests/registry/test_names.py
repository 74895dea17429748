"""旧氏の記載・変更・削除 and 通称の記載・削除 (standard 1.1.7-a, 1.1.2-a, 1.2.1-a, 1.2.2-a)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason
from jumin.registry.models import Change, ResidentSnapshot
from jumin.registry.selectors import resident_history
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.acknowledgement import UnacknowledgedAlertsError
from jumin.registry.workflows.names import (
    AliasApplication,
    AliasEntry,
    AliasOperation,
    FormerSurnameOperation,
    FormerSurnameRequest,
    alias_history,
    record_alias_application,
    record_former_surname_request,
)
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, current, logged_in
from tests.registry.test_move_in import family_move_in
from tests.registry.test_naturalisation import foreign_move_in

pytestmark = pytest.mark.django_db


def today() -> date:
    return timezone.localdate()


@pytest.fixture
def wife(clerk: User, code_pool: list[str], commit: Callable[..., DraftRecorded]) -> str:
    """The wife of a committed Japanese household (no 旧氏 yet)."""
    return commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())).atena_numbers[1]


@pytest.fixture
def foreigner(clerk: User, code_pool: list[str], commit: Callable[..., DraftRecorded]) -> str:
    return commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=foreign_move_in())).atena_numbers[0]


def former(
    atena: str, operation: FormerSurnameOperation, surname: str = "", kana: str = "", **extra: Any
) -> FormerSurnameRequest:
    return FormerSurnameRequest(
        atena_number=atena,
        operation=operation,
        request_date=today() - timedelta(days=1),
        former_surname=surname,
        former_surname_kana=kana,
        **extra,
    )


def alias(
    atena: str, operation: AliasOperation, name: str = "", kana: str = "", **extra: Any
) -> AliasApplication:
    return AliasApplication(
        atena_number=atena,
        operation=operation,
        application_date=today(),
        municipality_name="佐世保市",
        alias=name,
        alias_kana=kana,
        **extra,
    )


# --- 旧氏 -----------------------------------------------------------------------------------------


def test_1_1_7_a_former_surname_is_recorded_changed_and_deleted_with_history(
    clerk: User, reviewer: User, wife: str, commit: Callable[..., DraftRecorded]
) -> None:
    recorded = record_former_surname_request(
        actor=clerk, purpose=PURPOSE, request=former(wife, FormerSurnameOperation.RECORD, "佐藤", "さとう")
    )
    assert current(wife).former_surname == ""  # a draft is invisible until committed
    commit(recorded)
    assert (current(wife).former_surname, current(wife).former_surname_kana) == ("佐藤", "サトウ")
    change = Change.objects.get(pk=recorded.change_id)
    assert (change.reason, change.notification_date, change.notification_kind) == (
        ChangeReason.FORMER_SURNAME_RECORDING,
        today() - timedelta(days=1),
        "請求",
    )
    commit(
        record_former_surname_request(
            actor=clerk,
            purpose=PURPOSE,
            request=former(wife, FormerSurnameOperation.CHANGE, "鈴木", "スズキ"),
        )
    )
    commit(
        record_former_surname_request(
            actor=clerk, purpose=PURPOSE, request=former(wife, FormerSurnameOperation.DELETE)
        )
    )
    history = resident_history(actor=reviewer, purpose=PURPOSE, atena_number=wife)
    assert [(row.former_surname, row.change_reason) for row in history] == [
        ("", ChangeReason.DOMESTIC_MOVE_IN),
        ("佐藤", ChangeReason.FORMER_SURNAME_RECORDING),
        ("鈴木", ChangeReason.FORMER_SURNAME_CHANGE),
        ("", ChangeReason.FORMER_SURNAME_DELETION),
    ]
    assert current(wife).surname == "青木"  # nothing else changes


@pytest.mark.parametrize(
    ("setup", "operation", "surname", "kana", "code"),
    [
        (False, FormerSurnameOperation.CHANGE, "佐藤", "サトウ", "registry.no_former_surname"),
        (False, FormerSurnameOperation.DELETE, "", "", "registry.no_former_surname"),
        (True, FormerSurnameOperation.RECORD, "鈴木", "スズキ", "registry.former_surname_already_recorded"),
        (True, FormerSurnameOperation.CHANGE, "佐藤", "サトウ", "registry.former_surname_unchanged"),
        (False, FormerSurnameOperation.RECORD, "青木", "アオキ", "registry.former_surname_same_as_surname"),
        (False, FormerSurnameOperation.RECORD, "佐藤", "", "registry.item_required"),
        (False, FormerSurnameOperation.RECORD, "", "サトウ", "registry.item_required"),
    ],
)
def test_bad_former_surname_requests_are_refused(
    clerk: User,
    wife: str,
    commit: Callable[..., DraftRecorded],
    setup: bool,
    operation: FormerSurnameOperation,
    surname: str,
    kana: str,
    code: str,
) -> None:
    if setup:
        commit(
            record_former_surname_request(
                actor=clerk,
                purpose=PURPOSE,
                request=former(wife, FormerSurnameOperation.RECORD, "佐藤", "サトウ"),
            )
        )
    changes = Change.objects.count()
    with pytest.raises(DomainError) as raised:
        record_former_surname_request(
            actor=clerk, purpose=PURPOSE, request=former(wife, operation, surname, kana)
        )
    assert raised.value.code == code
    assert Change.objects.count() == changes


def test_former_surname_is_for_japanese_residents_only(clerk: User, foreigner: str) -> None:
    with pytest.raises(DomainError) as raised:
        record_former_surname_request(
            actor=clerk,
            purpose=PURPOSE,
            request=former(foreigner, FormerSurnameOperation.RECORD, "佐藤", "サトウ"),
        )
    assert raised.value.code == "registry.former_surname_japanese_only"


def test_recording_again_after_a_deletion_without_a_new_surname_is_an_alert(
    clerk: User, wife: str, commit: Callable[..., DraftRecorded]
) -> None:
    record = former(wife, FormerSurnameOperation.RECORD, "佐藤", "サトウ")
    commit(record_former_surname_request(actor=clerk, purpose=PURPOSE, request=record))
    commit(
        record_former_surname_request(
            actor=clerk, purpose=PURPOSE, request=former(wife, FormerSurnameOperation.DELETE)
        )
    )
    with pytest.raises(UnacknowledgedAlertsError) as raised:
        record_former_surname_request(actor=clerk, purpose=PURPOSE, request=record)
    assert [a.code for a in raised.value.alerts] == ["registry.former_surname_after_deletion"]
    draft = record_former_surname_request(
        actor=clerk,
        purpose=PURPOSE,
        request=former(
            wife,
            FormerSurnameOperation.RECORD,
            "佐藤",
            "サトウ",
            acknowledged_alerts=["registry.former_surname_after_deletion"],
        ),
    )
    entry = AuditEntry.objects.get(action="resident:former_surname:record", subject_id=str(draft.change_id))
    assert entry.reason == "旧氏の記載; acknowledged=registry.former_surname_after_deletion"


def test_a_future_request_date_is_refused(clerk: User, wife: str) -> None:
    request = FormerSurnameRequest(
        atena_number=wife,
        operation=FormerSurnameOperation.RECORD,
        request_date=today() + timedelta(days=1),
        former_surname="佐藤",
        former_surname_kana="サトウ",
    )
    with pytest.raises(DomainError) as raised:
        record_former_surname_request(actor=clerk, purpose=PURPOSE, request=request)
    assert (raised.value.code, raised.value.field) == ("registry.future_notification_date", "request_date")


# --- 通称 -----------------------------------------------------------------------------------------


def test_1_1_2_a_alias_keeps_its_recording_and_deletion_dates_and_municipalities(
    clerk: User, reviewer: User, foreigner: str, commit: Callable[..., DraftRecorded]
) -> None:
    recorded = commit(
        record_alias_application(
            actor=clerk,
            purpose=PURPOSE,
            application=alias(foreigner, AliasOperation.RECORD, "中村 安", "ナカムラヤスシ"),
        )
    )
    change = Change.objects.get(pk=recorded.change_id)
    assert (change.reason, change.notification_kind) == (ChangeReason.ALIAS_RECORDING, "申出")
    assert (current(foreigner).alias, current(foreigner).alias_kana) == ("中村 安", "ナカムラヤスシ")
    code = str(settings.JUMIN_NODE_CODE)
    entry = AliasEntry("中村 安", "ナカムラヤスシ", today().isoformat(), "佐世保市", code, "", "", "")
    assert alias_history(actor=reviewer, purpose=PURPOSE, atena_number=foreigner) == [entry]

    commit(
        record_alias_application(
            actor=clerk, purpose=PURPOSE, application=alias(foreigner, AliasOperation.DELETE)
        )
    )
    assert current(foreigner).alias == ""
    deleted = AliasEntry(
        "中村 安",
        "ナカムラヤスシ",
        today().isoformat(),
        "佐世保市",
        code,
        today().isoformat(),
        "佐世保市",
        code,
    )
    commit(
        record_alias_application(
            actor=clerk,
            purpose=PURPOSE,
            application=alias(foreigner, AliasOperation.RECORD, "中村 康", "ナカムラヤスシ"),
        )
    )
    history = alias_history(actor=reviewer, purpose=PURPOSE, atena_number=foreigner)
    assert history[0] == deleted
    assert (history[1].alias, history[1].deleted_on) == ("中村 康", "")
    # Every earlier row is kept: the row after the deletion still shows the closed entry only.
    rows = ResidentSnapshot.objects.filter(
        resident__atena_number=foreigner, history_no__isnull=False
    ).order_by("history_no")
    assert [row.alias for row in rows] == ["", "中村 安", "", "中村 康"]
    assert AuditEntry.objects.filter(action="resident:alias_history:view", outcome="done").count() == 2


@pytest.mark.parametrize(
    ("setup", "operation", "name", "kana", "code"),
    [
        (False, AliasOperation.DELETE, "", "", "registry.no_alias"),
        (True, AliasOperation.RECORD, "田中 一", "タナカハジメ", "registry.alias_already_recorded"),
        (False, AliasOperation.RECORD, "NGUYEN VAN AN", "グエン", "registry.alias_same_as_name"),
        (False, AliasOperation.RECORD, "中村 安", "", "registry.item_required"),
    ],
)
def test_bad_alias_applications_are_refused(
    clerk: User,
    foreigner: str,
    commit: Callable[..., DraftRecorded],
    setup: bool,
    operation: AliasOperation,
    name: str,
    kana: str,
    code: str,
) -> None:
    if setup:
        commit(
            record_alias_application(
                actor=clerk,
                purpose=PURPOSE,
                application=alias(foreigner, AliasOperation.RECORD, "中村 安", "ナカムラ"),
            )
        )
    changes = Change.objects.count()
    with pytest.raises(DomainError) as raised:
        record_alias_application(
            actor=clerk, purpose=PURPOSE, application=alias(foreigner, operation, name, kana)
        )
    assert raised.value.code == code
    assert Change.objects.count() == changes


def test_alias_is_for_foreign_residents_only(clerk: User, wife: str) -> None:
    with pytest.raises(DomainError) as raised:
        record_alias_application(
            actor=clerk, purpose=PURPOSE, application=alias(wife, AliasOperation.RECORD, "花", "ハナ")
        )
    assert raised.value.code == "registry.alias_foreign_only"


def test_alias_history_needs_the_view_permission(make_clerk: Callable[..., User], foreigner: str) -> None:
    with pytest.raises(AccessRefused):
        alias_history(actor=make_clerk("nobody"), purpose=PURPOSE, atena_number=foreigner)
    assert AuditEntry.objects.get(action="resident:alias_history:view").outcome == "refused"


# --- API and screens ------------------------------------------------------------------------------


def former_surname_data(atena: str) -> dict[str, str]:
    """A valid 旧氏の記載 request for the Japanese resident ``atena`` (screen and API alike)."""
    return {
        "purpose": PURPOSE,
        "atena_number": atena,
        "operation": "記載",
        "request_date": today().isoformat(),
        "former_surname": "佐藤",
        "former_surname_kana": "サトウ",
    }


def alias_data(atena: str) -> dict[str, str]:
    """A valid 通称の記載 application for the foreign resident ``atena`` (screen and API alike)."""
    return {
        "purpose": PURPOSE,
        "atena_number": atena,
        "operation": "記載",
        "application_date": today().isoformat(),
        "municipality_name": "佐世保市",
        "alias": "中村 安",
        "alias_kana": "ナカムラヤスシ",
    }


def test_api_former_surname_permission_triple(make_staff: Callable[..., object], wife: str) -> None:
    body = former_surname_data(wife)
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/foreign/former-surname",
        Permission.RESIDENT_RECORD,
        data=json.dumps(body),
        content_type="application/json",
        success_status=(201,),
    )


def test_api_alias_permission_triple(make_staff: Callable[..., object], foreigner: str) -> None:
    body = alias_data(foreigner)
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/foreign/alias",
        Permission.RESIDENT_RECORD,
        data=json.dumps(body),
        content_type="application/json",
        success_status=(201,),
    )


def test_api_alias_history_permission_triple(make_staff: Callable[..., object], foreigner: str) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/foreign/alias-history",
        Permission.RESIDENT_VIEW,
        data=json.dumps({"purpose": PURPOSE, "atena_number": foreigner}),
        content_type="application/json",
    )


def test_former_surname_screen_drafts_and_shows_errors(clerk: User, wife: str) -> None:
    client = logged_in(clerk)
    url = reverse("registry:former_surname")
    assert client.get(url).status_code == 200
    data = former_surname_data(wife)
    bad = client.post(url, {**data, "former_surname": "青木"})
    assert "旧氏が現在の氏と同じです" in bad.content.decode()
    assert "仮登録しました" in client.post(url, data).content.decode()


def test_former_surname_screen_permission_triple(make_staff: Callable[..., object], wife: str) -> None:
    data = former_surname_data(wife)
    assert_permission_triple(
        make_staff, "post", reverse("registry:former_surname"), Permission.RESIDENT_RECORD, data=data
    )


def test_alias_screen_drafts_and_shows_the_history(
    clerk: User, reviewer: User, foreigner: str, commit: Callable[..., DraftRecorded]
) -> None:
    url = reverse("registry:alias")
    data = alias_data(foreigner)
    done = logged_in(clerk).post(url, data)
    assert "仮登録しました" in done.content.decode()
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=Change.objects.get(reason="通称の記載").pk)
    shown = logged_in(reviewer).post(url, {"purpose": PURPOSE, "atena_number": foreigner, "show": "1"})
    page = shown.content.decode()
    assert "通称の履歴" in page
    assert "中村 安" in page
    assert "佐世保市（" in page


def test_alias_screen_permission_triple(make_staff: Callable[..., object], foreigner: str) -> None:
    data = alias_data(foreigner)
    assert_permission_triple(
        make_staff, "post", reverse("registry:alias"), Permission.RESIDENT_RECORD, data=data
    )
