"""個人番号 requests: list, inquiry, re-send and the manual-link mode (standard 7.1.1.1-c)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.cs import relays
from jumin.jukinet.cs.models import CsIdentity, ManualLinkPeriod, SendingAddressRecord
from jumin.messaging import queries
from jumin.messaging.testing import TestFederation
from jumin.messaging.tls import PeerUnreachable, RawResponse
from jumin.registry import number_requests
from jumin.registry.services import commit_change
from tests.registry.conftest import PURPOSE, current
from tests.registry.test_birth_number_network import SASEBO, _record_birth, household

pytestmark = pytest.mark.django_db

__all__ = ["household"]  # the fixture, imported for this module's tests


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
        entered = number_requests.enter_number(
            actor=number_officer, purpose=PURPOSE, request_id=waiting.request_id, number=number
        )
    assert (entered.state, entered.individual_number) == ("manual_entered", number)
    assert current(draft.atena_numbers[0]).get_individual_number() == number
    assert CsIdentity.objects.get(resident_code=child.juminhyo_code).current.get_individual_number() == number
    assert SendingAddressRecord.objects.get().get_individual_number() == number
    audited = AuditEntry.objects.filter(
        action="cs:individual_number:request", subject_type="cs_number_request"
    )
    assert list(audited.values_list("reason", "outcome_reason", "individual_number_used")) == [
        ("number entered by hand", "", True)
    ]
    relinked = number_requests.end_manual_mode(actor=number_officer, purpose=PURPOSE)
    assert (relinked.linked, relinked.left) == (0, ())
    period = ManualLinkPeriod.objects.get()
    assert (period.is_open, period.started_by, period.ended_by) == (False, number_officer, number_officer)


def test_ending_the_manual_mode_relinks_the_waiting_requests(
    federation: TestFederation, clerk: User, reviewer: User, number_officer: User, household: str
) -> None:
    number_requests.start_manual_mode(actor=number_officer, purpose=PURPOSE, reason="機構との回線障害")
    draft = _record_birth(federation, clerk, household)
    with federation.acting_as(SASEBO):
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
        assert current(draft.atena_numbers[0]).individual_number is None
        relinked = number_requests.end_manual_mode(actor=number_officer, purpose=PURPOSE)
    assert (relinked.linked, relinked.left) == (1, ())
    child = current(draft.atena_numbers[0])
    assert child.get_individual_number() is not None
    [row] = number_requests.request_list(actor=number_officer, purpose=PURPOSE)
    assert (row.state, row.individual_number) == ("answered", child.get_individual_number())
    assert not number_requests.manual_mode().active
