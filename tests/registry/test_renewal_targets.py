"""The CS renewal-target list matched with the registry, and a 居所 as the 送付先 (standard 7.1.1.4-a)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.domain.resident import ResidentStatus
from jumin.jukinet.cs import relays
from jumin.jukinet.cs.models import SendingAddressRecord
from jumin.jukinet.national.models import Card
from jumin.messaging.testing import TestFederation
from jumin.registry import renewal_targets, sending_addresses, sending_places
from jumin.registry.models import CardEvent, ResidentSnapshot
from jumin.registry.numbering import load_code_pool
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from tests.registry.conftest import PURPOSE, current, family_move_in, logged_in
from tests.registry.test_birth_number_network import SASEBO
from tests.registry.test_number_changes import FIRST_NUMBER, number_clerk

pytestmark = pytest.mark.django_db

__all__ = ["number_clerk"]  # the fixture, imported for this module's tests

STAY = "長崎県佐世保市日宇町2丁目3番4号"


@pytest.fixture
def family(federation: TestFederation, number_clerk: User, reviewer: User) -> DraftRecorded:
    """A household of three at 佐世保市 with national 住民票コード (the head with a 個人番号), known to
    the national node."""
    with federation.acting_as(SASEBO):
        load_code_pool(relays.fetch_resident_codes(5, actor=number_clerk, purpose="registry_batch"))
        draft = record_move_in(
            actor=number_clerk,
            purpose=PURPOSE,
            move_in=family_move_in(individual_numbers=(FIRST_NUMBER, "", "")),
        )
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    federation.pump()
    return draft


def _national_card(code: str, valid_until: date, serial: str) -> None:
    Card.objects.create(
        serial=serial,
        resident_code=code,
        public_key="k" * 43,
        status=Card.Status.ACTIVE,
        issued_on=valid_until - timedelta(days=3650),
        valid_until=valid_until,
        issued_by="422029",
    )


def _registry_card(atena: str, expiry: date, clerk: User) -> None:
    CardEvent.objects.create(
        resident=current(atena).resident,
        event="issued",
        event_date=expiry - timedelta(days=3650),
        expiry_date=expiry,
        recorded_by=clerk,
        recorded_at=timezone.now(),
    )


def test_the_list_is_matched_both_ways_and_a_recorded_stay_is_the_sending_address(
    federation: TestFederation, family: DraftRecorded, clerk: User
) -> None:
    head, wife, child = family.atena_numbers
    soon = timezone.localdate() + timedelta(days=60)
    _national_card(current(head).juminhyo_code, soon, "AAAAAAAAAAA1")
    _registry_card(head, soon, clerk)
    _national_card(current(wife).juminhyo_code, soon, "AAAAAAAAAAA2")
    # The wife's record here was removed, out of step with the national node (CSのみ).
    ResidentSnapshot.objects.filter(pk=current(wife).pk).update(
        status=ResidentStatus.REMOVED, removal_reason="死亡"
    )
    _registry_card(child, soon - timedelta(days=1), clerk)  # 住記のみ: not on the national list
    _national_card(
        current(child).juminhyo_code, soon + timedelta(days=400), "AAAAAAAAAAA3"
    )  # later: not listed
    sending_places.record_sending_place(
        actor=clerk,
        purpose=PURPOSE,
        atena_number=head,
        postal_code="〒857-0863",
        address=STAY,
        addressee="山田様方",
    )
    assert AuditEntry.objects.filter(action="resident:sending_place:record", subject_id=head).count() == 1

    with federation.acting_as(SASEBO):
        lines = renewal_targets.match_renewal_targets(actor=clerk, purpose=PURPOSE, expiring_by=soon)
    assert [(line.kind, line.atena_number) for line in lines] == [
        ("一致", head),
        ("CSのみ", wife),
        ("住記のみ", child),
    ]
    matched, cs_only, registry_only = lines
    assert (matched.mail_postal_code, matched.mail_address, matched.by_sending_place) == (
        "8570863",
        STAY,
        True,
    )
    assert (matched.valid_until, matched.registry_expiry, matched.note) == (soon.isoformat(),) * 2 + ("",)
    assert matched.resident_code != current(head).juminhyo_code  # masked without the grant (C-10)
    assert "死亡" in cs_only.note
    assert cs_only.mail_address == ""  # no notice to this municipality's address
    assert registry_only.mail_address == current(child).address
    assert registry_only.valid_until == ""
    listed = AuditEntry.objects.filter(action="resident:record:list").latest("seq")
    assert sorted(listed.result_subjects.values_list("subject_id", flat=True)) == sorted([head, wife, child])
    assert AuditEntry.objects.filter(action="national:card:view", subject_type="renewal_targets").exists()

    # The 送付先情報 of the head's notices goes to the recorded 居所, the 住所 items unchanged.
    with federation.acting_as(SASEBO):
        assert sending_addresses.produce_many([current(head)], reason="個人番号の変更", actor=clerk) == 1
    items = SendingAddressRecord.objects.get().items
    assert (items["mail_postal_code"], items["mail_address"]) == ("8570863", f"{STAY}\u3000山田様方")
    assert items["address"] == current(head).address

    assert (
        sending_places.record_sending_place(
            actor=clerk, purpose=PURPOSE, atena_number=head, postal_code="", address=""
        )
        is None
    )  # ended: the 住所 again
    assert sending_places.places_of([current(head).resident_id]) == {}


@pytest.mark.parametrize(
    ("postal_code", "address", "addressee", "field"),
    [
        ("85708", STAY, "", "postal_code"),
        ("", STAY, "", "postal_code"),
        ("8570863", "長崎県\ufffd", "", "address"),
        ("", "", "山田様方", "address"),
    ],
)
def test_a_wrong_stay_is_refused_naming_the_field(
    family: DraftRecorded, clerk: User, postal_code: str, address: str, addressee: str, field: str
) -> None:
    with pytest.raises(DomainError) as refused:
        sending_places.record_sending_place(
            actor=clerk,
            purpose=PURPOSE,
            atena_number=family.atena_numbers[0],
            postal_code=postal_code,
            address=address,
            addressee=addressee,
        )
    assert refused.value.field == field
    assert sending_places.places_of([current(family.atena_numbers[0]).resident_id]) == {}


def _head_with_card(family: DraftRecorded) -> tuple[str, date]:
    """The head, whose card (known to the national node only) expires in 30 days, and that day."""
    head = family.atena_numbers[0]
    soon = timezone.localdate() + timedelta(days=30)
    _national_card(current(head).juminhyo_code, soon, "AAAAAAAAAAA1")
    return head, soon


def test_the_api_matches_and_records_a_stay(
    federation: TestFederation, family: DraftRecorded, clerk: User
) -> None:
    head, soon = _head_with_card(family)
    client = logged_in(clerk)
    recorded = client.post(
        "/api/registry/renewal-targets/sending-place",
        {"purpose": PURPOSE, "atena_number": head, "postal_code": "8570863", "address": STAY},
        content_type="application/json",
    )
    assert recorded.status_code == 200
    assert recorded.json()["address"] == STAY
    with federation.acting_as(SASEBO):
        matched = client.post(
            "/api/registry/renewal-targets/match",
            {"purpose": PURPOSE, "expiring_by": soon.isoformat()},
            content_type="application/json",
        )
    assert matched.status_code == 200
    [line] = matched.json()
    assert (line["kind"], line["mail_address"]) == ("一致", STAY)


def test_the_screen_records_a_stay_and_shows_the_match(
    federation: TestFederation, family: DraftRecorded, clerk: User
) -> None:
    head, soon = _head_with_card(family)
    client = logged_in(clerk)
    menu = client.get("/registry/").content.decode()
    assert "/registry/renewal-targets/" in menu
    recorded = client.post(
        "/registry/renewal-targets/",
        {"purpose": PURPOSE, "atena_number": head, "postal_code": "857-0863", "address": STAY},
    ).content.decode()
    assert "居所を記録しました" in recorded
    with federation.acting_as(SASEBO):
        page = client.post(
            "/registry/renewal-targets/", {"purpose": PURPOSE, "expiring_by": soon.isoformat()}
        ).content.decode()
    assert "一致" in page
    assert f"〒8570863 {STAY}（居所）" in page
    assert current(head).juminhyo_code not in page  # masked without the grant (C-10)
