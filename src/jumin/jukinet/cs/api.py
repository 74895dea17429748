"""JSON API of the 住基ネット 市町村CS (thin: services and selectors only), mounted at /api/jukinet/cs.

Personal data travels in bodies, never in URLs. DomainError → 400 and AccessRefused → 403 are
answered by the handlers of jumin.settings.api.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from jumin.jukinet.cs import (
    cards,
    certificate_lists,
    consistency,
    exchanges,
    fuhyo,
    move_in_notices,
    special_move_in,
    worklists,
)
from jumin.jukinet.cs.search import IdentitySearch, search_identity

router = Router(tags=["住基ネット 市町村CS"])


class SearchIn(Schema):
    purpose: str
    target: str = "local"
    by: str
    resident_code: str = ""
    individual_number: str = ""
    name: str = ""
    name_kana: str = ""
    birth_date: str = ""
    sex: str = ""
    address: str = ""
    include_removed: bool = False
    reason: str


class CardVerifyIn(Schema):
    purpose: str
    card: dict[str, Any]
    pin: str


class CardEventIn(Schema):
    purpose: str
    card_serial: str
    resident_code: str
    event: str
    reason: str = ""


class ConsistencyIn(Schema):
    purpose: str
    target: str = "both"


class PurposeIn(Schema):
    purpose: str


class MoveInNoticeResendIn(Schema):
    purpose: str
    notice_id: int
    destination_code: str = ""  # required when the 転出地 was unknown at the 転入


class CertificateRequestIn(Schema):
    purpose: str
    resident_code: str
    from_municipality: str


class ProvisionStatusIn(Schema):
    purpose: str
    resident_code: str


class FuhyoUpdatesIn(Schema):
    purpose: str
    # One update (an object) or several in the order they happened (a list); see docs/jukinet.md Flow 9.
    updates: list[dict[str, Any]] | dict[str, Any]


class ResolveIn(Schema):
    purpose: str
    rejection_id: int
    note: str


@router.post("/search")
def search(request: HttpRequest, body: SearchIn) -> dict[str, Any]:
    """本人確認情報検索 (``local``), 都道府県への照会 (``prefecture``) or 機構への照会 (``national``)."""
    fields = body.dict(exclude={"purpose", "target"})
    outcome = search_identity(
        actor=request.user, purpose=body.purpose, search=IdentitySearch(**fields), target=body.target
    )
    return dataclasses.asdict(outcome)


@router.post("/provision-status")
def provision_status(request: HttpRequest, body: ProvisionStatusIn) -> dict[str, Any]:
    """本人確認情報の提供状況 of one person (the 住民票コード in the body, never the URL)."""
    status = exchanges.provision_status(
        actor=request.user, purpose=body.purpose, resident_code=body.resident_code
    )
    return dataclasses.asdict(status)


@router.post("/card/verify")
def card_verify(request: HttpRequest, body: CardVerifyIn) -> dict[str, Any]:
    """本人確認 with the card file and the PIN the person typed."""
    check = cards.verify_with_card(
        actor=request.user, purpose=body.purpose, card_json=body.card, pin=body.pin
    )
    return dataclasses.asdict(check)


@router.post("/card/events")
def card_event(request: HttpRequest, body: CardEventIn) -> dict[str, str]:
    """Send a card event (suspend, release, abolish, return, collect) to the national node."""
    message_id = cards.send_card_event(
        actor=request.user,
        purpose=body.purpose,
        card_serial=body.card_serial,
        resident_code=body.resident_code,
        event=body.event,
        reason=body.reason,
    )
    return {"message_id": message_id}


def _run(run: Any) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "target": run.target,
        "status": run.status,
        "records": run.records,
        "chunks": run.chunks,
        "differences": run.differences,
        "error": run.error,
        "started_at": run.started_at.isoformat(),
    }


@router.post("/consistency/runs")
def consistency_run(request: HttpRequest, body: ConsistencyIn) -> list[dict[str, Any]]:
    """Run 整合性確認 with the prefecture, the national node or both."""
    return [
        _run(run)
        for run in consistency.run_consistency(actor=request.user, purpose=body.purpose, target=body.target)
    ]


@router.post("/consistency/runs/list")
def consistency_runs(request: HttpRequest, body: PurposeIn) -> list[dict[str, Any]]:
    """The latest 整合性確認 runs."""
    return [_run(run) for run in consistency.recent_runs(actor=request.user, purpose=body.purpose)]


@router.post("/consistency/runs/{run_id}/differences")
def consistency_differences(request: HttpRequest, run_id: str, body: PurposeIn) -> list[dict[str, str]]:
    """The differing 住民票コード of one run."""
    rows = consistency.differences_of(actor=request.user, purpose=body.purpose, run_id=run_id)
    return [{"resident_code": row.resident_code, "kind": row.kind} for row in rows]


@router.post("/worklists")
def worklist(request: HttpRequest, body: PurposeIn) -> dict[str, Any]:
    """返却エラー, 送信待ち and CS未連携."""
    return dataclasses.asdict(worklists.worklists(actor=request.user, purpose=body.purpose))


@router.post("/worklists/send-pending")
def send_pending(request: HttpRequest, body: PurposeIn) -> dict[str, int]:
    """Queue the waiting notices for the prefecture now."""
    return {"sent": worklists.send_pending(actor=request.user, purpose=body.purpose)}


@router.post("/worklists/resolve")
def resolve(request: HttpRequest, body: ResolveIn) -> dict[str, bool]:
    """Mark a returned error as fixed by an amendment."""
    worklists.resolve_rejection(
        actor=request.user, purpose=body.purpose, rejection_id=body.rejection_id, note=body.note
    )
    return {"resolved": True}


# --- 特例転入 (docs/jukinet.md Flow 7) ----------------------------------------------------------------


@router.post("/move-out-certificates/card-check")
def certificate_card_check(request: HttpRequest, body: CardVerifyIn) -> dict[str, Any]:
    """本人確認 with the card for a 特例転入: the card's person must have held 転出証明書情報."""
    summary = special_move_in.check_card(
        actor=request.user, purpose=body.purpose, card_json=body.card, pin=body.pin
    )
    return {
        **dataclasses.asdict(summary),
        "planned_date": str(summary.planned_date),
        "erase_on": str(summary.erase_on),
    }


@router.post("/move-out-certificates/request")
def certificate_request(request: HttpRequest, body: CertificateRequestIn) -> dict[str, int]:
    """送信依頼 of the 転出証明書情報 to the 転出地 (no 特定個人情報 is sent)."""
    sent = special_move_in.request_resend(
        actor=request.user,
        purpose=body.purpose,
        resident_code=body.resident_code,
        from_municipality=body.from_municipality,
    )
    return {"request_id": sent.pk}


@router.post("/move-in-notices/resend")
def move_in_notice_resend(request: HttpRequest, body: MoveInNoticeResendIn) -> dict[str, Any]:
    """Send a waiting 転入通知 of an ordinary 転入 (転入通知未送信) to its 転出地."""
    row = move_in_notices.resend(
        actor=request.user,
        purpose=body.purpose,
        notice_id=body.notice_id,
        destination_code=body.destination_code,
    )
    return {"notice_id": row.pk, "destination_code": row.destination_code, "send_count": row.send_count}


@router.post("/move-out-certificates/list")
def certificate_list(request: HttpRequest, body: PurposeIn) -> dict[str, Any]:
    """Held, requested and sent 転出証明書情報 (states only, no certificate items)."""
    return dataclasses.asdict(certificate_lists.certificate_lists(actor=request.user, purpose=body.purpose))


# --- 附票本人確認情報 from the 戸籍附票 system (docs/jukinet.md Flow 9) --------------------------------


@router.post("/fuhyo-updates")
def fuhyo_updates(request: HttpRequest, body: FuhyoUpdatesIn) -> dict[str, Any]:
    """Take 附票 updates (all or nothing) and send each to the 附票都道府県サーバ."""
    updates = [body.updates] if isinstance(body.updates, dict) else body.updates
    accepted = fuhyo.accept_fuhyo_updates(actor=request.user, purpose=body.purpose, payloads=updates)
    return {"accepted": accepted.accepted, "message_ids": accepted.message_ids}
