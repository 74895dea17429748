"""支援措置 and 抑止 at issuance (standard 3.1-b, 3.4-a; C-38) through jumin.registry.restrictions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from jumin.accounts import clock
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates import self_notification
from jumin.certificates import services as certificate_services
from jumin.certificates.models import Issuance
from jumin.certificates.services import issue_certificate, preview_certificate
from jumin.domain.certificates import CertificateKind
from jumin.domain.errors import DomainError, refusal
from jumin.registry.models import TemporaryRelease
from jumin.registry.restrictions import RestrictedProcess, RestrictionCheck, RestrictionLevel
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.services_restrictions import (
    ReleaseTarget,
    SupportApplication,
    SuppressionReason,
    SuppressionRequest,
    SuppressionScope,
    consume_releases,
    create_support_measure,
    set_suppression,
)
from jumin.registry.workflows.move_out import MoveOut, record_move_out
from tests.certificates.conftest import CERT_PURPOSE, options_for, own_request
from tests.registry.conftest import PURPOSE
from tests.registry.test_restriction_release_use import release

pytestmark = pytest.mark.django_db

CERTIFICATE = RestrictedProcess.CERTIFICATE


@pytest.fixture
def officer(make_clerk: Callable[..., User]) -> User:
    return make_clerk(
        "officer",
        Permission.SUPPRESSION_MANAGE,
        Permission.SUPPRESSION_RELEASE,
        Permission.SUPPORT_MEASURE_MANAGE,
        Permission.SUPPORT_MEASURE_VIEW,
        Permission.RESIDENT_VIEW,
    )


def suppress(actor: User, target: str, level: RestrictionLevel) -> int:
    return set_suppression(
        actor=actor,
        purpose=PURPOSE,
        request=SuppressionRequest(
            scope=SuppressionScope.PERSON,
            target_number=target,
            process=RestrictedProcess.CERTIFICATE,
            level=level,
            start_date=clock.today(),
            reason=SuppressionReason.OTHER,
            reason_text="調査中",
        ),
    )


def issue(actor: User, numbers: tuple[str, ...] | list[str], **request: Any) -> Any:
    return issue_certificate(
        actor=actor, purpose=CERT_PURPOSE, request=own_request(**request), options=options_for(numbers)
    )


def refusals(code: str) -> int:
    return AuditEntry.objects.filter(
        action="certificate:copy:issue", outcome="refused", outcome_reason=code
    ).count()


def test_a_support_target_in_the_household_blocks_the_copy_even_for_a_household_member(
    family: DraftRecorded, officer: User, issuer: User, certifier: Any
) -> None:
    head, wife, _child = family.atena_numbers
    create_support_measure(
        actor=officer,
        purpose=PURPOSE,
        application=SupportApplication(
            applicant=wife,
            covered_services=["inspection", "copies"],
            received_on=clock.today(),
            perpetrator="加害者の情報（合成データ）",
            period_start=clock.today(),
        ),
    )
    with pytest.raises(DomainError) as caught:
        issue(issuer, [head])  # the whole household includes her
    assert caught.value.code == "certificates.restricted"
    assert refusals("certificates.restricted") == 1
    assert not Issuance.objects.exists()
    # The responsible officer releases this one request in the registry; then it is issued and recorded.
    release(officer, wife, CERTIFICATE, ReleaseTarget.SUPPORT_MEASURE)
    issued = issue(issuer, [head])
    record = Issuance.objects.get(pk=issued.issuance_id)
    assert record.released_findings == [f"{wife}:registry.support_measure_target"]
    entry = AuditEntry.objects.get(action="certificate:copy:issue", outcome="done")
    assert entry.support_measure


def test_an_error_suppression_refuses_and_an_alert_needs_acknowledgment(
    family: DraftRecorded, officer: User, issuer: User, certifier: Any
) -> None:
    head, wife, child = family.atena_numbers
    suppress(officer, child, RestrictionLevel.ERROR)
    with pytest.raises(DomainError):
        issue(issuer, [child])
    assert refusals("certificates.restricted") == 1
    suppress(officer, wife, RestrictionLevel.ALERT)
    preview = preview_certificate(
        actor=issuer,
        purpose=CERT_PURPOSE,
        request=own_request(),
        options=options_for([wife], whole_household=False),
    )
    assert preview.subjects == (wife,)
    assert preview.alerts
    with pytest.raises(DomainError) as caught:
        issue_certificate(
            actor=issuer,
            purpose=CERT_PURPOSE,
            request=own_request(),
            options=options_for([wife], whole_household=False),
        )
    assert caught.value.code == "certificates.alert_not_acknowledged"
    assert refusals("certificates.alert_not_acknowledged") == 1
    issued = issue_certificate(
        actor=issuer,
        purpose=CERT_PURPOSE,
        request=own_request(acknowledged_alerts=tuple(a.code for a in preview.alerts)),
        options=options_for([wife], whole_household=False),
    )
    assert Issuance.objects.get(pk=issued.issuance_id).alerts_acknowledged
    assert head not in Issuance.objects.get(pk=issued.issuance_id).subjects


def test_a_support_targets_removed_record_stays_blocked_after_the_move_out_as_former_municipality(
    family: DraftRecorded, officer: User, issuer: User, certifier: Any, clerk: User, reviewer: User
) -> None:
    """3.4-h with 3.4-g: after the 転出 the 除票の写し refuses with the same error, as a 仮支援措置."""
    child = family.atena_numbers[2]
    create_support_measure(
        actor=officer,
        purpose=PURPOSE,
        application=SupportApplication(
            applicant=child,
            covered_services=["copies"],
            received_on=clock.today(),
            period_start=clock.today(),
        ),
    )
    draft = record_move_out(
        actor=clerk,
        purpose=PURPOSE,
        move_out=MoveOut(
            atena_numbers=[child],
            planned_date=clock.today(),
            destination="福岡県福岡市",
            notification_date=clock.today(),
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    with pytest.raises(DomainError) as caught:
        issue_certificate(
            actor=issuer,
            purpose=CERT_PURPOSE,
            request=own_request(),
            options=options_for([child], kind=CertificateKind.REMOVED_COPY),
        )
    assert caught.value.code == "certificates.restricted"
    assert refusals("certificates.restricted") == 1
    assert not Issuance.objects.exists()


# --- a 一時解除 lets one request through (issue 6) ------------------------------------------------


@pytest.fixture
def released_child(family: DraftRecorded, officer: User) -> tuple[str, int]:
    """The child, under an error 抑止 of 証明書発行 and a 一時解除 of it: (宛名番号, release id)."""
    child = family.atena_numbers[2]
    suppress(officer, child, RestrictionLevel.ERROR)
    return child, release(officer, child, CERTIFICATE)


def test_a_release_is_used_up_by_the_one_issuance_it_let_through(
    released_child: tuple[str, int], issuer: User, certifier: Any
) -> None:
    child, release_id = released_child
    issued = issue(issuer, [child])
    used = TemporaryRelease.objects.get(pk=release_id)
    assert (used.consumed_subject_type, used.consumed_subject_id) == ("issuance", str(issued.issuance_id))
    assert used.consumed_by == issuer
    assert used.consumed_at is not None
    entry = AuditEntry.objects.get(action="resident:restriction_release:consume")
    assert (entry.subject_id, entry.reason) == (str(release_id), f"issuance={issued.issuance_id}")
    # The next request within the release's time is refused as if it had never been released.
    with pytest.raises(DomainError) as caught:
        issue(issuer, [child])
    assert caught.value.code == "certificates.restricted"
    assert refusals("certificates.restricted") == 1
    assert Issuance.objects.count() == 1


def test_an_unused_release_still_lapses_by_itself(
    released_child: tuple[str, int], issuer: User, certifier: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    child, release_id = released_child
    later = TemporaryRelease.objects.get(pk=release_id).expires_at + timedelta(seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    with pytest.raises(DomainError) as caught:
        issue(issuer, [child])
    assert caught.value.code == "certificates.restricted"
    assert TemporaryRelease.objects.get(pk=release_id).consumed_at is None


def test_an_issuance_refused_after_the_restriction_check_leaves_the_release_unused(
    released_child: tuple[str, int], issuer: User, certifier: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    child, release_id = released_child

    def failing_notices(*args: Any, **kwargs: Any) -> int:  # a rule failing after the release was used
        raise refusal("subject", "本人通知を作成できません。", "管理者に連絡してください。", "test.notice")

    monkeypatch.setattr(self_notification, "notices_for", failing_notices)
    with pytest.raises(DomainError):
        issue(issuer, [child])
    assert TemporaryRelease.objects.get(pk=release_id).consumed_at is None  # rolled back with the 交付
    assert not AuditEntry.objects.filter(action="resident:restriction_release:consume").exists()
    monkeypatch.undo()
    issued = issue(issuer, [child])
    assert TemporaryRelease.objects.get(pk=release_id).consumed_subject_id == str(issued.issuance_id)


def test_a_release_taken_by_a_concurrent_issuance_refuses_the_other(
    released_child: tuple[str, int],
    officer: User,
    issuer: User,
    certifier: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The lost race, on either engine: the release is used between this request's check and its use."""
    child, release_id = released_child
    real_check = certificate_services.check_restrictions

    def check_then_lose_the_release(*args: Any, **kwargs: Any) -> RestrictionCheck:
        check = real_check(*args, **kwargs)
        consume_releases(check, actor=officer, purpose=PURPOSE, subject_type="issuance", subject_id="999")
        return check  # still says "released": only the conditional UPDATE can tell

    monkeypatch.setattr(certificate_services, "check_restrictions", check_then_lose_the_release)
    with pytest.raises(DomainError) as caught:
        issue(issuer, [child])
    assert caught.value.code == "certificates.restricted"
    assert refusals("certificates.restricted") == 1
    assert not Issuance.objects.exists()
    # The stand-in competitor ran inside this request's transaction, so it rolled back with it.
    assert TemporaryRelease.objects.get(pk=release_id).consumed_at is None
