"""交付履歴の照会 and 本人通知 (issue 6 item 6; standard 1.3.8-a, 8.1): services, screens and API."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates.history import issuance_history
from jumin.certificates.models import SelfNotice, SelfNotificationRegistration
from jumin.certificates.self_notification import (
    notices_to_send,
    print_self_notice,
    register_self_notification,
    withdraw_self_notification,
)
from jumin.certificates.services import IssuedCertificate, issue_certificate, void_copy
from jumin.domain.certificates import IdentityCheck, RequesterClass, ThirdPartyPurpose
from jumin.domain.errors import DomainError
from jumin.registry.services import DraftRecorded
from tests.certificates.conftest import CERT_PURPOSE, options_for, own_request
from tests.certificates.helpers import flat, pdf_pages
from tests.helpers.permission_matrix import assert_permission_triple

pytestmark = pytest.mark.django_db

THIRD_PARTY = {
    "requester_class": RequesterClass.THIRD_PARTY,
    "identity_check": IdentityCheck.DRIVERS_LICENSE,
    "requester_name": "債権　次郎",
    "third_party_purpose": ThirdPartyPurpose.RIGHTS_OR_DUTIES,
    "purpose_detail": "貸金返還請求訴訟の提起",
}
AGENT = {
    "requester_class": RequesterClass.AGENT,
    "identity_check": IdentityCheck.DRIVERS_LICENSE,
    "requester_name": "代理　一郎",
    "power_of_attorney_checked": True,
}


def issue_for(actor: User, atena: str, **request: Any) -> IssuedCertificate:
    return issue_certificate(
        actor=actor,
        purpose=CERT_PURPOSE,
        request=own_request(**request),
        options=options_for([atena], whole_household=False, copies=2),
    )


@pytest.fixture
def notifier(make_clerk: Callable[..., User]) -> User:
    return make_clerk(
        "notifier", Permission.CERTIFICATE_SELF_NOTIFICATION_MANAGE, Permission.CERTIFICATE_HISTORY_VIEW
    )


def register(actor: User, atena: str) -> int:
    return register_self_notification(
        actor=actor, purpose=CERT_PURPOSE, atena_number=atena, identity_check=IdentityCheck.MYNUMBER_CARD
    )


def test_the_history_lists_each_issuance_of_the_person_with_numbers_requester_and_voids(
    family: DraftRecorded, issuer: User, notifier: User, certifier: Any
) -> None:
    head, wife, _child = family.atena_numbers
    first = issue_for(issuer, wife)
    second = issue_for(issuer, wife, **AGENT)
    issue_for(issuer, head)  # someone else's: not in the wife's history
    void_copy(actor=issuer, purpose=CERT_PURPOSE, copy_number=first.copy_numbers[1], reason="印字不良")
    rows = issuance_history(actor=notifier, purpose=CERT_PURPOSE, atena_number=wife)
    assert [r.issuance_id for r in rows] == [second.issuance_id, first.issuance_id]
    assert rows[0].requester_class == "代理人"
    assert rows[0].kind == "住民票の写し"
    assert rows[0].copies == 2
    assert not rows[0].voided
    assert [c.copy_number for c in rows[1].issued_copies] == list(first.copy_numbers)
    assert [c.voided for c in rows[1].issued_copies] == [False, True]
    entry = AuditEntry.objects.filter(action="certificate:history:view").get()
    assert entry.subject_id == wife
    assert entry.result_count == 2


def test_a_registered_person_gets_a_notice_for_a_third_party_or_agent_copy_only(
    family: DraftRecorded, issuer: User, notifier: User, certifier: Any
) -> None:
    head, wife, _child = family.atena_numbers
    register(notifier, wife)
    issue_for(issuer, wife)  # 本人: no notice
    third = issue_for(issuer, wife, **THIRD_PARTY)
    issue_for(issuer, head, **THIRD_PARTY)  # not registered: no notice
    notices = list(SelfNotice.objects.all())
    assert [(n.atena_number, n.issuance_id) for n in notices] == [(wife, third.issuance_id)]
    assert AuditEntry.objects.filter(action="certificate:copy:issue", reason="self_notices=1").count() == 1
    rows = notices_to_send(actor=notifier, purpose=CERT_PURPOSE)
    assert [(r.atena_number, r.requester_class, r.copies) for r in rows] == [(wife, "第三者", 2)]
    pdf = print_self_notice(actor=notifier, purpose=CERT_PURPOSE, notice_id=rows[0].notice_id)
    text = flat(pdf_pages(pdf)[0])
    assert "本人通知書" in text
    assert "青木花子様" in text
    assert "第三者" in text
    assert "2通" in text
    assert "債権" not in text  # the requester's name is not on the notice
    assert notices_to_send(actor=notifier, purpose=CERT_PURPOSE) == []
    assert len(notices_to_send(actor=notifier, purpose=CERT_PURPOSE, include_printed=True)) == 1


def test_a_refused_issuance_leaves_no_notice_and_withdrawal_stops_notices(
    family: DraftRecorded, issuer: User, notifier: User, certifier: Any
) -> None:
    wife = family.atena_numbers[1]
    register(notifier, wife)
    with pytest.raises(DomainError):
        issue_for(issuer, wife, **{**AGENT, "power_of_attorney_checked": False})
    assert not SelfNotice.objects.exists()
    with pytest.raises(DomainError) as twice:
        register(notifier, wife)
    assert twice.value.code == "certificates.self_notification_registered"
    withdraw_self_notification(actor=notifier, purpose=CERT_PURPOSE, atena_number=wife)
    issue_for(issuer, wife, **AGENT)
    assert not SelfNotice.objects.exists()
    registration = SelfNotificationRegistration.objects.get()
    assert registration.withdrawn_at is not None
    with pytest.raises(DomainError) as again:
        withdraw_self_notification(actor=notifier, purpose=CERT_PURPOSE, atena_number=wife)
    assert again.value.code == "certificates.self_notification_not_registered"
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"certificate:self_notification:register", "certificate:self_notification:withdraw"} <= actions


def test_history_screen_and_api_permission_triples(
    family: DraftRecorded, make_staff: Callable[..., Any], issuer: User, certifier: Any
) -> None:
    wife = family.atena_numbers[1]
    issued = issue_for(issuer, wife)
    body = {"purpose": CERT_PURPOSE, "atena_number": wife}
    assert_permission_triple(
        make_staff, "post", reverse("certificates:history"), Permission.CERTIFICATE_HISTORY_VIEW, data=body
    )
    assert_permission_triple(
        make_staff,
        "post",
        "/api/certificates/history",
        Permission.CERTIFICATE_HISTORY_VIEW,
        data=json.dumps(body),
        content_type="application/json",
        success_status=(200,),
    )
    holder = make_staff(permissions=[Permission.CERTIFICATE_HISTORY_VIEW])
    page = holder.post(reverse("certificates:history"), data=body).content.decode()
    assert issued.copy_numbers[0] in page
    api = holder.post("/api/certificates/history", data=json.dumps(body), content_type="application/json")
    assert api.json()[0]["issued_copies"][0]["copy_number"] == issued.copy_numbers[0]
    # The registry's record screen links here by a form: the 宛名番号 is prefilled, nothing is read yet.
    before = AuditEntry.objects.count()
    prefilled = holder.post(reverse("certificates:history"), data={"atena_number": wife, "prefill": "1"})
    assert f'value="{wife}"' in prefilled.content.decode()
    assert AuditEntry.objects.count() == before


def test_self_notification_screens_and_api_permission_triples(
    family: DraftRecorded, make_staff: Callable[..., Any], issuer: User, certifier: Any
) -> None:
    head, wife, child = family.atena_numbers
    screen = {"purpose": CERT_PURPOSE, "atena_number": wife, "identity_check": "mynumber_card"}
    assert_permission_triple(
        make_staff,
        "post",
        reverse("certificates:self_notification"),
        Permission.CERTIFICATE_SELF_NOTIFICATION_MANAGE,
        data={**screen, "action": "register"},
    )
    assert_permission_triple(
        make_staff,
        "post",
        "/api/certificates/self-notification/register",
        Permission.CERTIFICATE_SELF_NOTIFICATION_MANAGE,
        data=json.dumps({**screen, "atena_number": head}),
        content_type="application/json",
        success_status=(200,),
    )
    assert_permission_triple(
        make_staff,
        "post",
        "/api/certificates/self-notification/withdraw",
        Permission.CERTIFICATE_SELF_NOTIFICATION_MANAGE,
        data=json.dumps({"purpose": CERT_PURPOSE, "atena_number": head}),
        content_type="application/json",
        success_status=(200,),
    )
    issue_for(issuer, wife, **THIRD_PARTY)
    listing = {"purpose": CERT_PURPOSE}
    assert_permission_triple(
        make_staff,
        "post",
        reverse("certificates:notices"),
        Permission.CERTIFICATE_SELF_NOTIFICATION_MANAGE,
        data=listing,
    )
    assert_permission_triple(
        make_staff,
        "post",
        "/api/certificates/self-notices",
        Permission.CERTIFICATE_SELF_NOTIFICATION_MANAGE,
        data=json.dumps(listing),
        content_type="application/json",
        success_status=(200,),
    )
    notice_id = SelfNotice.objects.get().pk
    assert_permission_triple(
        make_staff,
        "post",
        reverse("certificates:notices"),
        Permission.CERTIFICATE_SELF_NOTIFICATION_MANAGE,
        data={**listing, "notice_id": str(notice_id)},
    )
    holder = make_staff(permissions=[Permission.CERTIFICATE_SELF_NOTIFICATION_MANAGE])
    printed = holder.post(
        "/api/certificates/self-notices/print",
        data=json.dumps({**listing, "notice_id": notice_id}),
        content_type="application/json",
    )
    assert "本人通知書" in flat(pdf_pages(base64.b64decode(printed.json()["pdf_base64"]))[0])
    assert child not in {n.atena_number for n in SelfNotice.objects.all()}


def test_the_registry_record_screen_links_to_the_history_by_a_form(
    family: DraftRecorded, make_staff: Callable[..., Any]
) -> None:
    wife = family.atena_numbers[1]
    viewer = make_staff(permissions=[Permission.RESIDENT_VIEW])
    page = viewer.post(reverse("registry:lookup"), data={"purpose": CERT_PURPOSE, "atena_number": wife})
    body = page.content.decode()
    assert f'action="{reverse("certificates:history")}"' in body
    assert f'name="atena_number" value="{wife}"' in body
