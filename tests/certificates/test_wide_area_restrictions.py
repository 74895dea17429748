"""広域交付 and the registering municipality's CS 抑止マーク (standard 3.1-g; system.md F11b step 3).

佐世保市 (A) sets an issuance 抑止 or a 支援措置; its CS is told in the same transaction and refuses
長崎市 (B)'s request before A's registry does any certificate work, naming no reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jumin.accounts import clock
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates.models import Certifier
from jumin.domain.errors import DomainError
from jumin.jukinet.cs.wide_area import WideAreaRequest
from jumin.messaging.testing import TestFederation
from jumin.registry.restrictions import RestrictedProcess, RestrictionLevel
from jumin.registry.services import DraftRecorded
from jumin.registry.services_restrictions import (
    ReleaseTarget,
    SupportApplication,
    SupportEndReason,
    SuppressionReason,
    SuppressionRequest,
    SuppressionScope,
    create_support_measure,
    end_support,
    lift_suppression,
    release_temporarily,
    set_suppression,
)
from tests.certificates.test_wide_area import (
    SASEBO,
    ask,
    assert_nothing_issued,
    card_of,
    code_pool,
    family,
    nagasaki_clerk,
)
from tests.registry.conftest import PURPOSE, current

pytestmark = pytest.mark.django_db
__all__ = ["card_of", "code_pool", "family", "nagasaki_clerk"]  # fixtures, imported for use here

CS_REFUSAL = "jukinet.cs.wide_area_restricted"


@pytest.fixture
def officer(make_clerk: Callable[..., User]) -> User:
    return make_clerk(
        "officer",
        Permission.SUPPRESSION_MANAGE,
        Permission.SUPPRESSION_RELEASE,
        Permission.SUPPORT_MEASURE_MANAGE,
    )


def suppress_issuance(federation: TestFederation, officer: User, atena: str) -> int:
    with federation.acting_as(SASEBO):
        return set_suppression(
            actor=officer,
            purpose=PURPOSE,
            request=SuppressionRequest(
                scope=SuppressionScope.PERSON,
                target_number=atena,
                process=RestrictedProcess.CERTIFICATE,
                level=RestrictionLevel.ERROR,
                start_date=clock.today(),
                reason=SuppressionReason.OTHER,
                reason_text="調査中（合成データ）",
            ),
        )


def assert_refused_at_the_cs(refused: pytest.ExceptionInfo[DomainError]) -> None:
    """Refused by A's CS, with no reason named, and nothing of A's certificate work began."""
    assert refused.value.code == CS_REFUSAL
    assert refused.value.reason == "この方の住民票の写しは広域交付できません。"
    assert_nothing_issued()
    answer = AuditEntry.objects.get(action="node:query:answer", reason__contains="wide_area")
    assert answer.outcome_reason == CS_REFUSAL
    asked = AuditEntry.objects.get(action="cs:wide_area:issue")
    assert (asked.outcome, asked.outcome_reason) == ("refused", CS_REFUSAL)
    assert not AuditEntry.objects.filter(action="certificate:copy:issue").exists()


def test_a_person_under_an_issuance_suppression_is_refused_at_the_cs_and_served_again_after_the_lift(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    nagasaki_clerk: User,
    officer: User,
    certifier: Certifier,
) -> None:
    head = family.atena_numbers[0]
    card = card_of(head)
    suppression_id = suppress_issuance(federation, officer, head)
    with pytest.raises(DomainError) as refused:
        ask(federation, nagasaki_clerk, card, WideAreaRequest(scope="self"))
    assert_refused_at_the_cs(refused)

    with federation.acting_as(SASEBO):
        lift_suppression(actor=officer, purpose=PURPOSE, suppression_id=suppression_id, reason="調査終了")
    copy = ask(federation, nagasaki_clerk, card, WideAreaRequest(scope="self"))
    assert copy.registering_municipality == SASEBO.code


def test_a_support_measure_target_is_refused_at_the_cs_until_the_measure_ends(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    nagasaki_clerk: User,
    officer: User,
    certifier: Certifier,
) -> None:
    wife = family.atena_numbers[1]
    card = card_of(wife)
    with federation.acting_as(SASEBO):
        measure_id = create_support_measure(
            actor=officer,
            purpose=PURPOSE,
            application=SupportApplication(
                applicant=wife,
                covered_services=["copies"],
                received_on=clock.today(),
                provisional=True,
            ),
        )
    with pytest.raises(DomainError) as refused:
        ask(federation, nagasaki_clerk, card, WideAreaRequest(scope="self"))
    assert_refused_at_the_cs(refused)

    with federation.acting_as(SASEBO):
        end_support(actor=officer, purpose=PURPOSE, measure_id=measure_id, reason=SupportEndReason.DECISION)
    assert ask(federation, nagasaki_clerk, card, WideAreaRequest(scope="self")).fee == 300


def test_a_named_member_under_suppression_is_refused_at_the_cs(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    nagasaki_clerk: User,
    officer: User,
) -> None:
    head, wife, _child = family.atena_numbers
    suppress_issuance(federation, officer, wife)
    request = WideAreaRequest(scope="members", member_resident_codes=(current(wife).juminhyo_code,))
    with pytest.raises(DomainError) as refused:
        ask(federation, nagasaki_clerk, card_of(head), request)
    assert_refused_at_the_cs(refused)


def test_a_household_copy_with_an_unnamed_suppressed_member_is_refused_by_the_registry_instead(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    nagasaki_clerk: User,
    officer: User,
    certifier: Certifier,
) -> None:
    """The CS checks the persons the request names; the registry's answerer checks everyone printed."""
    head, _wife, child = family.atena_numbers
    suppress_issuance(federation, officer, child)
    with pytest.raises(DomainError) as refused:
        ask(federation, nagasaki_clerk, card_of(head), WideAreaRequest(scope="household"))
    assert refused.value.code == "certificates.wide_area_restricted"
    assert_nothing_issued()


def test_a_temporary_release_at_a_does_not_open_wide_area_issuance(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    nagasaki_clerk: User,
    officer: User,
) -> None:
    head = family.atena_numbers[0]
    suppress_issuance(federation, officer, head)
    with federation.acting_as(SASEBO):
        release_temporarily(
            actor=officer,
            purpose=PURPOSE,
            atena_number=head,
            process=RestrictedProcess.CERTIFICATE,
            target=ReleaseTarget.SUPPRESSION,
            reason="窓口で本人確認済み",
        )
    with pytest.raises(DomainError) as refused:
        ask(federation, nagasaki_clerk, card_of(head), WideAreaRequest(scope="self"))
    assert_refused_at_the_cs(refused)
