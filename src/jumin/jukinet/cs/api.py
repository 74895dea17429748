"""JSON API of the 住基ネット 市町村CS (thin: services and selectors only), mounted at /api/jukinet/cs.

Personal data travels in bodies, never in URLs. DomainError → 400 and AccessRefused → 403 are
answered by the handlers of jumin.settings.api.
"""

from __future__ import annotations

import base64
import dataclasses
from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from jumin.jukinet.cs import (
    access,
    cards,
    certificate_lists,
    consistency,
    exchanges,
    fuhyo,
    move_in_notices,
    signing_password,
    special_move_in,
    special_move_out,
    wide_area,
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


class SigningPasswordResetIn(Schema):
    purpose: str
    card: dict[str, Any]
    pin: str
    new_password: str


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


class WideAreaRequestIn(Schema):
    """What a 広域交付 copy shows (docs/jukinet.md Flow 8); 本籍, 個人番号 and history are never options."""

    scope: str = "self"
    member_resident_codes: list[str] = Field(default_factory=list)
    layout: str = "household"
    show_head_and_relationship: bool = True
    show_juminhyo_code: bool = False
    copies: int = 1
    # "removed_copy": the requester's own 除票の写し from the former municipality they state.
    kind: str = "copy"
    former_municipality_code: str = ""

    def as_request(self) -> wide_area.WideAreaRequest:
        return wide_area.WideAreaRequest(
            **{**self.dict(), "member_resident_codes": tuple(self.member_resident_codes)}
        )


class WideAreaByCardIn(Schema):
    purpose: str
    card: dict[str, Any]
    pin: str
    request: WideAreaRequestIn = Field(default_factory=WideAreaRequestIn)


class PersonByDocumentIn(Schema):
    identity_check: str
    name: str
    name_kana: str = ""
    birth_date: str
    sex: str
    address: str


class WideAreaByDocumentIn(Schema):
    purpose: str
    person: PersonByDocumentIn
    request: WideAreaRequestIn = Field(default_factory=WideAreaRequestIn)


class WideAreaRecordsIn(Schema):
    purpose: str
    day: date


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
    return dataclasses.asdict(access.with_resident_code_as_seen(check, request.user))


@router.post("/card/signing-password-reset")
def card_signing_password_reset(request: HttpRequest, body: SigningPasswordResetIn) -> dict[str, Any]:
    """署名用パスワードの初期化 at the counter: 本人確認 with the card and PIN, the new card file back."""
    issued = signing_password.reset_signing_password(
        actor=request.user,
        purpose=body.purpose,
        card_json=body.card,
        pin=body.pin,
        new_password=body.new_password,
    )
    return {"card": issued.card, "signing_note": issued.signing_note}


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
        "file": run.file,
        "status": run.status,
        "records": run.records,
        "chunks": run.chunks,
        "differences": run.differences,
        "error": run.error,
        "started_at": run.started_at.isoformat(),
    }


@router.post("/consistency/runs")
def consistency_run(request: HttpRequest, body: ConsistencyIn) -> list[dict[str, Any]]:
    """Run 整合性確認 with the prefecture, the national node or both; target ``fuhyo``: the 附票 file."""
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
    summary = access.with_resident_code_as_seen(
        special_move_in.check_card(
            actor=request.user, purpose=body.purpose, card_json=body.card, pin=body.pin
        ),
        request.user,
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
    """Send a waiting 転入通知 (転入通知未送信, of an ordinary 転入 or a 特例転入) to its 転出地."""
    row = move_in_notices.resend(
        actor=request.user,
        purpose=body.purpose,
        notice_id=body.notice_id,
        destination_code=body.destination_code,
    )
    return {"notice_id": row.pk, "destination_code": row.destination_code, "send_count": row.send_count}


@router.post("/move-out-certificates/send-waiting")
def certificate_send_waiting(request: HttpRequest, body: PurposeIn) -> dict[str, int]:
    """Send the 転出証明書情報 left unsent for want of a peer whose 転入予定地 is a peer now."""
    return dataclasses.asdict(special_move_out.send_waiting(actor=request.user, purpose=body.purpose))


@router.post("/move-out-certificates/send-waiting-continued-use")
def continued_use_send_waiting(request: HttpRequest, body: PurposeIn) -> dict[str, int]:
    """Send the 特例転入's 継続利用 card events left unsent for want of N4 as a peer, now that it is one."""
    return dataclasses.asdict(
        special_move_in.send_waiting_continued_use_by_clerk(actor=request.user, purpose=body.purpose)
    )


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


# --- 広域交付 (docs/jukinet.md Flow 8) ----------------------------------------------------------------


def _wide_area_out(copy: wide_area.WideAreaCopy) -> dict[str, Any]:
    """The issued copy: B's record id, A's 発行番号, the fee and the PDF (base64), handed over once."""
    return {
        "issuance_id": copy.issuance_id,
        "registering_municipality": copy.registering_municipality,
        "copy_numbers": list(copy.copy_numbers),
        "fee": copy.fee,
        "sheets": copy.sheets,
        "pdf_base64": base64.b64encode(copy.pdf).decode("ascii"),
    }


@router.post("/wide-area/card")
def wide_area_by_card(request: HttpRequest, body: WideAreaByCardIn) -> dict[str, Any]:
    """広域交付 with the 個人番号カード and the PIN the person typed."""
    copy = wide_area.issue_wide_area_copy(
        actor=request.user,
        purpose=body.purpose,
        card_json=body.card,
        pin=body.pin,
        request=body.request.as_request(),
    )
    return _wide_area_out(copy)


@router.post("/wide-area/document")
def wide_area_by_document(request: HttpRequest, body: WideAreaByDocumentIn) -> dict[str, Any]:
    """広域交付 without a card: the ID document the clerk checked and the 4情報 from the request form."""
    copy = wide_area.issue_wide_area_copy_by_document(
        actor=request.user,
        purpose=body.purpose,
        person=wide_area.PersonByDocument(**body.person.dict()),
        request=body.request.as_request(),
    )
    return _wide_area_out(copy)


@router.post("/wide-area/records")
def wide_area_records(request: HttpRequest, body: WideAreaRecordsIn) -> list[dict[str, Any]]:
    """The 広域交付 issued here on one day (the 住民票コード masked without its field grant)."""
    rows = wide_area.wide_area_records(actor=request.user, purpose=body.purpose, day=body.day)
    return [{**dataclasses.asdict(row), "issued_at": row.issued_at.isoformat()} for row in rows]
