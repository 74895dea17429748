"""特別養子縁組 (解消) and 性別の取扱いの変更 (standard 1.1.4-c, 1.1.5-b, 1.1.14-c): recorded as a change of
the person's items without 改製, left off printed history, still listed for clerks; an adoptee's 転出
may leave the destination blank when the 留意事項 carries the fixed wording 「特別養子縁組」."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.domain.certificates import CertificateKind
from jumin.domain.errors import DomainError
from jumin.domain.resident import ResidentStatus
from jumin.registry.models import ResidentSnapshot
from jumin.registry.selectors_corrections import change_history
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.workflows.ex_officio import (
    ExOfficioAction,
    ExOfficioCorrection,
    RecordBook,
    record_ex_officio_correction,
)
from jumin.registry.workflows.move_out import record_move_out
from tests.certificates.helpers import flat, pdf_pages
from tests.certificates.test_move_out import issue as issue_move_out
from tests.certificates.test_reorganisation import _history_text
from tests.registry.conftest import PURPOSE, current, logged_in
from tests.registry.test_ex_officio import _book_form
from tests.registry.test_move_out import move_out, screen_data

pytestmark = pytest.mark.django_db


def _status_change(action: ExOfficioAction, numbers: list[str], items: dict[str, str]) -> ExOfficioCorrection:
    today = timezone.localdate()
    return ExOfficioCorrection(
        action=action,
        atena_numbers=numbers,
        items=items,
        change_date=today - timedelta(days=1),
        record=RecordBook(
            legal_basis="住民基本台帳法施行令第12条第2項第1号",
            found_on=today,
            grounds="戸籍の届出に基づく通知",
            findings="本籍地からの通知により確認。",
            notified_on=today,
        ),
    )


def _record(clerk: User, reviewer: User, correction: ExOfficioCorrection) -> DraftRecorded:
    draft = record_ex_officio_correction(actor=clerk, purpose=PURPOSE, correction=correction)
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    return draft


def test_1_1_4_c_a_sex_change_amends_the_items_without_reorganisation_and_is_off_the_printed_history(
    family: DraftRecorded, clerk: User, reviewer: User, issuer: User, certifier: Any
) -> None:
    child = family.atena_numbers[2]
    _record(clerk, reviewer, _status_change(ExOfficioAction.SEX_CHANGE, [child], {"sex": "男"}))
    now = current(child)
    assert (now.sex, now.history_no, now.change.reason) == ("male", 2, "性別の取扱いの変更")
    assert AuditEntry.objects.filter(
        action="resident:ex_officio:record", reason__contains="性別の取扱いの変更"
    )
    text = _history_text(issuer, child)
    assert "令和8年11月1日国内転入" in text
    assert "性別の取扱いの変更" not in text  # the current state only (1.1.4-c)
    assert "男" in text
    listed = [e.reason for e in change_history(actor=reviewer, purpose=PURPOSE, atena_number=child)]
    assert listed == ["国内転入", "性別の取扱いの変更"]  # no 改製; clerks still see it on screen


def test_1_1_4_c_a_special_adoption_and_its_dissolution_are_off_the_printed_history(
    family: DraftRecorded, clerk: User, reviewer: User, issuer: User, certifier: Any
) -> None:
    child = family.atena_numbers[2]
    _record(
        clerk, reviewer, _status_change(ExOfficioAction.SPECIAL_ADOPTION, [child], {"given_name": "美奈"})
    )
    _record(
        clerk,
        reviewer,
        _status_change(ExOfficioAction.SPECIAL_ADOPTION_DISSOLUTION, [child], {"given_name": "三奈"}),
    )
    assert [
        s.change.reason
        for s in ResidentSnapshot.objects.filter(resident__atena_number=child)
        .exclude(history_no=None)
        .order_by("history_no")
    ] == ["国内転入", "特別養子縁組", "特別養子縁組の解消"]
    text = _history_text(issuer, child)
    assert "特別養子縁組" not in text
    assert "令和8年11月1日国内転入" in text


@pytest.mark.parametrize(
    ("action", "which", "items", "code"),
    [
        (ExOfficioAction.SEX_CHANGE, [2], {"relationship": "子"}, "registry.sex_change_without_sex"),
        (
            ExOfficioAction.SPECIAL_ADOPTION,
            [1, 2],
            {"surname": "佐藤"},
            "registry.status_change_personal_items",
        ),
        (
            ExOfficioAction.SPECIAL_ADOPTION,
            [2],
            {"katagaki": "101号"},
            "registry.status_change_personal_items",
        ),
    ],
)
def test_a_status_change_names_one_person_and_their_own_items(
    family: DraftRecorded,
    clerk: User,
    action: ExOfficioAction,
    which: list[int],
    items: dict[str, str],
    code: str,
) -> None:
    numbers = [family.atena_numbers[i] for i in which]
    with pytest.raises(DomainError) as refused:
        record_ex_officio_correction(
            actor=clerk, purpose=PURPOSE, correction=_status_change(action, numbers, items)
        )
    assert refused.value.code == code
    assert current(numbers[0]).history_no == 1


def test_1_1_5_b_an_adoptees_move_out_may_leave_the_destination_blank_only_with_the_fixed_wording(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    child = family.atena_numbers[2]
    for note in ("", "特別養子縁組解消", "養子縁組"):
        with pytest.raises(DomainError) as refused:
            record_move_out(
                actor=clerk, purpose=PURPOSE, move_out=move_out([child], destination="", attention_note=note)
            )
        assert refused.value.code == "registry.destination_required"
    draft = record_move_out(
        actor=clerk,
        purpose=PURPOSE,
        move_out=move_out([child], destination=" ", attention_note="特別養子縁組"),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    removed = current(child)
    assert (removed.status, removed.planned_destination) == (ResidentStatus.REMOVED, "")
    assert removed.change.attention_note == "特別養子縁組"  # the fixed wording in the 備考 (1.1.14-c)
    assert date(2026, 1, 1) < removed.removal_date


def test_the_correction_screen_enters_a_sex_change(family: DraftRecorded, clerk: User) -> None:
    data = _book_form(
        action="性別の取扱いの変更",
        atena_numbers=family.atena_numbers[2],
        items="性別 男",
        change_date=timezone.localdate().isoformat(),
    )
    done = logged_in(clerk).post(reverse("registry:ex_officio_correction"), data)
    assert "仮登録しました" in done.content.decode()
    draft = ResidentSnapshot.objects.get(
        history_no__isnull=True, resident__atena_number=family.atena_numbers[2]
    )
    assert (draft.sex, draft.change.reason) == ("male", "性別の取扱いの変更")


def test_the_move_out_screen_takes_a_blank_destination_with_the_fixed_wording_only(
    family: DraftRecorded, clerk: User
) -> None:
    client = logged_in(clerk)
    data = {**screen_data((family.atena_numbers[2],)), "destination": ""}
    refused = client.post(reverse("registry:move_out"), data).content.decode()
    assert "転出先が入力されていません" in refused
    done = client.post(reverse("registry:move_out"), {**data, "attention_note": "特別養子縁組"})
    assert "仮登録しました" in done.content.decode()


def test_1_1_5_b_an_adoptee_without_a_destination_still_gets_a_move_out_certificate(
    family: DraftRecorded, clerk: User, reviewer: User, issuer: User, certifier: Any
) -> None:
    planned = timezone.localdate() + timedelta(days=5)
    adoptee_leaves = move_out(
        family.atena_numbers, planned_date=planned, destination="", attention_note="特別養子縁組"
    )
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=adoptee_leaves)
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    text = flat("".join(pdf_pages(issue_move_out(issuer, family, CertificateKind.MOVE_OUT).pdf)))
    assert "転出証明書" in text
    assert "転出予定年月日" in text
