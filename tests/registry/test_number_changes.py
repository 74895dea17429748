"""住民票コード and 個人番号 changes, on request and by 職権 (standard 4.3.2-a, 4.4-a; system.md F22)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates.registry_notices import CodeNoticeKind, print_juminhyo_code_notice
from jumin.domain.checkdigits import mynumber_check_digit
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason
from jumin.jukinet.common.sending_address import PRINT_CHANGED_NUMBER
from jumin.jukinet.cs import relays
from jumin.jukinet.cs.models import CsIdentity, SendingAddressSend, UnlinkedUpdate, UpdateRejection
from jumin.jukinet.prefecture.models import IdentityRecord
from jumin.messaging.envelope import NodeRef
from jumin.messaging.testing import TestFederation
from jumin.registry import number_renewal
from jumin.registry.models import Change, ChangeState, JuminhyoCodePool, ResidentSnapshot
from jumin.registry.numbering import load_code_pool
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.acknowledgement import UnacknowledgedAlertsError
from jumin.registry.workflows.number_changes import (
    ChangeBasis,
    NumberChangeRequest,
    ResidentCodeCorrection,
    record_individual_number_change,
    record_resident_code_change,
    record_resident_code_correction,
)
from tests.helpers.permission_matrix import assert_permission_triple
from tests.jukinet.cs.factories import resident_code
from tests.registry.conftest import PURPOSE, current, family_move_in, logged_in

pytestmark = pytest.mark.django_db

SASEBO = NodeRef("municipality", "422029")
FIRST_NUMBER = "12345678901" + mynumber_check_digit("12345678901")
GROUNDS = "個人番号が記載された書類を紛失し、不正に用いられるおそれがある。"


def request(atena: str, basis: ChangeBasis = ChangeBasis.REQUEST, **extra: Any) -> NumberChangeRequest:
    values: dict[str, Any] = {"requested_on": timezone.localdate() - timedelta(days=1), "grounds": ""}
    values.update(extra)
    return NumberChangeRequest(atena_number=atena, basis=basis, **values)


@pytest.fixture
def code_pool(db: None) -> list[str]:
    """Codes that pass the federation's check-digit rule, so the CS accepts every person."""
    codes = [resident_code(n) for n in range(100, 140)]
    load_code_pool(codes)
    return codes


@pytest.fixture
def head(family: DraftRecorded) -> str:
    return family.atena_numbers[0]


@pytest.fixture
def number_clerk(make_clerk: Callable[..., User]) -> User:
    return make_clerk(
        "maker_no", Permission.RESIDENT_RECORD, Permission.RESIDENT_VIEW, Permission.INDIVIDUAL_NUMBER_ACCESS
    )


@pytest.fixture
def number_reviewer(make_clerk: Callable[..., User]) -> User:
    return make_clerk(
        "checker_no",
        Permission.RESIDENT_COMMIT,
        Permission.RESIDENT_VIEW,
        Permission.INDIVIDUAL_NUMBER_ACCESS,
    )


# --- 住民票コード -----------------------------------------------------------------------------------


def test_a_requested_code_change_takes_a_new_code_at_commit_and_keeps_the_old_one(
    clerk: User, reviewer: User, head: str, code_pool: list[str]
) -> None:
    before = current(head)
    old_code, old_history = before.juminhyo_code, before.history_no
    draft = record_resident_code_change(actor=clerk, purpose=PURPOSE, request=request(head))
    assert current(head).juminhyo_code == old_code  # a draft changes nothing yet
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)

    after = current(head)
    assert after.juminhyo_code != old_code
    assert after.juminhyo_code in code_pool
    assert after.former_juminhyo_code == old_code
    assert after.juminhyo_code_used_on == timezone.localdate()
    assert after.history_no == (old_history or 0) + 1
    # History appended: the old row still holds the old code.
    assert (
        ResidentSnapshot.objects.get(resident=after.resident, history_no=old_history).juminhyo_code
        == old_code
    )
    change = Change.objects.get(pk=draft.change_id)
    assert (change.reason, change.notification_kind) == (ChangeReason.RESIDENT_CODE_CHANGE, "請求")
    assert change.number_change.basis == "請求"
    # The code is never handed out again, and the old one does not go back to the pool.
    assert JuminhyoCodePool.objects.get(code=after.juminhyo_code).taken_at is not None
    assert not JuminhyoCodePool.objects.filter(code=old_code, taken_at__isnull=True).exists()


def test_the_cs_update_carries_the_reason_and_the_former_code(clerk: User, reviewer: User, head: str) -> None:
    old_code = current(head).juminhyo_code
    draft = record_resident_code_change(actor=clerk, purpose=PURPOSE, request=request(head))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    new_code = current(head).juminhyo_code
    identity = CsIdentity.objects.select_related("current").get(resident_code=new_code)
    assert identity.current is not None
    assert identity.current.change_reason == "住民票コードの変更"
    assert identity.current.former_resident_code == old_code
    assert identity.current.code_in_use_date == timezone.localdate().isoformat()


def test_the_change_notice_prints_the_old_and_the_new_code(
    clerk: User, reviewer: User, head: str, make_clerk: Callable[..., User]
) -> None:
    old_code = current(head).juminhyo_code
    draft = record_resident_code_change(actor=clerk, purpose=PURPOSE, request=request(head))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    printer = make_clerk("printer", Permission.CERTIFICATE_NOTICE_PRINT)
    pdf = print_juminhyo_code_notice(
        actor=printer, purpose=PURPOSE, atena_number=head, kind=CodeNoticeKind.CHANGED
    )
    assert pdf.startswith(b"%PDF")
    assert old_code != current(head).juminhyo_code


def test_an_ex_officio_code_change_needs_its_grounds(clerk: User, head: str) -> None:
    with pytest.raises(DomainError) as refused:
        record_resident_code_change(
            actor=clerk, purpose=PURPOSE, request=request(head, ChangeBasis.EX_OFFICIO)
        )
    assert refused.value.code == "registry.number_change_grounds_required"
    assert not Change.objects.filter(reason=ChangeReason.RESIDENT_CODE_CHANGE).exists()
    draft = record_resident_code_change(
        actor=clerk, purpose=PURPOSE, request=request(head, ChangeBasis.EX_OFFICIO, grounds="重複付番の判明")
    )
    assert Change.objects.get(pk=draft.change_id).notification_kind == "職権"


def test_a_future_request_date_is_refused_and_changes_nothing(clerk: User, head: str) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(DomainError) as refused:
        record_resident_code_change(
            actor=clerk, purpose=PURPOSE, request=request(head, requested_on=tomorrow)
        )
    assert refused.value.code == "registry.future_notification_date"
    assert not Change.objects.filter(reason=ChangeReason.RESIDENT_CODE_CHANGE).exists()


def test_a_second_code_change_raises_an_alert_to_acknowledge(clerk: User, reviewer: User, head: str) -> None:
    first = record_resident_code_change(actor=clerk, purpose=PURPOSE, request=request(head))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=first.change_id)
    with pytest.raises(UnacknowledgedAlertsError):
        record_resident_code_change(actor=clerk, purpose=PURPOSE, request=request(head))
    draft = record_resident_code_change(
        actor=clerk,
        purpose=PURPOSE,
        request=request(head, acknowledged_alerts=("registry.juminhyo_code_changed_before",)),
    )
    assert draft.alerts[0].code == "registry.juminhyo_code_changed_before"


def test_an_empty_pool_refuses_the_commit_and_changes_nothing(clerk: User, reviewer: User, head: str) -> None:
    old_code = current(head).juminhyo_code
    draft = record_resident_code_change(actor=clerk, purpose=PURPOSE, request=request(head))
    JuminhyoCodePool.objects.filter(taken_at__isnull=True).update(taken_at=timezone.now())
    with pytest.raises(DomainError) as refused:
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert refused.value.code == "registry.code_pool_empty"
    assert current(head).juminhyo_code == old_code
    assert Change.objects.get(pk=draft.change_id).state == ChangeState.DRAFT


def test_the_maker_cannot_commit_the_code_change(
    clerk: User, head: str, make_clerk: Callable[..., User]
) -> None:
    both = make_clerk(
        "both", Permission.RESIDENT_RECORD, Permission.RESIDENT_COMMIT, Permission.RESIDENT_VIEW
    )
    draft = record_resident_code_change(actor=both, purpose=PURPOSE, request=request(head))
    with pytest.raises(AccessRefused):
        commit_change(actor=both, purpose=PURPOSE, change_id=draft.change_id)


# --- 住民票コードの修正 -----------------------------------------------------------------------------


def correction(atena: str, code: str, **extra: Any) -> ResidentCodeCorrection:
    values: dict[str, Any] = {"found_on": timezone.localdate(), "grounds": "移行時の誤記載がCSとの照合で判明"}
    values.update(extra)
    return ResidentCodeCorrection(atena_number=atena, correct_code=code, **values)


def test_a_wrong_code_is_corrected_to_the_right_one_and_the_correction_notice_prints(
    clerk: User, reviewer: User, head: str, make_clerk: Callable[..., User]
) -> None:
    wrong = current(head).juminhyo_code
    right = resident_code(900)
    draft = record_resident_code_correction(actor=clerk, purpose=PURPOSE, correction=correction(head, right))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    after = current(head)
    assert (after.juminhyo_code, after.former_juminhyo_code) == (right, wrong)
    change = Change.objects.get(pk=draft.change_id)
    assert (change.notification_kind, change.number_change.basis) == ("職権", "修正")
    assert not JuminhyoCodePool.objects.filter(code=right).exists()  # not taken from the pool
    printer = make_clerk("printer", Permission.CERTIFICATE_NOTICE_PRINT)
    pdf = print_juminhyo_code_notice(
        actor=printer, purpose=PURPOSE, atena_number=head, kind=CodeNoticeKind.CORRECTED
    )
    assert pdf.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("123", "juminhyo.format", id="malformed"),
        pytest.param("same", "registry.juminhyo_code_unchanged", id="unchanged"),
        pytest.param("other", "registry.juminhyo_code_in_use", id="another-persons-code"),
        pytest.param("pool", "registry.juminhyo_code_unassigned", id="unused-pool-code"),
    ],
)
def test_a_correction_to_an_unusable_code_is_refused(
    clerk: User, family: DraftRecorded, code: str, expected: str
) -> None:
    head, wife = family.atena_numbers[:2]
    value = {
        "same": current(head).juminhyo_code,
        "other": current(wife).juminhyo_code,
        "pool": JuminhyoCodePool.objects.filter(taken_at__isnull=True).values_list("code", flat=True).first(),
    }.get(code, code)
    with pytest.raises(DomainError) as refused:
        record_resident_code_correction(actor=clerk, purpose=PURPOSE, correction=correction(head, str(value)))
    assert refused.value.field == "correct_code"
    assert refused.value.code == expected
    assert not Change.objects.filter(reason=ChangeReason.RESIDENT_CODE_CHANGE).exists()


def test_a_correction_needs_its_grounds(clerk: User, head: str) -> None:
    with pytest.raises(DomainError) as refused:
        record_resident_code_correction(
            actor=clerk, purpose=PURPOSE, correction=correction(head, resident_code(900), grounds="")
        )
    assert refused.value.code == "registry.number_change_grounds_required"


# --- 個人番号 (national node through the CS) ------------------------------------------------------


@pytest.fixture
def numbered(federation: TestFederation, number_clerk: User, reviewer: User) -> tuple[str, TestFederation]:
    """The head of a household moved in with a 個人番号, whose 住民票コード the national node issued."""
    with federation.acting_as(SASEBO):
        load_code_pool(relays.fetch_resident_codes(10, actor=number_clerk, purpose="registry_batch"))
        draft = record_move_in(
            actor=number_clerk,
            purpose=PURPOSE,
            move_in=family_move_in(members=family_move_in().members[:1], individual_numbers=(FIRST_NUMBER,)),
        )
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    return draft.atena_numbers[0], federation


def test_a_requested_number_change_gets_a_new_number_from_the_national_node(
    numbered: tuple[str, TestFederation], number_clerk: User, number_reviewer: User
) -> None:
    atena, federation = numbered
    before = current(atena)
    with federation.acting_as(SASEBO):
        draft = record_individual_number_change(
            actor=number_clerk, purpose=PURPOSE, request=request(atena, grounds=GROUNDS)
        )
        assert current(atena).get_individual_number() == FIRST_NUMBER  # the draft changes nothing
        commit_change(actor=number_reviewer, purpose=PURPOSE, change_id=draft.change_id)
    after = current(atena)
    new_number = after.get_individual_number()
    assert new_number is not None
    assert new_number != FIRST_NUMBER
    assert len(new_number) == 12
    assert after.juminhyo_code == before.juminhyo_code
    assert after.history_no == (before.history_no or 0) + 1
    # The old number stays only in history, found by its blind index on the earlier row.
    old_rows = ResidentSnapshot.objects.filter(resident=after.resident, history_no=before.history_no)
    assert old_rows.get().get_individual_number() == FIRST_NUMBER
    assert Change.objects.get(pk=draft.change_id).number_change.grounds == GROUNDS
    identity = CsIdentity.objects.select_related("current").get(resident_code=after.juminhyo_code)
    assert identity.current is not None
    assert identity.current.change_reason == "個人番号の変更"
    assert identity.current.get_individual_number() == new_number
    assert AuditEntry.objects.filter(action="cs:individual_number:request", reason="change").exists()
    # The new 個人番号通知書: one 送付先情報 with the 印刷区分 of a changed number (F22 step 4).
    sends = SendingAddressSend.objects.filter(print_category=PRINT_CHANGED_NUMBER)
    assert sends.count() == 1
    assert not UnlinkedUpdate.objects.exists()
    entry = AuditEntry.objects.get(
        action="resident:individual_number:change", subject_id=str(draft.change_id)
    )
    assert entry.individual_number_used
    assert GROUNDS not in entry.reason  # the grounds are personal data: never in the audit text


def test_an_ex_officio_number_change_is_committed_the_same_way(
    numbered: tuple[str, TestFederation], number_clerk: User, number_reviewer: User
) -> None:
    atena, federation = numbered
    with federation.acting_as(SASEBO):
        draft = record_individual_number_change(
            actor=number_clerk,
            purpose=PURPOSE,
            request=request(atena, ChangeBasis.EX_OFFICIO, grounds="漏えい事案の報告による"),
        )
        commit_change(actor=number_reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert current(atena).get_individual_number() not in (None, FIRST_NUMBER)
    assert Change.objects.get(pk=draft.change_id).notification_kind == "職権"


def test_a_number_change_request_without_a_reason_is_refused(
    numbered: tuple[str, TestFederation], number_clerk: User
) -> None:
    atena, _ = numbered
    with pytest.raises(DomainError) as refused:
        record_individual_number_change(
            actor=number_clerk, purpose=PURPOSE, request=request(atena, grounds="  ")
        )
    assert refused.value.code == "registry.number_change_grounds_required"
    assert not Change.objects.filter(reason=ChangeReason.INDIVIDUAL_NUMBER_CHANGE).exists()


def test_a_person_without_a_number_cannot_have_it_changed(number_clerk: User, head: str) -> None:
    with pytest.raises(DomainError) as refused:
        record_individual_number_change(
            actor=number_clerk, purpose=PURPOSE, request=request(head, grounds=GROUNDS)
        )
    assert refused.value.code == "registry.no_individual_number"


def test_entering_a_number_change_needs_the_individual_number_permission(
    numbered: tuple[str, TestFederation], clerk: User
) -> None:
    atena, _ = numbered
    with pytest.raises(AccessRefused):
        record_individual_number_change(actor=clerk, purpose=PURPOSE, request=request(atena, grounds=GROUNDS))
    refused = AuditEntry.objects.filter(action="resident:individual_number:change", outcome="refused")
    assert refused.count() == 1


def test_committing_a_number_change_needs_the_individual_number_permission(
    numbered: tuple[str, TestFederation], number_clerk: User, reviewer: User
) -> None:
    atena, federation = numbered
    with federation.acting_as(SASEBO):
        draft = record_individual_number_change(
            actor=number_clerk, purpose=PURPOSE, request=request(atena, grounds=GROUNDS)
        )
        with pytest.raises(AccessRefused):
            commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert current(atena).get_individual_number() == FIRST_NUMBER
    assert not AuditEntry.objects.filter(action="cs:individual_number:request").exists()


def test_an_unreachable_national_node_refuses_the_commit_and_changes_nothing(
    numbered: tuple[str, TestFederation],
    number_clerk: User,
    number_reviewer: User,
    settings: Any,
) -> None:
    atena, federation = numbered
    with federation.acting_as(SASEBO):
        draft = record_individual_number_change(
            actor=number_clerk, purpose=PURPOSE, request=request(atena, grounds=GROUNDS)
        )
    before = current(atena)
    versions = CsIdentity.objects.get(resident_code=before.juminhyo_code).update_seq
    # Outside the federation this node has no peers: the national node is not reachable.
    with pytest.raises(DomainError) as refused:
        commit_change(actor=number_reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert refused.value.code == "registry.individual_number_node_unreachable"
    assert "全国サーバ" in refused.value.reason
    after = current(atena)
    assert (after.pk, after.get_individual_number()) == (before.pk, FIRST_NUMBER)
    assert Change.objects.get(pk=draft.change_id).state == ChangeState.DRAFT
    assert ResidentSnapshot.objects.get(change_id=draft.change_id).get_individual_number() == FIRST_NUMBER
    assert CsIdentity.objects.get(resident_code=before.juminhyo_code).update_seq == versions
    # Once the node answers again, the same draft commits.
    with federation.acting_as(SASEBO):
        commit_change(actor=number_reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert current(atena).get_individual_number() != FIRST_NUMBER


def test_a_draft_discarded_during_the_commit_asks_the_national_node_for_nothing(
    numbered: tuple[str, TestFederation],
    number_clerk: User,
    number_reviewer: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    atena, federation = numbered
    with federation.acting_as(SASEBO):
        draft = record_individual_number_change(
            actor=number_clerk, purpose=PURPOSE, request=request(atena, grounds=GROUNDS)
        )
    authorize_commit = number_renewal.authorize_commit

    def discarded_meanwhile(change: Change, **kwargs: Any) -> None:
        authorize_commit(change, **kwargs)
        # Another clerk discards the draft after the first state check, before the commit locks it.
        Change.objects.filter(pk=change.pk).update(state=ChangeState.DISCARDED)

    monkeypatch.setattr(number_renewal, "authorize_commit", discarded_meanwhile)
    with federation.acting_as(SASEBO), pytest.raises(DomainError) as refused:
        commit_change(actor=number_reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert refused.value.code == "registry.draft_already_processed"
    assert not AuditEntry.objects.filter(action="cs:individual_number:request", reason="change").exists()
    assert current(atena).get_individual_number() == FIRST_NUMBER


def test_a_stale_number_change_draft_is_refused_before_the_node_issues_a_number(
    numbered: tuple[str, TestFederation], number_clerk: User, number_reviewer: User
) -> None:
    atena, federation = numbered
    with federation.acting_as(SASEBO):
        draft = record_individual_number_change(
            actor=number_clerk, purpose=PURPOSE, request=request(atena, grounds=GROUNDS)
        )
    # Another change of the same person is committed meanwhile (its row becomes the current one).
    later = ResidentSnapshot.objects.get(change_id=draft.change_id)
    ResidentSnapshot.objects.filter(pk=current(atena).pk).update(
        history_no=(later.based_on_history_no or 0) + 1
    )
    with federation.acting_as(SASEBO), pytest.raises(DomainError) as refused:
        commit_change(actor=number_reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert refused.value.code == "registry.stale_draft"
    assert not AuditEntry.objects.filter(action="cs:individual_number:request", reason="change").exists()
    assert Change.objects.get(pk=draft.change_id).state == ChangeState.DRAFT


def test_the_prefecture_accepts_the_code_change_under_the_new_code(
    numbered: tuple[str, TestFederation], clerk: User, reviewer: User
) -> None:
    atena, federation = numbered
    federation.pump()
    old_code = current(atena).juminhyo_code
    with federation.acting_as(SASEBO):
        draft = record_resident_code_change(actor=clerk, purpose=PURPOSE, request=request(atena))
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    federation.pump()
    new_code = current(atena).juminhyo_code
    assert new_code != old_code
    record = IdentityRecord.objects.get(resident_code=new_code)
    assert record.notice["change_reason"] == "住民票コードの変更"
    # Known gap (docs/workflows/number-changes.md): the network notice has no 旧住民票コード, so the
    # national node cannot move the 個人番号 to the new code and answers number_conflict.
    assert set(UpdateRejection.objects.values_list("code", flat=True)) <= {"jukinet.national.number_conflict"}


# --- API and screens ----------------------------------------------------------------------------


def _body(atena: str, **extra: Any) -> str:
    body = {
        "purpose": PURPOSE,
        "atena_number": atena,
        "basis": "請求",
        "requested_on": timezone.localdate().isoformat(),
        **extra,
    }
    return json.dumps(body)


def test_api_resident_code_permission_triple(make_staff: Callable[..., object], head: str) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/code-changes/resident-code",
        Permission.RESIDENT_RECORD,
        data=_body(head),
        content_type="application/json",
        success_status=(201,),
    )


def test_api_individual_number_permission_triple(
    make_staff: Callable[..., object], numbered: tuple[str, TestFederation]
) -> None:
    atena, _ = numbered
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/code-changes/kojin-bango",
        Permission.INDIVIDUAL_NUMBER_ACCESS,
        data=_body(atena, grounds=GROUNDS),
        content_type="application/json",
        other_permissions=[Permission.RESIDENT_RECORD],
        success_status=(201,),
    )


def test_api_refusal_names_the_field_and_the_code(clerk: User, head: str) -> None:
    response = logged_in(clerk).post(
        "/api/registry/code-changes/resident-code",
        data=_body(head, basis="職権"),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "registry.number_change_grounds_required"


def test_api_correction_permission_triple(make_staff: Callable[..., object], head: str) -> None:
    body = {
        "purpose": PURPOSE,
        "atena_number": head,
        "correct_code": resident_code(900),
        "found_on": timezone.localdate().isoformat(),
        "grounds": "照合で判明",
    }
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/code-changes/resident-code-correction",
        Permission.RESIDENT_RECORD,
        data=json.dumps(body),
        content_type="application/json",
        success_status=(201,),
    )


def test_correction_screen_is_on_the_menu(clerk: User) -> None:
    client = logged_in(clerk)
    menu = client.get(reverse("registry:menu")).content.decode()
    for name in ("resident_code_change", "resident_code_correction", "individual_number_change"):
        assert reverse(f"registry:{name}") in menu
    assert client.get(reverse("registry:resident_code_correction")).status_code == 200


def test_screen_enters_a_code_change_draft(clerk: User, head: str) -> None:
    client = logged_in(clerk)
    url = reverse("registry:resident_code_change")
    page = client.get(url)
    assert page.status_code == 200
    assert "住民票コードの変更" in page.content.decode()
    response = client.post(
        url,
        {
            "purpose": PURPOSE,
            "atena_number": head,
            "basis": "請求",
            "requested_on": timezone.localdate().isoformat(),
            "grounds": "",
        },
    )
    assert response.status_code == 200
    assert Change.objects.filter(reason=ChangeReason.RESIDENT_CODE_CHANGE, state=ChangeState.DRAFT).exists()


def test_number_screen_shows_the_refusal_in_japanese_and_no_number(
    number_clerk: User, numbered: tuple[str, TestFederation]
) -> None:
    atena, _ = numbered
    response = logged_in(number_clerk).post(
        reverse("registry:individual_number_change"),
        {
            "purpose": PURPOSE,
            "atena_number": atena,
            "basis": "請求",
            "requested_on": timezone.localdate().isoformat(),
            "grounds": "",
        },
    )
    text = response.content.decode()
    assert "個人番号の変更の理由が入力されていません。" in text
    assert FIRST_NUMBER not in text
    assert not Change.objects.filter(reason=ChangeReason.INDIVIDUAL_NUMBER_CHANGE).exists()
