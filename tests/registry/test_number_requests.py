"""個人番号 requests: list, inquiry, re-send and the manual-link mode (standard 7.1.1.1-c)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.common.sending_address import PRINT_CHANGED_NUMBER
from jumin.jukinet.cs import relays
from jumin.jukinet.cs.models import CsIdentity, ManualLinkPeriod, SendingAddressRecord, SendingAddressSend
from jumin.messaging import queries
from jumin.messaging.testing import TestFederation
from jumin.messaging.tls import PeerUnreachable, RawResponse
from jumin.registry import number_requests
from jumin.registry.models import Change, ChangeState, ResidentSnapshot
from jumin.registry.services import DraftRecorded, commit_change, discard_change
from jumin.registry.snapshots import current_of, draft_from_current
from jumin.registry.workflows.number_changes import record_individual_number_change
from tests.registry.conftest import PURPOSE, current, logged_in
from tests.registry.test_birth_number_network import SASEBO, _record_birth, household
from tests.registry.test_number_changes import FIRST_NUMBER, GROUNDS, number_clerk, numbered, request

pytestmark = pytest.mark.django_db

__all__ = ["household", "number_clerk", "numbered"]  # the fixtures, imported for this module's tests


@pytest.fixture
def number_officer(make_clerk: Callable[..., User]) -> User:
    """A reviewer who also holds 特定個人情報アクセス権限 and sees the 個人番号 (C-9, C-10)."""
    return make_clerk(
        "numberofficer",
        Permission.RESIDENT_COMMIT,
        Permission.RESIDENT_VIEW,
        Permission.RESIDENT_RECORD,
        Permission.INDIVIDUAL_NUMBER_ACCESS,
        Permission.FIELD_INDIVIDUAL_NUMBER_VIEW,
    )


def _committed_rows(atena: str) -> list[tuple[int, int | None, str | None, str | None, str]]:
    """The person's committed rows as stored: id, 履歴番号, the encrypted 個人番号, its index, 異動事由."""
    return list(
        ResidentSnapshot.objects.filter(resident__atena_number=atena, history_no__isnull=False)
        .order_by("history_no")
        .values_list("pk", "history_no", "individual_number", "individual_number_index", "change__reason")
    )


def _assert_recorded(
    atena: str, before: list[tuple[int, int | None, str | None, str | None, str]], number: str
) -> None:
    """The number came as one new 職権 row (個人番号の記載) after ``before``, which stayed as it was."""
    *earlier, (row_id, history_no, _, _, reason) = _committed_rows(atena)
    assert earlier == before  # history is appended: the rows before keep their blank
    assert (history_no, reason) == (before[-1][1] + 1, "個人番号の記載")
    row = current(atena)
    assert (row.pk, row.get_individual_number()) == (row_id, number)
    change = Change.objects.select_related("ex_officio_record").get(pk=row.change_id)
    assert (change.state, change.notification_kind) == (ChangeState.COMMITTED, "職権")
    assert "手動連携" in change.ex_officio_record.grounds


def _unreachable(*_: object) -> RawResponse:
    raise PeerUnreachable("connection_refused")


def test_an_unanswered_request_is_listed_as_failed_and_its_resend_commits_the_birth(
    federation: TestFederation, clerk: User, reviewer: User, number_officer: User, household: str
) -> None:
    draft = _record_birth(federation, clerk, household)
    working = queries.set_transport(_unreachable)
    try:
        with federation.acting_as(SASEBO), pytest.raises(DomainError):
            commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    finally:
        queries.set_transport(working)
    [failed] = number_requests.request_list(actor=reviewer, purpose=PURPOSE, state="failed")
    assert (failed.change_id, failed.kind, failed.reason, failed.state_label) == (
        draft.change_id,
        "generation",
        "出生",
        "送信エラー",
    )
    assert (failed.failure_code, failed.resendable, failed.send_count) == (
        "registry.birth_number_node_unreachable",
        True,
        1,
    )
    with pytest.raises(DomainError) as fixed:  # a 生成要求's reason is the 異動事由
        number_requests.resend(actor=reviewer, purpose=PURPOSE, request_id=failed.request_id, reason="職権")
    assert fixed.value.code == "registry.number_request_reason_fixed"

    with federation.acting_as(SASEBO):
        number_requests.resend(actor=reviewer, purpose=PURPOSE, request_id=failed.request_id)
    child = current(draft.atena_numbers[0])
    number = child.get_individual_number()
    assert number is not None
    answered = number_requests.inquire(actor=number_officer, purpose=PURPOSE, request_id=failed.request_id)
    assert (answered.state, answered.send_count, answered.individual_number) == ("answered", 2, number)
    masked = number_requests.inquire(actor=reviewer, purpose=PURPOSE, request_id=failed.request_id)
    assert masked.individual_number not in ("", number)  # no 特定個人情報アクセス権限: masked
    inquiry = AuditEntry.objects.filter(action="cs:exchange:view").latest("seq")
    assert (inquiry.subject_id, inquiry.individual_number_used) == (str(failed.request_id), False)
    shown = AuditEntry.objects.filter(action="cs:exchange:view", individual_number_used=True)
    assert shown.count() == 1
    with pytest.raises(DomainError) as again:
        number_requests.resend(actor=reviewer, purpose=PURPOSE, request_id=failed.request_id)
    assert again.value.code == "registry.number_request_not_failed"


def test_in_manual_mode_the_birth_commits_without_a_number_and_the_clerk_enters_it(
    federation: TestFederation, clerk: User, reviewer: User, number_officer: User, household: str
) -> None:
    with pytest.raises(AccessRefused):  # switching needs 特定個人情報アクセス権限 too
        number_requests.start_manual_mode(actor=reviewer, purpose=PURPOSE, reason="回線障害")
    mode = number_requests.start_manual_mode(actor=number_officer, purpose=PURPOSE, reason="機構との回線障害")
    assert (mode.active, mode.started_by, mode.reason) == (True, "numberofficer", "機構との回線障害")
    with pytest.raises(DomainError):
        number_requests.start_manual_mode(actor=number_officer, purpose=PURPOSE, reason="二重")
    draft = _record_birth(federation, clerk, household)
    with federation.acting_as(SASEBO):
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
        child = current(draft.atena_numbers[0])
        assert child.juminhyo_code
        assert child.individual_number is None
        assert not SendingAddressRecord.objects.exists()
        [waiting] = number_requests.request_list(actor=number_officer, purpose=PURPOSE, state="manual")
        assert waiting.enterable
        # The number the CS terminal shows (its own 生成要求 to the national node).
        number = relays.request_individual_number(
            child.juminhyo_code, change=False, actor=number_officer, purpose=PURPOSE
        )
        wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
        with pytest.raises(DomainError) as refused:
            number_requests.enter_number(
                actor=number_officer, purpose=PURPOSE, request_id=waiting.request_id, number=wrong
            )
        assert refused.value.field == "individual_number"
        assert current(draft.atena_numbers[0]).individual_number is None
        before = _committed_rows(draft.atena_numbers[0])
        assert [(row[2], row[4]) for row in before] == [(None, "出生")]
        entered = number_requests.enter_number(
            actor=number_officer, purpose=PURPOSE, request_id=waiting.request_id, number=number
        )
    assert (entered.state, entered.individual_number) == ("manual_entered", number)
    _assert_recorded(draft.atena_numbers[0], before, number)
    assert CsIdentity.objects.get(resident_code=child.juminhyo_code).current.get_individual_number() == number
    assert SendingAddressRecord.objects.get().get_individual_number() == number
    audited = AuditEntry.objects.filter(
        action="cs:individual_number:request", subject_type="cs_number_request"
    )
    assert list(audited.values_list("reason", "outcome_reason", "individual_number_used")) == [
        ("number entered by hand", "", True)
    ]
    commit = AuditEntry.objects.filter(action="resident:change:commit").latest("seq")
    assert (commit.subject_id, commit.reason) == (
        str(current(draft.atena_numbers[0]).change_id),
        "個人番号の記載; entered by hand",
    )
    relinked = number_requests.end_manual_mode(actor=number_officer, purpose=PURPOSE)
    assert (relinked.linked, relinked.left) == (0, ())
    period = ManualLinkPeriod.objects.get()
    assert (period.is_open, period.started_by, period.ended_by) == (False, number_officer, number_officer)


def _manual_birth(
    federation: TestFederation, clerk: User, reviewer: User, officer: User, household: str
) -> DraftRecorded:
    """A birth committed in the manual-link mode: the child without a number."""
    number_requests.start_manual_mode(actor=officer, purpose=PURPOSE, reason="機構との回線障害")
    draft = _record_birth(federation, clerk, household)
    with federation.acting_as(SASEBO):
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert current(draft.atena_numbers[0]).individual_number is None
    return draft


def _birth_relinked(
    federation: TestFederation, clerk: User, reviewer: User, officer: User, household: str
) -> tuple[DraftRecorded, number_requests.Relinked]:
    """A birth committed in the manual-link mode, then the mode ended (re-linked)."""
    draft = _manual_birth(federation, clerk, reviewer, officer, household)
    with federation.acting_as(SASEBO):
        return draft, number_requests.end_manual_mode(actor=officer, purpose=PURPOSE)


def test_ending_the_manual_mode_relinks_the_waiting_requests(
    federation: TestFederation, clerk: User, reviewer: User, number_officer: User, household: str
) -> None:
    draft, relinked = _birth_relinked(federation, clerk, reviewer, number_officer, household)
    assert (relinked.linked, relinked.left) == (1, ())
    child = current(draft.atena_numbers[0])
    number = child.get_individual_number()
    assert number is not None
    birth_row = ResidentSnapshot.objects.get(change_id=draft.change_id)
    _assert_recorded(draft.atena_numbers[0], [_committed_rows(draft.atena_numbers[0])[0]], number)
    assert (birth_row.history_no, birth_row.individual_number) == (1, None)
    [row] = number_requests.request_list(actor=number_officer, purpose=PURPOSE)
    assert (row.state, row.individual_number) == ("answered", child.get_individual_number())
    assert not number_requests.manual_mode().active


def test_a_failed_change_request_is_resent_with_a_changed_reason(
    numbered: tuple[str, TestFederation], number_clerk: User, number_officer: User
) -> None:
    atena, federation = numbered
    with federation.acting_as(SASEBO):
        draft = record_individual_number_change(
            actor=number_clerk, purpose=PURPOSE, request=request(atena, grounds=GROUNDS)
        )
    with pytest.raises(DomainError):  # outside the federation: the national node is not reachable
        commit_change(actor=number_officer, purpose=PURPOSE, change_id=draft.change_id)
    [failed] = number_requests.request_list(actor=number_officer, purpose=PURPOSE, state="failed")
    assert (failed.kind, failed.reason) == ("change", "請求")
    assert failed.resident_code  # shown: the code of a 変更要求 is known
    with pytest.raises(DomainError) as wrong:
        number_requests.resend(
            actor=number_officer, purpose=PURPOSE, request_id=failed.request_id, reason="不明"
        )
    assert wrong.value.field == "reason"
    with federation.acting_as(SASEBO):
        number_requests.resend(
            actor=number_officer, purpose=PURPOSE, request_id=failed.request_id, reason="職権"
        )
    answered = number_requests.inquire(actor=number_officer, purpose=PURPOSE, request_id=failed.request_id)
    assert (answered.state, answered.reason, answered.previous_reasons) == ("answered", "職権", ("請求",))
    assert answered.individual_number == current(atena).get_individual_number() != FIRST_NUMBER
    change = Change.objects.get(pk=draft.change_id)
    assert (change.notification_kind, change.number_change.basis) == ("職権", "職権")


def test_a_change_committed_in_manual_mode_carries_no_number_until_it_is_entered(
    numbered: tuple[str, TestFederation], number_clerk: User, number_officer: User
) -> None:
    atena, federation = numbered
    number_requests.start_manual_mode(actor=number_officer, purpose=PURPOSE, reason="機構との回線障害")
    with federation.acting_as(SASEBO):
        draft = record_individual_number_change(
            actor=number_clerk, purpose=PURPOSE, request=request(atena, grounds=GROUNDS)
        )
        commit_change(actor=number_officer, purpose=PURPOSE, change_id=draft.change_id)
        assert current(atena).individual_number is None  # the old number was abolished with the change
        before = _committed_rows(atena)
        assert not SendingAddressSend.objects.filter(print_category=PRINT_CHANGED_NUMBER).exists()
        relinked = number_requests.end_manual_mode(actor=number_officer, purpose=PURPOSE)
    assert (relinked.linked, relinked.left) == (1, ())
    new_number = current(atena).get_individual_number()
    assert new_number not in (None, FIRST_NUMBER)
    assert new_number is not None
    _assert_recorded(atena, before, new_number)
    first, changed = ResidentSnapshot.objects.filter(resident__atena_number=atena).order_by("history_no")[:2]
    assert (first.get_individual_number(), changed.individual_number) == (FIRST_NUMBER, None)
    assert SendingAddressSend.objects.filter(print_category=PRINT_CHANGED_NUMBER).count() == 1


def test_the_api_and_the_screen_list_the_requests_and_mask_the_number_without_the_grant(
    federation: TestFederation, clerk: User, reviewer: User, number_officer: User, household: str
) -> None:
    draft, _ = _birth_relinked(federation, clerk, reviewer, number_officer, household)
    number = current(draft.atena_numbers[0]).get_individual_number()
    assert number is not None
    for user, visible in ((number_officer, True), (reviewer, False)):
        client = logged_in(user)
        listed = client.post(
            "/api/registry/kojin-bango-requests/list", {"purpose": PURPOSE}, content_type="application/json"
        )
        assert listed.status_code == 200
        [row] = listed.json()
        assert (row["state"], row["individual_number"] == number) == ("answered", visible)
        page = client.post("/registry/kojin-bango-requests/", {"purpose": PURPOSE}).content.decode()
        assert "個人番号の生成・変更要求一覧" in page
        assert "回答済" in page
        assert (number in page) is visible
    mode = logged_in(reviewer).post(
        "/api/registry/kojin-bango-requests/manual-mode/start",
        {"purpose": PURPOSE, "reason": "回線障害"},
        content_type="application/json",
    )
    assert mode.status_code == 403  # no 特定個人情報アクセス権限
    bad = logged_in(number_officer).post(
        "/api/registry/kojin-bango-requests/manual-mode/start",
        {"purpose": PURPOSE, "reason": ""},
        content_type="application/json",
    )
    assert (bad.status_code, bad.json()["field"]) == (400, "reason")
    started = (
        logged_in(number_officer)
        .post(
            "/registry/kojin-bango-requests/",
            {"purpose": PURPOSE, "mode": "start", "mode_reason": "機構との回線障害"},
        )
        .content.decode()
    )
    assert "手動連携中" in started
    assert number_requests.manual_mode().active


def test_a_relink_the_node_does_not_answer_keeps_the_request_waiting(
    federation: TestFederation, clerk: User, reviewer: User, number_officer: User, household: str
) -> None:
    draft = _manual_birth(federation, clerk, reviewer, number_officer, household)
    working = queries.set_transport(_unreachable)
    try:
        with federation.acting_as(SASEBO):
            relinked = number_requests.end_manual_mode(actor=number_officer, purpose=PURPOSE)
    finally:
        queries.set_transport(working)
    [(request_id, code)] = relinked.left
    assert (relinked.linked, code.startswith("messaging.")) == (0, True)
    waiting = number_requests.inquire(actor=number_officer, purpose=PURPOSE, request_id=request_id)
    assert (waiting.state, waiting.enterable, waiting.failure_code) == ("manual", True, code)
    assert current(draft.atena_numbers[0]).individual_number is None
    # Another person's number (the head's, set here) is not the child's: refused, nothing written.
    head = ResidentSnapshot.objects.filter(current_of__isnull=False).exclude(change_id=draft.change_id).get()
    head.set_individual_number(FIRST_NUMBER)
    head.save(update_fields=["individual_number", "individual_number_index"])
    with pytest.raises(DomainError) as taken:
        number_requests.enter_number(
            actor=number_officer, purpose=PURPOSE, request_id=request_id, number=FIRST_NUMBER
        )
    assert (taken.value.field, taken.value.code) == ("individual_number", "registry.individual_number_in_use")
    assert current(draft.atena_numbers[0]).individual_number is None


def test_a_number_waits_while_another_clerks_draft_holds_the_person(
    federation: TestFederation, clerk: User, reviewer: User, number_officer: User, household: str
) -> None:
    draft = _manual_birth(federation, clerk, reviewer, number_officer, household)
    atena = draft.atena_numbers[0]
    with transaction.atomic():  # another clerk's draft of the child (a 仮登録 of any change)
        resident, row = current_of(atena, lock=True)
        pending = Change.objects.create(
            reason="転居",
            change_date=timezone.localdate(),
            notification_kind="届出",
            made_by=clerk,
            made_at=timezone.now(),
        )
        draft_from_current(resident, row, pending)
    before = _committed_rows(atena)
    [waiting] = number_requests.request_list(actor=number_officer, purpose=PURPOSE, state="manual")
    with pytest.raises(DomainError) as locked:
        number_requests.enter_number(
            actor=number_officer, purpose=PURPOSE, request_id=waiting.request_id, number=FIRST_NUMBER
        )
    assert locked.value.code == "registry.resident_locked"
    with federation.acting_as(SASEBO):
        relinked = number_requests.end_manual_mode(actor=number_officer, purpose=PURPOSE)
    assert (relinked.linked, relinked.left) == (0, ((waiting.request_id, "registry.resident_locked"),))
    assert _committed_rows(atena) == before  # nothing written, no 記載 change left behind
    assert not Change.objects.filter(reason="個人番号の記載").exists()
    discard_change(actor=clerk, purpose=PURPOSE, change_id=pending.pk, reason="入力誤り")
    number_requests.enter_number(
        actor=number_officer, purpose=PURPOSE, request_id=waiting.request_id, number=FIRST_NUMBER
    )
    _assert_recorded(atena, before, FIRST_NUMBER)
