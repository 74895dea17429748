"""広域交付 (住基法12条の4, system.md F11b) across an in-process federation of real nodes.

佐世保市 (A, 422029) registers the family; 長崎市 (B, 422011) checks the card with the national node,
asks A's CS for the copy, prints it and keeps only the issuance record.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from jumin.accounts import clock
from jumin.accounts.authorization import MASK, AccessRefused
from jumin.accounts.models import Terminal, User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates.history import issuance_history
from jumin.certificates.models import Certifier, Issuance, IssuanceSubject, IssuedCopy
from jumin.domain.errors import DomainError
from jumin.jukinet.common.catalogue import QUERY_WIDE_AREA_COPY
from jumin.jukinet.common.wide_area import validate_wide_area_request
from jumin.jukinet.cs import cards
from jumin.jukinet.cs.exchanges import provision_status
from jumin.jukinet.cs.models import WideAreaIssuance
from jumin.jukinet.cs.wide_area import (
    PersonByDocument,
    WideAreaRequest,
    issue_wide_area_copy,
    issue_wide_area_copy_by_document,
    wide_area_records,
)
from jumin.jukinet.national.models import IdentityRecord as NationalRecord
from jumin.messaging.envelope import NodeRef
from jumin.messaging.services import query
from jumin.messaging.testing import TestFederation
from jumin.registry import numbering
from jumin.registry.restrictions import RestrictedProcess, RestrictionLevel
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.services_restrictions import (
    SuppressionReason,
    SuppressionRequest,
    SuppressionScope,
    set_suppression,
)
from tests.certificates.helpers import flat, pdf_pages
from tests.helpers.accounts import TERMINAL_ID, grant_permissions, make_terminal, make_user
from tests.jukinet.cs.factories import resident_code
from tests.registry.conftest import PURPOSE, current, family_move_in

pytestmark = pytest.mark.django_db

SASEBO = NodeRef("municipality", "422029")  # A: where the family is registered
NAGASAKI = NodeRef("municipality", "422011")  # B: where they ask
PIN = "2468"
SIGNING_PASSWORD = "SIGN2468"  # 署名用パスワード: 英大文字・数字6〜16文字


@pytest.fixture
def code_pool(db: None) -> list[str]:
    """Codes that pass the federation's check-digit rule, so the CS accepts every person."""
    codes = [resident_code(n) for n in range(300, 340)]
    numbering.load_code_pool(codes)
    return codes


@pytest.fixture
def family(
    federation: TestFederation, clerk: User, reviewer: User, code_pool: list[str], certifier: Certifier
) -> DraftRecorded:
    """The household of three registered at 佐世保市 (with 本籍・筆頭者), carried to the national node."""
    with federation.acting_as(SASEBO):
        draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    federation.pump()
    return draft


@pytest.fixture
def card_of(federation: TestFederation, make_clerk: Callable[..., User]) -> Callable[[str], dict[str, Any]]:
    """A 個人番号カード issued at 佐世保市 to the family member with this 宛名番号."""
    operator = make_clerk("sasebo-cs", Permission.CS_CARD)

    def issue(atena: str) -> dict[str, Any]:
        with federation.acting_as(SASEBO):
            return cards.issue_card(
                actor=operator,
                purpose=PURPOSE,
                resident_code=current(atena).juminhyo_code,
                pin=PIN,
                signing_password=SIGNING_PASSWORD,
            )

    return issue


@pytest.fixture
def nagasaki_clerk(make_clerk: Callable[..., User]) -> User:
    """A 長崎市 clerk who issues certificates and checks cards at the 統合端末."""
    return make_clerk("nagasaki-cs", Permission.CERTIFICATE_ISSUE, Permission.CS_IDENTITY_CHECK)


def ask(
    federation: TestFederation, actor: User, card: dict[str, Any], request: WideAreaRequest, pin: str = PIN
) -> Any:
    with federation.acting_as(NAGASAKI):
        return issue_wide_area_copy(actor=actor, purpose=PURPOSE, card_json=card, pin=pin, request=request)


def test_a_resident_of_a_gets_a_copy_at_b_rendered_sealed_and_numbered_by_a(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    nagasaki_clerk: User,
) -> None:
    head = family.atena_numbers[0]
    copy = ask(federation, nagasaki_clerk, card_of(head), WideAreaRequest(scope="household"))

    text = flat("".join(pdf_pages(copy.pdf)))
    assert "住民票の写し" in text
    assert "青木太郎" in text
    assert "青木花子" in text
    assert "青木三奈" in text
    assert "佐世保市長" in text  # A's certifier and seal, not B's
    assert current(head).honseki
    assert current(head).hittousha
    assert "本籍" not in text
    assert "筆頭者" not in text
    assert "八幡町" not in text
    assert copy.registering_municipality == "422029"
    assert len(copy.copy_numbers) == 1
    assert "佐世保市 広域交付" in copy.copy_numbers[0]
    assert copy.fee == 300

    # A's 交付履歴: the copy, its subjects and the municipality that asked.
    issuance = Issuance.objects.get()
    assert issuance.channel == Issuance.Channel.WIDE_AREA
    assert issuance.requesting_municipality == "422011"
    assert issuance.user is None
    assert issuance.user_name == "nagasaki-cs@422011"
    assert not issuance.individual_number_printed
    assert issuance.options["show_honseki"] is False
    assert issuance.pdf_sha256 == hashlib.sha256(copy.pdf).hexdigest()
    assert sorted(IssuanceSubject.objects.values_list("atena_number", flat=True)) == sorted(
        family.atena_numbers
    )
    assert list(IssuedCopy.objects.values_list("copy_number", flat=True)) == list(copy.copy_numbers)

    # B's record: who, when, which municipality, the 発行番号, the hash, counts and fee; no content.
    record = WideAreaIssuance.objects.get()
    assert record.pk == copy.issuance_id
    assert (record.registering_municipality, record.resident_code) == ("422029", current(head).juminhyo_code)
    assert (record.subject_count, record.copies, record.fee) == (3, 1, 300)
    assert record.copy_numbers == list(copy.copy_numbers)
    assert record.pdf_sha256 == issuance.pdf_sha256
    assert record.requester_relation == "self"
    stored = " ".join(str(getattr(record, f.attname)) for f in WideAreaIssuance._meta.concrete_fields)
    assert "青木" not in stored
    assert "相生町" not in stored

    # Audited at both ends: A's issuance (no actor of A's) and B's issuance record.
    a_entry = AuditEntry.objects.get(action="certificate:copy:issue", outcome="done")
    assert (a_entry.subject_id, a_entry.reason) == (str(issuance.pk), "wide_area for 422011")
    assert a_entry.result_count == 3
    b_entry = AuditEntry.objects.get(action="cs:wide_area:issue", outcome="done")
    assert (b_entry.subject_id, b_entry.reason, b_entry.actor_id) == (
        str(record.pk),
        "from 422029",
        nagasaki_clerk.pk,
    )
    assert AuditEntry.objects.filter(action="node:query:answer", reason__contains="wide_area").exists()


def test_a_member_of_the_household_may_ask_for_another_member_only(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    nagasaki_clerk: User,
) -> None:
    head, wife, _child = family.atena_numbers
    request = WideAreaRequest(scope="members", member_resident_codes=(current(wife).juminhyo_code,))
    copy = ask(federation, nagasaki_clerk, card_of(head), request)
    text = flat("".join(pdf_pages(copy.pdf)))
    assert "青木花子" in text
    assert "青木三奈" not in text
    assert WideAreaIssuance.objects.get().requester_relation == "same_household"
    assert Issuance.objects.get().requester_class == "same_household"


def test_a_person_of_another_household_is_not_entitled_and_nothing_is_recorded(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    nagasaki_clerk: User,
    clerk: User,
    reviewer: User,
) -> None:
    with federation.acting_as(SASEBO):
        other = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=other.change_id)
    federation.pump()
    stranger = current(other.atena_numbers[1]).juminhyo_code
    request = WideAreaRequest(scope="members", member_resident_codes=(stranger,))
    with pytest.raises(DomainError) as refused:
        ask(federation, nagasaki_clerk, card_of(family.atena_numbers[0]), request)
    assert refused.value.code == "certificates.wide_area_not_entitled"
    assert_nothing_issued()
    assert AuditEntry.objects.filter(
        action="cs:wide_area:issue", outcome="refused", outcome_reason="certificates.wide_area_not_entitled"
    ).exists()
    assert AuditEntry.objects.filter(
        action="node:query:answer", outcome="refused", outcome_reason="certificates.wide_area_not_entitled"
    ).exists()


def suppress_at_a(
    federation: TestFederation, officer: User, atena: str, level: RestrictionLevel = RestrictionLevel.ERROR
) -> None:
    """A person 抑止 of 証明書発行 set at A (佐世保市), which marks the person at A's CS."""
    with federation.acting_as(SASEBO):
        set_suppression(
            actor=officer,
            purpose=PURPOSE,
            request=SuppressionRequest(
                scope=SuppressionScope.PERSON,
                target_number=atena,
                process=RestrictedProcess.CERTIFICATE,
                level=level,
                start_date=clock.today(),
                reason=SuppressionReason.OTHER,
                reason_text="調査中",
            ),
        )


@pytest.mark.parametrize("level", [RestrictionLevel.ERROR, RestrictionLevel.ALERT])
def test_a_suppressed_person_is_refused_without_saying_why(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    nagasaki_clerk: User,
    make_clerk: Callable[..., User],
    level: RestrictionLevel,
) -> None:
    """Even an alert, which a clerk at A's counter may acknowledge, refuses a remote request."""
    head = family.atena_numbers[0]
    suppress_at_a(federation, make_clerk("officer", Permission.SUPPRESSION_MANAGE), head, level)
    with pytest.raises(DomainError) as refused:
        ask(federation, nagasaki_clerk, card_of(head), WideAreaRequest(scope="self"))
    # A's CS refuses it from its 抑止マーク before A's registry is asked (test_restriction_marks.py).
    assert refused.value.code == "jukinet.cs.wide_area_restricted"
    assert "抑止" not in refused.value.reason
    assert "支援" not in refused.value.reason
    assert_nothing_issued()


def test_a_person_not_registered_at_a_is_refused_by_a(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    nagasaki_clerk: User,
) -> None:
    head = family.atena_numbers[0]
    card = card_of(head)
    # A's registry no longer lists the person as a resident (as after a 転出 not yet known nationally).
    snapshot = current(head)
    type(snapshot).objects.filter(pk=snapshot.pk).update(status="removed")
    with pytest.raises(DomainError) as refused:
        ask(federation, nagasaki_clerk, card, WideAreaRequest(scope="self"))
    assert refused.value.code == "certificates.wide_area_not_registered"
    assert_nothing_issued()


def test_a_wrong_pin_stops_at_the_card_check_before_any_request(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    nagasaki_clerk: User,
) -> None:
    card = card_of(family.atena_numbers[0])
    with pytest.raises(DomainError) as refused:
        ask(federation, nagasaki_clerk, card, WideAreaRequest(scope="self"), pin="0000")
    assert refused.value.code == "jukinet.cs.wrong_pin"
    assert not AuditEntry.objects.filter(action="node:query:send", reason__contains="wide_area").exists()
    assert_nothing_issued()


def test_a_suspended_card_is_refused_by_the_national_node(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    nagasaki_clerk: User,
    make_clerk: Callable[..., User],
) -> None:
    card = card_of(family.atena_numbers[0])
    operator = make_clerk("sasebo-card", Permission.CS_CARD)
    with federation.acting_as(SASEBO):
        cards.send_card_event(
            actor=operator,
            purpose=PURPOSE,
            card_serial=card["card_serial"],
            resident_code=card["resident_code"],
            event="suspend",
            reason="紛失届",
        )
    federation.pump()
    with pytest.raises(DomainError) as refused:
        ask(federation, nagasaki_clerk, card, WideAreaRequest(scope="self"))
    assert refused.value.code == "jukinet.card.suspended"
    assert not AuditEntry.objects.filter(action="node:query:send", reason__contains="wide_area").exists()
    assert_nothing_issued()


def test_a_resident_of_b_itself_is_sent_to_the_counter(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    nagasaki_clerk: User,
) -> None:
    card = card_of(family.atena_numbers[0])
    with federation.acting_as(SASEBO), pytest.raises(DomainError) as refused:
        issue_wide_area_copy(
            actor=nagasaki_clerk, purpose=PURPOSE, card_json=card, pin=PIN, request=WideAreaRequest()
        )
    assert refused.value.code == "jukinet.cs.wide_area_local_resident"
    assert_nothing_issued()


def test_members_must_be_named_only_for_part_of_a_household_and_no_pin_is_spent(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    nagasaki_clerk: User,
) -> None:
    card = card_of(family.atena_numbers[0])
    with pytest.raises(DomainError) as refused:
        ask(federation, nagasaki_clerk, card, WideAreaRequest(scope="members"), pin="0000")
    assert refused.value.field == "member_resident_codes"
    assert not AuditEntry.objects.filter(action="cs:card:verify").exists()


def test_without_the_issuing_permission_the_clerk_is_refused(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    make_clerk: Callable[..., User],
) -> None:
    checker = make_clerk("checker-only", Permission.CS_IDENTITY_CHECK)
    with pytest.raises(AccessRefused):
        ask(federation, checker, card_of(family.atena_numbers[0]), WideAreaRequest())
    assert not WideAreaIssuance.objects.exists()


def assert_nothing_issued() -> None:
    """Neither A's 交付履歴 nor B's issuance record holds anything."""
    assert not Issuance.objects.exists()
    assert not WideAreaIssuance.objects.exists()


@pytest.fixture
def cs_terminal(db: None) -> None:
    """The test client's terminal is an integrated terminal: biometric login only (C-4)."""
    make_terminal()
    Terminal.objects.filter(terminal_id=TERMINAL_ID).update(biometric_only=True)


def screen_form(card: dict[str, Any], pin: str = PIN) -> dict[str, Any]:
    upload = SimpleUploadedFile("card.json", json.dumps(card).encode(), content_type="application/json")
    return {
        "purpose": PURPOSE,
        "card": upload,
        "pin": pin,
        "scope": "self",
        "member_resident_codes": "",
        "layout": "household",
        "show_head_and_relationship": "on",
        "copies": "2",
    }


def test_the_screen_hands_over_the_pdf_once_and_keeps_only_the_record(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    cs_terminal: None,
    make_staff: Callable[..., Any],
) -> None:
    client = make_staff([Permission.CERTIFICATE_ISSUE, Permission.CS_IDENTITY_CHECK])
    card = card_of(family.atena_numbers[0])
    with federation.acting_as(NAGASAKI):
        response = client.post(reverse("jukinet_cs:wide_area"), screen_form(card))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    record = WideAreaIssuance.objects.get()
    assert response["Content-Disposition"] == f'attachment; filename="wide-area-{record.pk}.pdf"'
    assert hashlib.sha256(response.content).hexdigest() == record.pdf_sha256
    assert (record.copies, record.fee, record.terminal_id) == (2, 600, TERMINAL_ID)


def test_the_screen_shows_the_card_refusal_with_its_remedy(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    cs_terminal: None,
    make_staff: Callable[..., Any],
) -> None:
    client = make_staff([Permission.CERTIFICATE_ISSUE, Permission.CS_IDENTITY_CHECK])
    card = card_of(family.atena_numbers[0])
    with federation.acting_as(NAGASAKI):
        response = client.post(reverse("jukinet_cs:wide_area"), screen_form(card, pin="9999"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "暗証番号が違います" in page
    assert "入力し直して" in page
    assert_nothing_issued()


def test_a_clerk_terminal_cannot_issue_and_the_refusal_is_audited(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    make_staff: Callable[..., Any],
) -> None:
    client = make_staff([Permission.CERTIFICATE_ISSUE, Permission.CS_IDENTITY_CHECK])
    card = card_of(family.atena_numbers[0])
    with federation.acting_as(NAGASAKI):
        response = client.post(reverse("jukinet_cs:wide_area"), screen_form(card))
    assert response.status_code == 403
    assert AuditEntry.objects.filter(
        action="cs:wide_area:issue", outcome="refused", outcome_reason="cs_terminal_required"
    ).exists()
    assert_nothing_issued()


def wide_area_payload(resident: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "requester_resident_code": resident,
        "identity_check": "mynumber_card",
        "card_serial": "ABCDEF123456",
        "scope": "self",
        "member_resident_codes": [],
        "layout": "household",
        "show_head_and_relationship": True,
        "show_juminhyo_code": False,
        "copies": 1,
        "issuing_municipality_code": "422011",
        "operator_id": "op1",
        "terminal_id": "t1",
    }
    values.update(overrides)
    return values


def test_a_node_that_does_not_name_itself_as_the_issuing_municipality_is_refused(
    federation: TestFederation, family: DraftRecorded
) -> None:
    payload = wide_area_payload(current(family.atena_numbers[0]).juminhyo_code)
    with federation.acting_as(NodeRef("municipality", "131016")), pytest.raises(DomainError) as refused:
        query(query_type=QUERY_WIDE_AREA_COPY, receiver=SASEBO, payload=payload)
    assert refused.value.code == "certificates.wide_area_sender"
    assert_nothing_issued()


def test_a_request_for_the_honseki_or_the_individual_number_is_not_a_request_at_all() -> None:
    for extra in ({"show_honseki": True}, {"show_individual_number": True}):
        with pytest.raises(DomainError) as refused:
            validate_wide_area_request(wide_area_payload(resident_code(1), **extra))
        assert refused.value.code == "jukinet.wide_area"
    validate_wide_area_request(wide_area_payload(resident_code(1)))


def test_a_card_serial_goes_with_the_card_and_only_with_the_card() -> None:
    validate_wide_area_request(wide_area_payload(resident_code(1), identity_check="passport", card_serial=""))
    for wrong in (
        {"identity_check": "passport"},  # a serial without the card
        {"card_serial": ""},  # the card without its serial
        {"identity_check": "official_request_form", "card_serial": ""},  # no 郵送/代理 広域交付
    ):
        with pytest.raises(DomainError) as refused:
            validate_wide_area_request(wide_area_payload(resident_code(1), **wrong))
        assert refused.value.code == "jukinet.wide_area"


def four_items_of(atena: str, identity_check: str = "drivers_license", **changes: str) -> PersonByDocument:
    """What the person writes on the request, as the national node holds it."""
    record = NationalRecord.objects.get(resident_code=current(atena).juminhyo_code)
    values = {"name": record.notice["name"], "name_kana": "", "birth_date": record.birth_date,
              "sex": record.sex, "address": record.address}  # fmt: skip
    values.update(changes)
    return PersonByDocument(identity_check=identity_check, **values)


def ask_by_document(
    federation: TestFederation, actor: User, person: PersonByDocument, request: WideAreaRequest
) -> Any:
    with federation.acting_as(NAGASAKI):
        return issue_wide_area_copy_by_document(actor=actor, purpose=PURPOSE, person=person, request=request)


def test_without_a_card_the_4情報_find_the_person_and_a_records_the_document(
    federation: TestFederation, family: DraftRecorded, nagasaki_clerk: User
) -> None:
    head = family.atena_numbers[0]
    copy = ask_by_document(federation, nagasaki_clerk, four_items_of(head), WideAreaRequest(scope="self"))

    text = flat("".join(pdf_pages(copy.pdf)))
    assert "青木太郎" in text
    assert "青木花子" not in text
    assert "佐世保市長" in text
    issuance = Issuance.objects.get()
    assert (issuance.channel, issuance.identity_check) == (Issuance.Channel.WIDE_AREA, "drivers_license")
    record = WideAreaIssuance.objects.get()
    assert (record.resident_code, record.identity_check, record.card_serial) == (
        current(head).juminhyo_code, "drivers_license", "",
    )  # fmt: skip
    found = AuditEntry.objects.get(action="national:identity:query")
    assert (found.query_summary, found.result_count) == ("name+birth_date+sex+address", 1)
    assert "青木" not in found.reason + found.query_summary
    assert AuditEntry.objects.filter(action="cs:wide_area:issue", outcome="done").count() == 1


def test_4情報_that_match_nobody_or_miss_an_item_issue_nothing(
    federation: TestFederation, family: DraftRecorded, nagasaki_clerk: User
) -> None:
    head = family.atena_numbers[0]
    attempts = {
        "jukinet.cs.wide_area_not_identified": four_items_of(head, birth_date="19010101"),
        "jukinet.cs.wide_area_four_items": four_items_of(head, sex=""),
        "jukinet.cs.wide_area_identity_check": four_items_of(head, identity_check="mynumber_card"),
    }
    for code, person in attempts.items():
        with pytest.raises(DomainError) as refused:
            ask_by_document(federation, nagasaki_clerk, person, WideAreaRequest())
        assert refused.value.code == code
        assert "青木" not in refused.value.reason
    assert_nothing_issued()
    assert AuditEntry.objects.filter(action="cs:wide_area:issue", outcome="refused").count() == 3
    # Only the unmatched 4情報 reached the national node; the others were refused before any query.
    assert AuditEntry.objects.filter(action="national:identity:query").count() == 1


def test_the_document_route_keeps_the_rules_of_the_card_route(
    federation: TestFederation, family: DraftRecorded, nagasaki_clerk: User
) -> None:
    head, spouse = family.atena_numbers[0], family.atena_numbers[1]
    # A member may ask for another member of the household only.
    copy = ask_by_document(
        federation, nagasaki_clerk, four_items_of(spouse, "passport"),
        WideAreaRequest(scope="members", member_resident_codes=(current(head).juminhyo_code,)),
    )  # fmt: skip
    assert "青木太郎" in flat("".join(pdf_pages(copy.pdf)))
    assert WideAreaIssuance.objects.get().requester_relation == "same_household"


def test_a_shows_the_wide_area_copy_in_the_persons_issuance_history(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    nagasaki_clerk: User,
    make_clerk: Callable[..., User],
) -> None:
    head = family.atena_numbers[0]
    copy = ask(federation, nagasaki_clerk, card_of(head), WideAreaRequest(scope="self"))
    viewer = make_clerk("history", Permission.CERTIFICATE_HISTORY_VIEW)
    with federation.acting_as(SASEBO):
        rows = issuance_history(actor=viewer, purpose=PURPOSE, atena_number=head)
    assert [(r.channel, r.requester_class, r.user_name) for r in rows] == [
        ("広域交付（422011）", "本人", "nagasaki-cs@422011")
    ]
    assert [c.copy_number for c in rows[0].issued_copies] == list(copy.copy_numbers)


def test_b_lists_the_days_records_masking_the_code_without_its_field_grant(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    nagasaki_clerk: User,
    cs_terminal: None,
    make_staff: Callable[..., Any],
) -> None:
    head = family.atena_numbers[0]
    copy = ask(federation, nagasaki_clerk, card_of(head), WideAreaRequest(scope="household"))
    client = make_staff([Permission.CERTIFICATE_HISTORY_VIEW])
    today = timezone.localdate().isoformat()
    with federation.acting_as(NAGASAKI):
        response = client.post(reverse("jukinet_cs:wide_area_records"), {"purpose": PURPOSE, "day": today})
    page = response.content.decode()
    assert response.status_code == 200
    assert copy.copy_numbers[0] in page
    assert current(head).juminhyo_code not in page
    assert MASK in page
    entry = AuditEntry.objects.get(action="cs:wide_area:list")
    assert (entry.outcome, entry.result_count) == ("done", 1)

    viewer = make_clerk_with_code_grant()
    with federation.acting_as(NAGASAKI):
        rows = wide_area_records(actor=viewer, purpose=PURPOSE, day=timezone.localdate())
    assert [(r.resident_code, r.registering_municipality, r.copies) for r in rows] == [
        (current(head).juminhyo_code, "422029", 1)
    ]


def make_clerk_with_code_grant() -> User:
    user = make_user(username="records-viewer")
    grant_permissions(user, [Permission.CERTIFICATE_HISTORY_VIEW, Permission.FIELD_JUMINHYO_CODE_VIEW])
    return user


def test_a_keeps_each_request_in_the_persons_provision_status_issued_or_refused(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    nagasaki_clerk: User,
    make_clerk: Callable[..., User],
) -> None:
    """Issue 8 item 7 at the 住所地: a request about the person is an exchange that concerned them, even
    one A's CS refuses from its 抑止マーク before the registry is asked."""
    head = family.atena_numbers[0]
    ask(federation, nagasaki_clerk, card_of(head), WideAreaRequest(scope="self"))
    suppress_at_a(federation, make_clerk("marks-officer", Permission.SUPPRESSION_MANAGE), head)
    with pytest.raises(DomainError):
        ask(federation, nagasaki_clerk, card_of(head), WideAreaRequest(scope="self"))
    answers = AuditEntry.objects.filter(action="node:query:answer", reason__contains="wide_area")
    assert [a.outcome_reason for a in answers.order_by("seq")] == ["", "jukinet.cs.wide_area_restricted"]
    assert all(a.result_subjects.exists() for a in answers)  # answered or refused, it names the person

    operator = make_clerk("sasebo-cs-op", Permission.CS_SEARCH)
    with federation.acting_as(SASEBO):
        status = provision_status(actor=operator, purpose=PURPOSE, resident_code=current(head).juminhyo_code)
    listed = [(e.kind, e.outcome) for e in status.exchanges if e.action == "node:query:answer"]
    kind = "他の市区町村からの照会への回答（広域交付の請求）"
    assert listed == [(kind, "refused"), (kind, "done")]  # newest first


def test_the_screen_without_a_card_prints_the_copy_or_explains_the_refusal(
    federation: TestFederation, family: DraftRecorded, cs_terminal: None, make_staff: Callable[..., Any]
) -> None:
    client = make_staff([Permission.CERTIFICATE_ISSUE])
    person = four_items_of(family.atena_numbers[0], "passport")
    form = {"purpose": PURPOSE, "identity_check": "passport", "name": person.name, "name_kana": "",
            "birth_date": person.birth_date, "sex": person.sex, "address": person.address, "scope": "self",
            "member_resident_codes": "", "layout": "household", "copies": "1"}  # fmt: skip
    with federation.acting_as(NAGASAKI):
        page = client.get(reverse("jukinet_cs:wide_area_document"))
        refused = client.post(reverse("jukinet_cs:wide_area_document"), {**form, "birth_date": "19010101"})
        printed = client.post(reverse("jukinet_cs:wide_area_document"), form)
    assert "旅券" in page.content.decode()
    assert "個人番号カード" not in str(page.context["form"]["identity_check"])
    assert "4情報に一致する方がいません" in refused.content.decode()
    assert printed["Content-Type"] == "application/pdf"
    record = WideAreaIssuance.objects.get()
    assert (record.identity_check, record.card_serial) == ("passport", "")
    assert hashlib.sha256(printed.content).hexdigest() == record.pdf_sha256


# --- The JSON API (/api/jukinet/cs/wide-area/…) ------------------------------------------------------

API = "/api/jukinet/cs/wide-area"


def post_json(federation: TestFederation, client: Any, path: str, body: dict[str, Any]) -> Any:
    with federation.acting_as(NAGASAKI):
        return client.post(f"{API}/{path}", json.dumps(body), content_type="application/json")


def test_the_api_issues_by_card_hands_the_pdf_once_and_lists_the_record(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    cs_terminal: None,
    make_staff: Callable[..., Any],
) -> None:
    head = family.atena_numbers[0]
    client = make_staff([Permission.CERTIFICATE_ISSUE, Permission.CS_IDENTITY_CHECK])
    body = {
        "purpose": PURPOSE,
        "card": card_of(head),
        "pin": PIN,
        "request": {"scope": "household", "copies": 2},
    }
    response = post_json(federation, client, "card", body)

    assert response.status_code == 200, response.content
    answer = response.json()
    record = WideAreaIssuance.objects.get()
    pdf = base64.b64decode(answer["pdf_base64"])
    assert hashlib.sha256(pdf).hexdigest() == record.pdf_sha256
    assert "青木花子" in flat("".join(pdf_pages(pdf)))
    assert (answer["issuance_id"], answer["registering_municipality"]) == (record.pk, "422029")
    assert (answer["fee"], record.copies, record.subject_count) == (600, 2, 3)
    assert answer["copy_numbers"] == record.copy_numbers
    assert current(head).juminhyo_code not in response.content.decode()  # only A's rendering names it

    viewer = make_staff([Permission.CERTIFICATE_HISTORY_VIEW])
    listed = post_json(federation, viewer, "records", {"purpose": PURPOSE, "day": str(timezone.localdate())})
    assert listed.status_code == 200
    [row] = listed.json()
    assert (row["issuance_id"], row["copies"], row["resident_code"]) == (record.pk, 2, MASK)
    assert AuditEntry.objects.filter(action="cs:wide_area:list", outcome="done").count() == 1


def test_the_api_answers_a_refusal_as_400_with_the_field_and_remedy_and_issues_nothing(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    cs_terminal: None,
    make_staff: Callable[..., Any],
) -> None:
    client = make_staff([Permission.CERTIFICATE_ISSUE, Permission.CS_IDENTITY_CHECK])
    card = card_of(family.atena_numbers[0])
    response = post_json(federation, client, "card", {"purpose": PURPOSE, "card": card, "pin": "9999"})
    assert response.status_code == 400
    error = response.json()
    assert "暗証番号が違います" in error["reason"]
    assert error["remedy"]
    assert_nothing_issued()
    assert AuditEntry.objects.filter(action="cs:wide_area:issue", outcome="refused").count() == 1


def test_the_api_issues_without_a_card_on_the_4情報_and_refuses_when_they_match_nobody(
    federation: TestFederation, family: DraftRecorded, cs_terminal: None, make_staff: Callable[..., Any]
) -> None:
    head = family.atena_numbers[0]
    client = make_staff([Permission.CERTIFICATE_ISSUE])
    person = dataclasses.asdict(four_items_of(head, identity_check="passport"))

    wrong = post_json(
        federation, client, "document", {"purpose": PURPOSE, "person": {**person, "birth_date": "19010101"}}
    )
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "jukinet.cs.wide_area_not_identified"
    assert_nothing_issued()

    response = post_json(federation, client, "document", {"purpose": PURPOSE, "person": person})
    assert response.status_code == 200, response.content
    record = WideAreaIssuance.objects.get()
    assert (record.identity_check, record.card_serial, record.subject_count) == ("passport", "", 1)
    assert response.json()["issuance_id"] == record.pk


def test_the_api_refuses_a_clerk_terminal_with_403_and_audits_it(
    federation: TestFederation, family: DraftRecorded, make_staff: Callable[..., Any]
) -> None:
    client = make_staff([Permission.CERTIFICATE_ISSUE])
    person = dataclasses.asdict(four_items_of(family.atena_numbers[0]))
    response = post_json(federation, client, "document", {"purpose": PURPOSE, "person": person})
    assert response.status_code == 403
    assert AuditEntry.objects.filter(
        action="cs:wide_area:issue", outcome="refused", outcome_reason="cs_terminal_required"
    ).exists()
    assert_nothing_issued()
