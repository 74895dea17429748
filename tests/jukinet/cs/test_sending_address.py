"""送付先情報 at the CS (system.md F15): 67 items, store, send to N4, result, purge 1 business day later."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.models import Terminal
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.common import sending_address as common
from jumin.jukinet.common.sending_address import SendingAddress, make_sending_address
from jumin.jukinet.cs import sending_addresses as cs_sending
from jumin.jukinet.cs import services
from jumin.jukinet.cs.models import SendingAddressRecord, SendingAddressSend, SendingAddressState
from jumin.jukinet.cs.models_characters import UnifiedCharacterRegistration
from jumin.jukinet.cs.updates import CsUpdateRequest
from jumin.jukinet.national.models import IdentityRecord, SendingAddressReceipt
from jumin.jukinet.national.services.sending_addresses import WAITING_HOURS, refuse_stale_waiting
from jumin.messaging.envelope import NodeRef
from jumin.messaging.models import OutboxMessage
from jumin.messaging.testing import TestFederation
from tests.helpers.accounts import TERMINAL_ID, grant_permissions, make_terminal, make_user
from tests.helpers.permission_matrix import assert_permission_triple
from tests.jukinet.cs.factories import update

pytestmark = pytest.mark.django_db

SASEBO = NodeRef("municipality", "422029")
NATIONAL = NodeRef("national", "00")
IVS_NAME = "辻\U000e0100\u3000太郎"  # 辻 with a variation selector: a 外字 whose base is printable
NON_JIS = "𠮷"  # outside JIS X 0208: printed as 〓
PURPOSE = "cs_operator"


def sending_for(request: CsUpdateRequest, **overrides: Any) -> SendingAddress:
    """The 送付先情報 of a person recorded at the CS by ``request`` (what the registry would build)."""
    values: dict[str, Any] = {
        "control_number": f"{abs(hash((request.resident_code, tuple(overrides.items())))):032x}"[-32:],
        "mail_postal_code": request.postal_code,
        "mail_address": request.address,
        "mail_name": request.name,
        "municipality_code": request.municipality_code,
        "municipality_name": "佐世保市",
        "municipality_postal_code": "8578585",
        "municipality_address": "長崎県佐世保市八幡町1番10号",
        "municipality_phone": "0956-24-1111",
        "issuing_place_name": "佐世保市役所",
        "issuing_place_postal_code": "8578585",
        "issuing_place_address": "長崎県佐世保市八幡町1番10号",
        "issuing_place_phone": "0956-24-1111",
        "card_delivery_name": "佐世保市役所",
        "card_delivery_postal_code": "8578585",
        "card_delivery_address": "長崎県佐世保市八幡町1番10号",
        "card_delivery_phone": "0956-24-1111",
        "batch_count": 1,
        "processing_date": timezone.localdate().strftime("%Y%m%d"),
        "operator_id": "clerk01",
        "terminal_id": "T-TEST-01",
        "print_category": common.PRINT_NEW_NUMBER,
        "resident_code": request.resident_code,
        "name": request.name,
        "name_kana": request.name_kana,
        "postal_code": request.postal_code,
        "address": request.address,
        "birth_date": request.birth_date,
        "sex": request.sex,
        "individual_number": request.individual_number,
        "foreign_category": "",
        "stay_expiry_date": "",
        "former_surname": "",
        "former_surname_kana": "",
        "former_surname_gaiji_seq": 0,
        "romanised_name": "",
        "romanised_former_surname": "",
    }
    values.update(overrides)
    return make_sending_address(**values)


def register_ivs(federation: TestFederation) -> None:
    """Register IVS_NAME's 外字 at 佐世保市's CS: only then may its notices carry it (住基ネット統一文字)."""
    with federation.acting_as(SASEBO):
        UnifiedCharacterRegistration.objects.create(
            character=IVS_NAME[:2], unified_code="J+TEST", registered_by="test", registered_at=timezone.now()
        )


def person(federation: TestFederation, **overrides: Any) -> CsUpdateRequest:
    """A person recorded at 佐世保市's CS and carried up to the national node."""
    request = update(**overrides)
    with federation.acting_as(SASEBO):
        services.accept_update(request, actor=None)
    federation.pump()
    return request


# --- the 67 items ---------------------------------------------------------------------------------


def test_the_record_has_67_items_and_derives_lengths_gaiji_and_substitutes() -> None:
    record = sending_for(update(name=IVS_NAME, address=f"長崎県佐世保市{NON_JIS}町1番"))
    assert len(record.as_payload()) == 67
    assert (record.name_length, record.name_gaiji_count) == (4, 1)  # the IVS sequence counts once
    assert (record.substitute_name, record.substitute_name_positions) == ("辻\u3000太郎", "1")
    assert record.substitute_address == "長崎県佐世保市〓町1番"
    assert record.substitute_address_positions == "8"
    assert record.substitute_result == common.SUBSTITUTE_GETA
    assert record.gaiji_flag is True
    assert record.gaiji_pattern == "U+20BB7 U+8FBB_U+E0100"  # in item order: 送付先住所 first
    plain = sending_for(update())
    assert (plain.substitute_result, plain.gaiji_flag, plain.gaiji_pattern) == ("0", False, "")
    assert plain.mail_address_length == len(plain.mail_address)


def test_the_validator_refuses_missing_items_and_derived_items_that_do_not_match() -> None:
    payload = sending_for(update()).as_payload()
    common.validate_sending_address_payload(payload)
    with pytest.raises(DomainError):
        common.validate_sending_address_payload({k: v for k, v in payload.items() if k != "gaiji_flag"})
    with pytest.raises(DomainError) as refused:
        common.validate_sending_address_payload({**payload, "name_length": payload["name_length"] + 1})
    assert refused.value.field == "name_length"
    with pytest.raises(DomainError):
        common.validate_sending_address_payload({**payload, "individual_number": "１" * 12})
    with pytest.raises(DomainError):
        sending_for(update(), print_category="9")


def test_one_business_day_skips_weekends_holidays_and_the_new_year_closure() -> None:
    assert common.deletion_day(date(2025, 11, 20)) == date(2025, 11, 21)  # Thursday → Friday
    assert common.deletion_day(date(2025, 11, 21)) == date(2025, 11, 25)  # Fri → Tue (24th 振替休日)
    # Golden Week: Sat, みどりの日, こどもの日, 振替休日.
    assert common.deletion_day(date(2025, 5, 2)) == date(2025, 5, 7)
    assert common.deletion_day(date(2025, 12, 26)) == date(2026, 1, 5)  # 12/29–1/3 and a weekend
    assert cs_sending.purge_cutoff(date(2025, 5, 7)) == date(2025, 5, 6)
    assert cs_sending.purge_cutoff(date(2025, 5, 6)) == date(2025, 5, 1)


# --- store, send, result, purge ------------------------------------------------------------------


def test_without_a_national_peer_the_record_waits_and_its_number_is_encrypted() -> None:
    record = sending_for(update())
    send = cs_sending.store_sending_address(record, actor=None)
    assert send.state == SendingAddressState.PENDING
    assert not OutboxMessage.objects.filter(type="jukinet.sending_address").exists()
    stored = SendingAddressRecord.objects.get(send=send)
    assert "individual_number" not in stored.items
    assert record.individual_number not in str(stored.individual_number)
    assert stored.get_individual_number() == record.individual_number
    entry = AuditEntry.objects.get(action="cs:sending_address:store")
    assert entry.individual_number_used
    assert cs_sending.send_pending_sending_addresses() == 0  # still no peer
    with pytest.raises(DomainError):
        cs_sending.store_sending_address(record, actor=None)  # the same 送付先管理番号 twice


def test_a_record_travels_to_n4_is_linked_and_deleted_one_business_day_later(
    federation: TestFederation,
) -> None:
    register_ivs(federation)
    request = person(federation, name=IVS_NAME)
    with federation.acting_as(SASEBO):
        send = cs_sending.store_sending_address(sending_for(request), actor=None)
    assert send.state == SendingAddressState.SENT
    federation.pump()
    receipt = SendingAddressReceipt.objects.get(control_number=send.control_number)
    assert receipt.result == "accepted"
    send.refresh_from_db()
    today = timezone.localdate()
    assert (send.state, send.linked_on) == (SendingAddressState.LINKED, today)
    # Not on the day of the linkage; on the next business day.
    with federation.acting_as(SASEBO):
        assert cs_sending.purge_sending_addresses(today=today) == 0
        assert cs_sending.purge_sending_addresses(today=common.deletion_day(today)) == 1
    assert not SendingAddressRecord.objects.exists()
    send.refresh_from_db()
    assert send.deleted_at is not None  # the history stays, without the personal data
    purge = AuditEntry.objects.filter(action="cs:sending_address:purge").order_by("-seq").first()
    assert purge is not None
    assert purge.result_count == 1


def test_the_purge_waits_over_a_weekend_and_holidays(federation: TestFederation) -> None:
    request = person(federation)
    with federation.acting_as(SASEBO):
        send = cs_sending.store_sending_address(sending_for(request), actor=None)
    federation.pump()
    SendingAddressSend.objects.filter(pk=send.pk).update(linked_on=date(2025, 5, 2))
    for closed in (date(2025, 5, 3), date(2025, 5, 4), date(2025, 5, 5), date(2025, 5, 6)):
        assert cs_sending.purge_sending_addresses(today=closed) == 0
    assert cs_sending.purge_sending_addresses(today=date(2025, 5, 7)) == 1


def test_a_record_whose_four_items_differ_is_refused_and_can_be_resent(
    federation: TestFederation, make_staff: Callable[..., Any]
) -> None:
    request = person(federation)
    with federation.acting_as(SASEBO):
        send = cs_sending.store_sending_address(sending_for(request, name="別人\u3000花子"), actor=None)
    federation.pump()
    send.refresh_from_db()
    assert send.state == SendingAddressState.REFUSED
    assert send.result_code == "jukinet.national.four_items_mismatch"
    assert "氏名" in send.result_reason
    assert "花子" not in send.result_reason  # the item, never the value
    receipt = SendingAddressReceipt.objects.get(control_number=send.control_number)
    assert (receipt.items, receipt.individual_number) == ({}, None)
    operator = make_user(username="csop02")
    grant_permissions(operator, [Permission.CS_CARD])
    with federation.acting_as(SASEBO):
        listing = cs_sending.list_sending_addresses(actor=operator, purpose=PURPOSE)
        assert listing.counts["refused"] == 1
        assert [row.control_number for row in listing.rows] == [send.control_number]
        cs_sending.resend_refused(actor=operator, purpose=PURPOSE, send_id=send.pk)
    send.refresh_from_db()
    assert (send.state, send.send_count) == (SendingAddressState.SENT, 2)
    federation.pump()
    send.refresh_from_db()
    assert send.state == SendingAddressState.REFUSED  # still different: refused again


def test_an_unknown_resident_code_waits_then_is_refused(federation: TestFederation) -> None:
    request = update()  # never notified upward
    with federation.acting_as(SASEBO):
        send = cs_sending.store_sending_address(sending_for(request), actor=None)
    federation.pump()
    send.refresh_from_db()
    assert send.state == SendingAddressState.SENT  # no answer yet: the 本人確認情報 may still come
    receipt = SendingAddressReceipt.objects.get(control_number=send.control_number)
    assert receipt.result == "waiting"
    assert receipt.get_individual_number()  # kept for the check, encrypted

    with federation.acting_as(NATIONAL):
        assert refuse_stale_waiting(now=timezone.now() + timedelta(hours=WAITING_HOURS - 1)) == 0
        assert refuse_stale_waiting(now=timezone.now() + timedelta(hours=WAITING_HOURS + 1)) == 1
    federation.pump()
    send.refresh_from_db()
    assert (send.state, send.result_code) == (
        SendingAddressState.REFUSED,
        "jukinet.national.unknown_resident_code",
    )
    receipt.refresh_from_db()
    assert (receipt.result, receipt.items, receipt.individual_number) == ("refused", {}, None)


def test_a_sending_address_that_overtakes_the_first_identity_notice_waits_for_it(
    federation: TestFederation,
) -> None:
    # 出生 or a first 国外転入: the CS sends both in one commit; the notice goes through the prefecture.
    request = update()
    with federation.acting_as(SASEBO):
        services.accept_update(request, actor=None)
        send = cs_sending.store_sending_address(sending_for(request), actor=None)
    federation.pump()
    send.refresh_from_db()
    assert send.state == SendingAddressState.LINKED
    receipt = SendingAddressReceipt.objects.get(control_number=send.control_number)
    assert (receipt.result, receipt.refusal_code) == ("accepted", "")
    entries = AuditEntry.objects.filter(action="national:sending_address:receive").order_by("seq")
    assert [(e.outcome, e.reason.endswith("waiting for the 本人確認情報")) for e in entries] == [
        ("done", True),
        ("done", False),
    ]


def test_a_waiting_sending_address_whose_4情報_differ_is_refused_when_the_notice_comes(
    federation: TestFederation,
) -> None:
    request = update()
    with federation.acting_as(SASEBO):
        services.accept_update(request, actor=None)
        send = cs_sending.store_sending_address(sending_for(request, birth_date="19990101"), actor=None)
    federation.pump()
    send.refresh_from_db()
    assert (send.state, send.result_code) == (
        SendingAddressState.REFUSED,
        "jukinet.national.four_items_mismatch",
    )
    receipt = SendingAddressReceipt.objects.get(control_number=send.control_number)
    assert (receipt.items, receipt.individual_number) == ({}, None)


def test_a_removed_persons_code_is_refused_at_once(federation: TestFederation) -> None:
    request = person(federation)
    IdentityRecord.objects.filter(resident_code=request.resident_code).update(removed=True)
    with federation.acting_as(SASEBO):
        send = cs_sending.store_sending_address(sending_for(request), actor=None)
    federation.pump()
    send.refresh_from_db()
    assert (send.state, send.result_code) == (
        SendingAddressState.REFUSED,
        "jukinet.national.unknown_resident_code",
    )


def test_waiting_records_are_sent_once_the_national_node_is_a_peer(federation: TestFederation) -> None:
    request = person(federation)
    send = cs_sending.store_sending_address(sending_for(request), actor=None)  # outside the node
    assert send.state == SendingAddressState.PENDING
    with federation.acting_as(SASEBO):
        assert cs_sending.send_pending_sending_addresses() == 1
    federation.pump()
    send.refresh_from_db()
    assert send.state == SendingAddressState.LINKED


# --- the screen -----------------------------------------------------------------------------------


@pytest.fixture
def cs_terminal(db: None) -> None:
    make_terminal()
    Terminal.objects.filter(terminal_id=TERMINAL_ID).update(biometric_only=True)


def test_the_list_screen_follows_the_permission_triple_and_shows_no_personal_data(
    cs_terminal: None, make_staff: Callable[..., Any]
) -> None:
    record = sending_for(update())
    cs_sending.store_sending_address(record, actor=None)
    url = reverse("jukinet_cs:sending_addresses")
    assert_permission_triple(make_staff, "get", f"{url}?purpose={PURPOSE}", Permission.CS_CARD)
    client = make_staff([Permission.CS_CARD])
    body = client.get(url, {"purpose": PURPOSE, "state": "pending"}).content.decode()
    assert record.control_number in body
    assert record.name not in body
    assert record.individual_number not in body
    assert asdict(record)["resident_code"] not in body
