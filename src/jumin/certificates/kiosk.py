"""コンビニ交付, the registering municipality's side (standard 7.2.5-a; system.md F11c steps 2–4).

The 証明書交付センター (national node) relays a kiosk request as QUERY_KIOSK_COPY: the card's
利用者証明用電子証明書 serial, the card's signature over what is asked (``kiosk_challenge``), and the
card as 個人番号カード管理システム registers it (public key, status, validity). This answerer

* accepts it only from the national node;
* checks the card itself: live (運用中, in date), the serial is the registered key's, the signature is
  fresh and verifies with that key (a forged or stale one is refused);
* finds the card holder among our current residents by the 住民票コード;
* issues the copy as ``services.issue_kiosk_copy``: our seal and certifier, a 発行番号 of terminal
  「コンビニ交付」, the fee, the 交付履歴 with channel ``kiosk``, one audit entry, in the query's
  transaction; any 抑止 or 支援措置 on a printed person refuses it (a 一時解除 does not open it), and so
  does a 転出予定者 in the holder's household or a 転入 of a printed person committed today
  (``registry.kiosk_holds``);
* answers the signed PDF, its digest, 発行番号s and fee.

A kiosk copy never prints 本籍・筆頭者, a 個人番号 (C-36), the 住民票コード or history. An overflowing
character is refused, not printed with a list (no clerk decides at a kiosk). A refusal is a DomainError
with its code; the node's ``node:query:answer`` audit entry records it, and nothing else changes.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from jumin.certificates import services
from jumin.certificates.wide_area import certificate_answer
from jumin.domain.certificates import (
    CertificateKind,
    CertificateOptions,
    CertificateRequest,
    IdentityCheck,
    Layout,
    RequesterClass,
)
from jumin.domain.errors import DomainError, refusal
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.jukinet import routing
from jumin.jukinet.common.card_signature import check_card_signature
from jumin.jukinet.common.catalogue import QUERY_KIOSK_COPY
from jumin.jukinet.common.kiosk import kiosk_challenge
from jumin.messaging.envelope import Envelope
from jumin.registry import certificate_sources
from jumin.registry.kiosk_holds import KioskHold, kiosk_hold

MUNICIPALITY = "municipality"

#: What the card holder reads at the kiosk for each hold; no personal data (the centre logs the code).
_HOLD_REASONS = {
    KioskHold.MOVING_OUT: "転出の予定がある世帯の証明書はコンビニ交付できません。",
    KioskHold.MOVED_IN_TODAY: "転入の手続をした当日はコンビニ交付できません。",
}
_HOLD_REMEDIES = {
    KioskHold.MOVING_OUT: "市区町村の窓口で請求してください。",
    KioskHold.MOVED_IN_TODAY: "翌日以降にコンビニ交付を利用するか、市区町村の窓口で請求してください。",
}


def _card_refusal(field: str, reason: str, code: str) -> DomainError:
    return refusal(
        field,
        reason,
        "カードの状態を確認し、市区町村の窓口で請求してください。",
        f"certificates.kiosk_{code}",
    )


def _check_card(envelope: Envelope) -> None:
    """The sender is the national node and the card is live, its own and freshly, truly signed."""
    payload = envelope.payload
    if envelope.sender.kind != "national":
        raise refusal(
            "sender",
            "コンビニ交付の請求は証明書交付センターからだけ受け付けます。",
            "証明書交付センターを経由して請求してください。",
            "certificates.kiosk_sender",
        )
    challenge = kiosk_challenge(
        payload["certificate_serial"],
        payload["kind"],
        payload["scope"],
        payload["copies"],
        payload["kiosk_id"],
        payload["nonce"],
        payload["signed_at"],
    )
    now = timezone.now()
    check_card_signature(payload, challenge, now=now, today=timezone.localdate(now), refuse=_card_refusal)


def _refuse_held(holder: str, household: bool) -> None:
    """Refuse a 転出予定者's household, or anyone printed on the day of their 転入 (kiosk_holds)."""
    printed = [holder]
    if household:
        members = certificate_sources.household_of(holder)
        printed = [m.atena_number for m in members if m.status == ResidentStatus.RESIDENT.value]
    hold = kiosk_hold(holder, printed, today=timezone.localdate())
    if hold is not None:
        code = f"certificates.kiosk_{hold}"
        raise refusal("resident_code", _HOLD_REASONS[hold], _HOLD_REMEDIES[hold], code)


def _refuse_removed(resident_code: str) -> None:
    """Refuse the card of a person whose 住民票 here is removed (除票): 死亡 with its own code — the card
    is in someone else's hands — and any other removal (転出, 職権消除 …) with ``kiosk_removed``. The 機構
    refuses such a card itself once the 本人確認情報 update reached it; this covers the time before."""
    reason = certificate_sources.removal_reason_of_code(resident_code)
    if reason is None:
        return
    if reason == ChangeReason.DEATH.value:
        raise refusal(
            "resident_code",
            "死亡により住民票が消除された方のカードです。コンビニ交付できません。",
            "カードは市区町村の窓口に返納してください。証明書は窓口で請求してください。",
            "certificates.kiosk_deceased",
        )
    raise refusal(
        "resident_code",
        "住民票が消除された方（除票）の証明書はコンビニ交付できません。",
        "除票の写しは市区町村の窓口で請求してください。",
        "certificates.kiosk_removed",
    )


def answer_kiosk_request(envelope: Envelope) -> dict[str, Any]:
    """Answer QUERY_KIOSK_COPY with the certificate (runs in the query's transaction)."""
    _check_card(envelope)
    payload = envelope.payload
    holder = certificate_sources.atena_number_of_code(payload["resident_code"])
    if holder is None:
        _refuse_removed(payload["resident_code"])
        raise refusal(
            "resident_code",
            "カードの方は当市区町村の住民として記録されていません。",
            "住所地の市区町村で請求してください。",
            "certificates.kiosk_not_registered",
        )
    household = payload["scope"] == "household"
    _refuse_held(holder, household)
    options = CertificateOptions(
        kind=CertificateKind(payload["kind"]),
        layout=Layout.HOUSEHOLD if household else Layout.PERSONAL,
        atena_numbers=(holder,),
        whole_household=household,
        with_history=False,
        show_head_and_relationship=household,
        show_honseki=False,
        show_juminhyo_code=False,
        show_individual_number=False,
        copies=payload["copies"],
    )
    request = CertificateRequest(
        requester_class=RequesterClass.SELF, identity_check=IdentityCheck.MYNUMBER_CARD
    )
    issued = services.issue_kiosk_copy(
        origin=services.KioskOrigin(kiosk_id=payload["kiosk_id"]), request=request, options=options
    )
    return {**certificate_answer(issued), "fee": issued.fee}


routing.answer(QUERY_KIOSK_COPY, kind=MUNICIPALITY, answer=answer_kiosk_request)
