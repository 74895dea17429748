"""住民票コードの変更 at 個人番号カード管理システム: the person's cards follow them to the new code (issue 8
item 6; docs/jukinet.md Flow 12).

A card issued before the change still carries the old 住民票コード (the card file, and what its chip
signs in a 本人確認), and is not reissued. ``rekey_cards`` moves the card record to the new code and
appends a ``code_change`` event holding the former code, so the card's history keeps every code it
was known by; ``known_by`` lets a 本人確認 or a card event naming any of them find the card.
"""

from __future__ import annotations

from django.utils import timezone

from jumin.audit.actions import AuditAction
from jumin.jukinet.common.notice import IdentityNotice
from jumin.jukinet.national.models import Card, CardEvent
from jumin.jukinet.national.services._common import audit

#: The CardEvent.event of a re-keying: the card's status does not change.
CODE_CHANGE_EVENT = "code_change"
SUBJECT_TYPE = "national_card"


def rekey_cards(notice: IdentityNotice) -> int:
    """Move every card of ``notice.former_resident_code`` to the notice's code; returns how many.

    Call inside the identity handler's transaction, for a notice of 住民票コードの変更 with its
    旧住民票コード. Each card keeps its serial, key, status and validity; one ``code_change`` event
    and one audit entry per card.
    """
    cards = list(Card.objects.select_for_update().filter(resident_code=notice.former_resident_code))
    now = timezone.now()
    for card in cards:
        CardEvent.objects.create(
            card=card,
            card_serial=card.serial,
            event=CODE_CHANGE_EVENT,
            event_date=timezone.localdate(now),
            status_before=card.status,
            status_after=card.status,
            outcome=CardEvent.Outcome.APPLIED,
            municipality_code=notice.municipality_code,
            reason="住民票コードの変更",
            operator_id=notice.operator_id,
            terminal_id=notice.terminal_id,
            sender_code=notice.municipality_code,
            former_resident_code=notice.former_resident_code,
            recorded_at=now,
        )
        audit(
            AuditAction.NATIONAL_CARD_REKEY,
            subject_type=SUBJECT_TYPE,
            subject_id=str(card.pk),
            reason=f"住民票コードの変更 from {notice.municipality_code} operator {notice.operator_id}",
            terminal_id=notice.terminal_id,
            concerning_code=notice.resident_code,
        )
    Card.objects.filter(pk__in=[card.pk for card in cards]).update(resident_code=notice.resident_code)
    return len(cards)


def known_by(card: Card, resident_code: str) -> bool:
    """Whether ``resident_code`` is the card's current code or one it had before a 住民票コードの変更."""
    if card.resident_code == resident_code:
        return True
    return CardEvent.objects.filter(
        card=card, event=CODE_CHANGE_EVENT, former_resident_code=resident_code
    ).exists()
