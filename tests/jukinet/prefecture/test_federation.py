"""End to end in the in-process federation: CS → prefecture → national, and a refusal back to the CS."""

from __future__ import annotations

import pytest
from django.db import transaction

from jumin.jukinet.common.catalogue import IDENTITY_UPDATE, IDENTITY_UPDATE_REJECTED
from jumin.jukinet.cs.models import UpdateRejection
from jumin.jukinet.prefecture.models import IdentityRecord, IdentityVersion, RefusedUpdate
from jumin.messaging import services
from jumin.messaging.models import InboxMessage
from jumin.messaging.testing import TestFederation
from tests.jukinet.prefecture.helpers import NATIONAL, PREFECTURE, SASEBO, notice

pytestmark = pytest.mark.django_db


def send_from_sasebo(federation: TestFederation, payload: dict[str, object], subject: str) -> None:
    with federation.acting_as(SASEBO), transaction.atomic():
        services.enqueue(message_type=IDENTITY_UPDATE, receiver=PREFECTURE, subject=subject, payload=payload)


def test_an_update_reaches_the_national_node_and_a_refusal_comes_back(federation: TestFederation) -> None:
    person = notice()
    send_from_sasebo(federation, person, "cs-e2e")
    send_from_sasebo(federation, {**person, "change_reason": "国内転入", "update_seq": 2}, "cs-e2e")

    federation.pump()

    record = IdentityRecord.objects.get(resident_code=person["resident_code"])
    assert IdentityVersion.objects.get(record=record).forward_message_id
    at_national = InboxMessage.objects.filter(
        type=IDENTITY_UPDATE, receiver_kind=NATIONAL.kind, receiver_code=NATIONAL.code
    )
    assert [m.subject_key for m in at_national] == [f"pf-{record.pk}"]
    assert RefusedUpdate.objects.get().code == "jukinet.prefecture.already_resident"
    back = InboxMessage.objects.get(
        type=IDENTITY_UPDATE_REJECTED, receiver_kind=SASEBO.kind, receiver_code=SASEBO.code
    )
    assert back.subject_key == "cs-e2e"


def test_a_refusal_by_the_national_node_is_relayed_to_the_cs_about_its_own_message(
    federation: TestFederation,
) -> None:
    first = notice()
    # Another person with the same 個人番号: the prefecture stores it, the national node refuses it.
    second = notice(individual_number=first["individual_number"])
    send_from_sasebo(federation, first, "cs-first")
    send_from_sasebo(federation, second, "cs-second")

    federation.pump()

    assert not RefusedUpdate.objects.exists()  # the prefecture accepted both
    forwarded = IdentityVersion.objects.get(resident_code=second["resident_code"])
    refusal = InboxMessage.objects.get(
        type=IDENTITY_UPDATE_REJECTED, receiver_kind=PREFECTURE.kind, receiver_code=PREFECTURE.code
    )
    assert refusal.subject_key == f"pf-{forwarded.record_id}"
    relayed = InboxMessage.objects.get(
        type=IDENTITY_UPDATE_REJECTED, receiver_kind=SASEBO.kind, receiver_code=SASEBO.code
    )
    assert relayed.subject_key == "cs-second"
    assert relayed.status == InboxMessage.Status.APPLIED
    with federation.acting_as(SASEBO):
        assert UpdateRejection.objects.get().rejected_message_id == str(forwarded.message_id)
