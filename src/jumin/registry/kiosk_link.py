"""The registry's link to the 証明書交付センター (standard 3.1-g; system.md F11c step 3).

Every set and lift of what blocks certificate issuance (a 抑止 of 証明書発行 and every 支援措置) that
``restriction_feed`` passes to the CS also goes to the centre as one signed KIOSK_MARK message, in
the same transaction (transactional outbox): the centre refuses kiosk requests while a mark stands, so
a refused or rolled-back set sends nothing. One ordered stream per restriction, so its lift never
overtakes its set. A 一時解除 is never sent (3.1-d): it is local and lapses by itself.

Nothing is sent when the national node is not a configured peer (a node without 住基ネット keys).
"""

from __future__ import annotations

from collections.abc import Iterable

from jumin.jukinet.common.catalogue import KIOSK_MARK
from jumin.jukinet.common.kiosk import MARK_LIFT, MARK_SET
from jumin.jukinet.cs.services import NATIONAL, peer_configured
from jumin.messaging.services import enqueue


def _send(action: str, kind: str, restriction_id: int, resident_codes: list[str]) -> int:
    if not peer_configured(NATIONAL):
        return 0
    enqueue(
        message_type=KIOSK_MARK,
        receiver=NATIONAL,
        subject=f"kmk-{kind}-{restriction_id}",
        payload={
            "action": action,
            "kind": kind,
            "restriction_id": restriction_id,
            "resident_codes": resident_codes,
        },
    )
    return 1


def send_set(*, kind: str, restriction_id: int, resident_codes: Iterable[str]) -> int:
    """Tell the centre a restriction now blocks these 住民票コード (call in the set's transaction);
    returns the number of messages enqueued (0 with no code or no national peer)."""
    codes = list(dict.fromkeys(c for c in resident_codes if c))
    return _send(MARK_SET, kind, restriction_id, codes) if codes else 0


def send_lift(*, kind: str, restriction_id: int, resident_codes: Iterable[str] | None = None) -> int:
    """Tell the centre a restriction is lifted: for these codes (a member who left a household), or
    for everyone it marks (``None``). Call in the lift's transaction."""
    codes = [] if resident_codes is None else list(dict.fromkeys(c for c in resident_codes if c))
    if resident_codes is not None and not codes:
        return 0
    return _send(MARK_LIFT, kind, restriction_id, codes)
