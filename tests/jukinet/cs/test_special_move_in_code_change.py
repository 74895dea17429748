"""特例転入 with a 個人番号カード issued before a 住民票コードの変更: the 転入地 CS finds the held
転出証明書情報 under the holder's new code (issue 8; docs/jukinet.md Flows 7 and 12)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.cs import cards, services, special_move_in
from jumin.jukinet.cs.models import HeldCertificate
from jumin.messaging.testing import TestFederation
from tests.jukinet.cs.factories import resident_code, then, update
from tests.jukinet.cs.test_special_move_in import NAGASAKI, PIN, PURPOSE, SASEBO, operator, send

pytestmark = pytest.mark.django_db
__all__ = ["operator"]  # the fixture, imported for use here


def test_a_card_from_before_a_code_change_finds_the_held_data_under_the_new_code(
    federation: TestFederation, operator: User
) -> None:
    first = update()
    old, new = first.resident_code, resident_code(8101)
    with federation.acting_as(SASEBO):
        services.accept_update(first, actor=None)
        federation.pump()
        card = cards.issue_card(actor=operator, purpose=PURPOSE, resident_code=old, pin=PIN)
        changed = then(first, resident_code=new, former_resident_code=old, change_reason="住民票コードの変更")
        services.accept_update(changed, actor=None)
        federation.pump()
        services.accept_update(then(changed, change_reason="国内転出", removed=True), actor=None)
    federation.pump()
    send(federation, changed)  # the 転出証明書情報 names the person's current code
    assert HeldCertificate.objects.get().resident_code == new

    with federation.acting_as(NAGASAKI):
        summary = special_move_in.check_card(actor=operator, purpose=PURPOSE, card_json=card, pin=PIN)
        assert summary.resident_code == new
        assert special_move_in.is_ready(new)
        with transaction.atomic():
            special_move_in.complete(
                special_move_in.MoveInDone(
                    resident_code=new,
                    move_in_date=timezone.localdate(),
                    notice_date=timezone.localdate(),
                    new_address="長崎県長崎市江戸町2番13号",
                ),
                actor=operator,
            )
    federation.pump()
    assert HeldCertificate.objects.get().state == HeldCertificate.State.USED
    assert AuditEntry.objects.filter(action="national:card_event:record", outcome="done").exists()


def test_another_persons_card_finds_no_held_data(federation: TestFederation, operator: User) -> None:
    holder, other = update(), update()
    with federation.acting_as(SASEBO):
        services.accept_update(holder, actor=None)
        services.accept_update(other, actor=None)
        federation.pump()
        card = cards.issue_card(actor=operator, purpose=PURPOSE, resident_code=other.resident_code, pin=PIN)
        services.accept_update(then(holder, change_reason="国内転出", removed=True), actor=None)
    federation.pump()
    send(federation, holder)
    with federation.acting_as(NAGASAKI), pytest.raises(DomainError) as refused:
        special_move_in.check_card(actor=operator, purpose=PURPOSE, card_json=card, pin=PIN)
    assert refused.value.code == "jukinet.cs.certificate_missing"
    assert HeldCertificate.objects.get().card_serial == ""
