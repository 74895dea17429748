"""住民票の除票の写し by 広域交付 (住基法15条の4, 令和元年改正; docs/jukinet.md Flow 8).

The head of the family moved out of 佐世保市 (A, 422029). At 長崎市 (B, 422011) he shows his card (or an ID
document and the 4情報) and states 佐世保市 as his former municipality; A finds his 除票 by the 住民票コード,
renders, seals and numbers the 除票の写し and records it; B keeps only the issuance record.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates.models import Issuance, IssuanceSubject
from jumin.domain.certificates import CertificateKind
from jumin.domain.errors import DomainError
from jumin.jukinet.common.wide_area import requested_kind, validate_wide_area_request
from jumin.jukinet.cs.models import WideAreaIssuance
from jumin.jukinet.cs.wide_area import WideAreaRequest, wide_area_records
from jumin.jukinet.national.models import IdentityRecord as NationalRecord
from jumin.messaging.testing import TestFederation
from jumin.registry import certificate_sources
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.move_out import record_move_out
from tests.certificates.helpers import flat, pdf_pages
from tests.certificates.test_wide_area import (
    NAGASAKI,
    PIN,
    SASEBO,
    ask,
    ask_by_document,
    assert_nothing_issued,
    card_of,
    code_pool,
    cs_terminal,
    family,
    four_items_of,
    nagasaki_clerk,
    post_json,
    suppress_at_a,
    wide_area_payload,
)
from tests.jukinet.cs.factories import resident_code
from tests.registry.conftest import PURPOSE, current, family_move_in
from tests.registry.test_move_out import DESTINATION, move_out

pytestmark = pytest.mark.django_db
__all__ = ["card_of", "code_pool", "cs_terminal", "family", "nagasaki_clerk"]  # fixtures used here

REMOVED = CertificateKind.REMOVED_COPY.value


def removed_copy(former: str = SASEBO.code, **options: Any) -> WideAreaRequest:
    """A 除票の写し of the requester, from the municipality they state."""
    return WideAreaRequest(kind=REMOVED, former_municipality_code=former, **options)


@pytest.fixture
def moved_head(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    clerk: User,
    reviewer: User,
) -> tuple[str, dict[str, Any]]:
    """The head's card (issued while he lived at A) and his 宛名番号 after his 転出 from A today."""
    head = family.atena_numbers[0]
    card = card_of(head)
    with federation.acting_as(SASEBO):
        draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([head]))
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    federation.pump()
    assert current(head).status == "removed"
    # The national record is removed too until a 転入 elsewhere: no 住所地 routes this request.
    assert NationalRecord.objects.get(resident_code=current(head).juminhyo_code).removed
    return head, card


def test_a_person_who_moved_out_gets_the_removed_copy_rendered_and_recorded_by_a(
    federation: TestFederation, moved_head: tuple[str, dict[str, Any]], nagasaki_clerk: User
) -> None:
    head, card = moved_head
    copy = ask(federation, nagasaki_clerk, card, removed_copy())

    text = flat("".join(pdf_pages(copy.pdf)))
    assert "住民票の除票の写し" in text
    assert "除かれた住民票の原本と相違ない" in text
    assert "青木太郎" in text
    assert "青木花子" not in text  # only the requester's own 除票
    assert DESTINATION in text
    assert "消除" in text
    assert "佐世保市長" in text
    assert "本籍" not in text
    assert "筆頭者" not in text
    assert copy.registering_municipality == SASEBO.code
    assert copy.fee == 300

    # A's 交付履歴: a 除票の写し for B, the requester as 本人.
    issuance = Issuance.objects.get()
    assert (issuance.kind, issuance.channel, issuance.requesting_municipality) == (
        REMOVED, Issuance.Channel.WIDE_AREA, NAGASAKI.code,
    )  # fmt: skip
    assert issuance.requester_class == "self"
    assert issuance.options["show_honseki"] is False
    assert list(IssuanceSubject.objects.values_list("atena_number", flat=True)) == [head]
    assert issuance.pdf_sha256 == hashlib.sha256(copy.pdf).hexdigest()

    # B's record names the kind and the former municipality; no content.
    record = WideAreaIssuance.objects.get()
    assert (record.kind, record.registering_municipality, record.resident_code) == (
        REMOVED, SASEBO.code, current(head).juminhyo_code,
    )  # fmt: skip
    assert (record.subject_count, record.copies, record.fee, record.requester_relation) == (1, 1, 300, "self")

    a_entry = AuditEntry.objects.get(action="certificate:copy:issue", outcome="done")
    assert (a_entry.subject_id, a_entry.reason) == (str(issuance.pk), f"wide_area for {NAGASAKI.code}")
    b_entry = AuditEntry.objects.get(action="cs:wide_area:issue", outcome="done")
    assert (b_entry.subject_id, b_entry.reason) == (str(record.pk), f"{REMOVED} from {SASEBO.code}")


def test_without_a_card_the_4情報_find_a_person_whose_national_record_is_removed(
    federation: TestFederation, moved_head: tuple[str, dict[str, Any]], nagasaki_clerk: User
) -> None:
    """Between the 転出 and a 転入 the national record is removed: for a 除票 the 4情報 may match it."""
    head, _card = moved_head
    person = four_items_of(head, "passport")
    copy = ask_by_document(federation, nagasaki_clerk, person, removed_copy())
    assert "住民票の除票の写し" in flat("".join(pdf_pages(copy.pdf)))
    record = WideAreaIssuance.objects.get()
    assert (record.kind, record.identity_check, record.card_serial) == (REMOVED, "passport", "")
    assert Issuance.objects.get().identity_check == "passport"


def test_a_current_resident_has_no_removed_record_at_a_and_nothing_is_issued(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    nagasaki_clerk: User,
) -> None:
    card = card_of(family.atena_numbers[0])
    with pytest.raises(DomainError) as refused:
        ask(federation, nagasaki_clerk, card, removed_copy())
    assert refused.value.code == "certificates.wide_area_no_removed_record"
    assert "青木" not in refused.value.reason
    assert_nothing_issued()
    assert AuditEntry.objects.filter(
        action="cs:wide_area:issue",
        outcome="refused",
        outcome_reason="certificates.wide_area_no_removed_record",
    ).exists()


@pytest.mark.parametrize(
    ("request_", "field", "code"),
    [
        (removed_copy(scope="household"), "scope", "jukinet.wide_area"),
        (removed_copy(former=""), "former_municipality_code", "jukinet.cs.wide_area_former_municipality"),
        (
            removed_copy(former=NAGASAKI.code),
            "former_municipality_code",
            "jukinet.cs.wide_area_local_resident",
        ),
        (removed_copy(former="422020"), "former_municipality_code", None),  # a wrong check digit
        (WideAreaRequest(kind="fuhyo"), "kind", "jukinet.wide_area"),
    ],
)
def test_a_wrong_removed_copy_request_is_refused_before_the_pin_is_spent(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    nagasaki_clerk: User,
    request_: WideAreaRequest,
    field: str,
    code: str | None,
) -> None:
    card = card_of(family.atena_numbers[0])
    with pytest.raises(DomainError) as refused:
        ask(federation, nagasaki_clerk, card, request_, pin="0000")
    assert refused.value.field == field
    if code is not None:
        assert refused.value.code == code
    assert refused.value.remedy
    assert not AuditEntry.objects.filter(action="cs:card:verify").exists()
    assert_nothing_issued()


def test_a_restricted_removed_record_is_refused_naming_the_kind_but_not_the_reason(
    federation: TestFederation,
    moved_head: tuple[str, dict[str, Any]],
    nagasaki_clerk: User,
    make_clerk: Callable[..., User],
) -> None:
    head, card = moved_head
    suppress_at_a(federation, make_clerk("officer", Permission.SUPPRESSION_MANAGE), head)
    with pytest.raises(DomainError) as refused:
        ask(federation, nagasaki_clerk, card, removed_copy())
    assert refused.value.code.endswith("wide_area_restricted")
    assert "除票の写し" in refused.value.reason
    assert "抑止" not in refused.value.reason
    assert_nothing_issued()


def test_the_kind_item_is_optional_and_its_absence_means_a_juminhyo_copy() -> None:
    """Backward compatible: an A built before the item reads every 住民票 request B sends."""
    plain = wide_area_payload(resident_code(1))
    validate_wide_area_request(plain)
    assert requested_kind(plain) is CertificateKind.COPY
    removed = wide_area_payload(resident_code(1), kind=REMOVED)
    validate_wide_area_request(removed)
    assert requested_kind(removed) is CertificateKind.REMOVED_COPY
    for wrong in ({"kind": "stated_items"}, {"kind": REMOVED, "scope": "household"}, {"kind": 1}):
        with pytest.raises(DomainError) as refused:
            validate_wide_area_request(wide_area_payload(resident_code(1), **wrong))
        assert refused.value.code == "jukinet.wide_area"


def test_b_sends_no_kind_item_for_a_juminhyo_copy(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    nagasaki_clerk: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from jumin.jukinet.cs import wide_area

    sent: list[dict[str, Any]] = []
    original = wide_area.query

    def spy(**kwargs: Any) -> Any:
        sent.append(dict(kwargs["payload"]))
        return original(**kwargs)

    monkeypatch.setattr(wide_area, "query", spy)
    ask(federation, nagasaki_clerk, card_of(family.atena_numbers[0]), WideAreaRequest())
    [request] = [payload for payload in sent if "requester_resident_code" in payload]
    assert "kind" not in request


def test_the_screen_prints_the_removed_copy_and_the_records_name_its_kind(
    federation: TestFederation,
    moved_head: tuple[str, dict[str, Any]],
    cs_terminal: None,
    make_staff: Callable[..., Any],
) -> None:
    _head, card = moved_head
    client = make_staff([Permission.CERTIFICATE_ISSUE, Permission.CS_IDENTITY_CHECK])
    upload = SimpleUploadedFile("card.json", json.dumps(card).encode(), content_type="application/json")
    form = {"purpose": PURPOSE, "card": upload, "pin": PIN, "kind": REMOVED, "former_municipality_code": "",
            "scope": "self", "member_resident_codes": "", "layout": "personal", "copies": "1"}  # fmt: skip
    with federation.acting_as(NAGASAKI):
        page = client.get(reverse("jukinet_cs:wide_area"))
        refused = client.post(reverse("jukinet_cs:wide_area"), form)
        upload.seek(0)
        printed = client.post(
            reverse("jukinet_cs:wide_area"), {**form, "former_municipality_code": SASEBO.code}
        )
    assert "住民票の除票の写し" in page.content.decode()
    assert "前の住所地）が必要です" in refused.content.decode()
    assert printed["Content-Type"] == "application/pdf"
    record = WideAreaIssuance.objects.get()
    assert record.kind == REMOVED
    assert hashlib.sha256(printed.content).hexdigest() == record.pdf_sha256

    viewer = make_staff([Permission.CERTIFICATE_HISTORY_VIEW])
    with federation.acting_as(NAGASAKI):
        listed = viewer.post(
            reverse("jukinet_cs:wide_area_records"),
            {"purpose": PURPOSE, "day": timezone.localdate().isoformat()},
        )
    assert "住民票の除票の写し" in listed.content.decode()


def test_the_api_issues_a_removed_copy_by_card(
    federation: TestFederation,
    moved_head: tuple[str, dict[str, Any]],
    cs_terminal: None,
    make_staff: Callable[..., Any],
    make_clerk: Callable[..., User],
) -> None:
    _head, card = moved_head
    client = make_staff([Permission.CERTIFICATE_ISSUE, Permission.CS_IDENTITY_CHECK])
    body = {"purpose": PURPOSE, "card": card, "pin": PIN,
            "request": {"kind": REMOVED, "former_municipality_code": SASEBO.code, "copies": 2}}  # fmt: skip
    response = post_json(federation, client, "card", body)
    assert response.status_code == 200, response.content
    answer = response.json()
    pdf = base64.b64decode(answer["pdf_base64"])
    assert "住民票の除票の写し" in flat("".join(pdf_pages(pdf)))
    assert (answer["registering_municipality"], answer["fee"]) == (SASEBO.code, 600)
    assert WideAreaIssuance.objects.get().kind == REMOVED

    viewer = make_clerk("records", Permission.CERTIFICATE_HISTORY_VIEW)
    with federation.acting_as(NAGASAKI):
        [row] = wide_area_records(actor=viewer, purpose=PURPOSE, day=timezone.localdate())
    assert row.kind == "住民票の除票の写し"


def test_of_several_removed_records_with_one_code_the_latest_removal_is_copied(
    federation: TestFederation,
    moved_head: tuple[str, dict[str, Any]],
    clerk: User,
    reviewer: User,
) -> None:
    """A person who left A, came back and left again has two 除票 under one 住民票コード."""
    head, _card = moved_head
    code = current(head).juminhyo_code
    with federation.acting_as(SASEBO):
        other = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=other.change_id)
    earlier = current(other.atena_numbers[0])
    # Synthetic: the earlier stay's 除票, removed a year before the head's 転出 today.
    type(earlier).objects.filter(pk=earlier.pk).update(
        juminhyo_code=code, status="removed", removal_date=timezone.localdate() - timedelta(days=365)
    )
    assert certificate_sources.atena_number_of_removed_code(code) == head
    # A 転出 still pending (no removal date yet) is the latest of all.
    type(earlier).objects.filter(pk=earlier.pk).update(status="planned_move_out", removal_date=None)
    assert certificate_sources.atena_number_of_removed_code(code) == other.atena_numbers[0]
    assert certificate_sources.atena_number_of_removed_code(resident_code(2)) is None
