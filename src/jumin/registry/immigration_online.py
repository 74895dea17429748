"""市町村通知 online through the 入管連携端末 (M10) (standard 4.5.7-a/b; system.md M10, flows M1 → M10 →
O1 and O1 → M10 → M1; docs/workflows/immigration-link.md, "Online through the 入管連携端末").

* ``send_due_online`` / ``resend_online``: the notices ``immigration_sending`` would write to a file
  (the same selection: commit order, the 転出予定日 hold) are handed to the municipality's terminal in
  one signed query. Only the notices the terminal acknowledges are marked sent (channel online), after
  its answer: a terminal that cannot be reached, or refuses, leaves every notice as it was (due, or
  sent before), with a clear message, and the attempt is audited.
* ``apply_relayed_result``: the agency's result of one send, relayed by the terminal, is recorded by
  ``immigration_sending.apply_results`` (as a results file is); a result of an earlier send (the
  notice was sent again since) is audited and ignored.
* ``receive_relayed_notice``: a 法30条の50 notice relayed by the terminal is stored as a file's row
  is (``immigration_receipts``), pending with its 確認票.

The file / media mode stays: the clerk chooses per run (送信ファイル作成 or オンライン送信).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError, refusal
from jumin.immigration import catalogue
from jumin.jukinet.cs.services import local_municipality_code
from jumin.messaging.envelope import Envelope
from jumin.messaging.queries import query
from jumin.registry import immigration_sending
from jumin.registry.models_immigration import Channel, MunicipalityNotice
from jumin.registry.workflows import immigration_receipts

RESULT_PURPOSE = "入管連携端末からの処理結果の受信"
UNREACHABLE_CODE = "registry.nyukan_terminal_unreachable"
PAYLOAD_CODE = "immigration.payload"


@dataclass(frozen=True)
class OnlineSend:
    """One online hand-over: its 送信番号 and the notices the terminal took (in order)."""

    batch_no: int | None
    sequence_nos: tuple[int, ...]


def _wire(notice: MunicipalityNotice) -> dict[str, Any]:
    """A notice as it travels (Jumin's layout): its number, the send it is, kind, class and items."""
    return {
        "municipality_code": local_municipality_code(),
        "sequence_no": notice.pk,
        "send_no": notice.send_count + 1,
        "kind": notice.kind,
        "link_class": notice.link_class,
        "items": {key: str(value) for key, value in notice.items.items()},
    }


def _unreachable(error: DomainError) -> DomainError:
    reason = (
        "入管連携端末（M10）が連携先に登録されていないため送信できませんでした。"
        if error.code == "messaging.unknown_receiver"
        else "入管連携端末（M10）に接続できないか、端末が受け付けなかったため送信できませんでした。"
    )
    return refusal(
        "terminal",
        reason + "通知は送信前の状態のまま残っています。",
        "端末の稼働と連携監視を確認してから送り直すか、送信ファイルを作成して端末または媒体で渡してください。",
        UNREACHABLE_CODE,
    )


def _hand_over(
    notices: list[MunicipalityNotice], *, actor: Any, purpose: str, action: AuditAction
) -> OnlineSend:
    """Ask the terminal to take the notices (no transaction open meanwhile), then mark the ones it
    acknowledged; on any failure nothing is marked and the failure is audited."""
    wire = [_wire(n) for n in notices[: catalogue.MAX_NOTICES_PER_RELAY]]
    try:
        answer = query(
            query_type=catalogue.RELAY_NOTICES,
            receiver=catalogue.terminal_of(local_municipality_code()),
            payload={"notices": wire},
            actor=actor,
        )
    except DomainError as error:
        with transaction.atomic():
            record_event(
                actor=actor,
                action=action,
                subject_type="municipality_notice",
                purpose=purpose,
                reason=f"notices={len(wire)} channel={Channel.ONLINE}",
                outcome=Outcome.REFUSED,
                outcome_reason=error.code,
            )
        raise _unreachable(error) from None
    accepted = {(pair[0], pair[1]) for pair in answer["accepted"]}
    with transaction.atomic():
        taken = [
            n
            for n in MunicipalityNotice.objects.select_for_update()
            .filter(pk__in=[number for number, _ in accepted])
            .order_by("pk")
            if (n.pk, n.send_count + 1) in accepted  # not marked meanwhile by another hand-over
        ]
        if not taken:
            return OnlineSend(None, ())
        batch_no = immigration_sending.mark_sent(
            taken, actor=actor, purpose=purpose, action=action, channel=Channel.ONLINE
        )
    return OnlineSend(batch_no, tuple(n.pk for n in taken))


def send_due_online(*, actor: Any, purpose: str) -> OnlineSend:
    """Send every due notice in commit order through the terminal (at most 500 per run; the rest
    stay due for the next). Refused, nothing changed, when none is due or the terminal fails."""
    immigration_sending.authorize_sending(actor, purpose, AuditAction.RESIDENT_MUNICIPALITY_NOTICE_SEND)
    with transaction.atomic():
        notices = immigration_sending.due_in_order()
        if not notices:
            raise immigration_sending.nothing_due()
    return _hand_over(
        notices, actor=actor, purpose=purpose, action=AuditAction.RESIDENT_MUNICIPALITY_NOTICE_SEND
    )


def resend_online(*, actor: Any, purpose: str, sequence_nos: Sequence[int]) -> OnlineSend:
    """Send chosen sent notices again through the terminal, in their order (再送, 4.5.7-b); their
    earlier result is cleared once the terminal took them."""
    immigration_sending.authorize_sending(actor, purpose, AuditAction.RESIDENT_MUNICIPALITY_NOTICE_RESEND)
    with transaction.atomic():
        notices = immigration_sending.sent_notices(sequence_nos)
    return _hand_over(
        notices, actor=actor, purpose=purpose, action=AuditAction.RESIDENT_MUNICIPALITY_NOTICE_RESEND
    )


def apply_relayed_result(envelope: Envelope) -> None:
    """The agency's result of one online send, from this municipality's terminal."""
    catalogue.require_sender(envelope, catalogue.TERMINAL, local_municipality_code())
    payload = envelope.payload
    number, send_no = payload["sequence_no"], payload["send_no"]
    notice = MunicipalityNotice.objects.filter(pk=number).first()
    if notice is None or notice.sent_at is None or notice.send_count != send_no:
        record_event(
            actor=None,
            action=AuditAction.RESIDENT_MUNICIPALITY_NOTICE_RESULT,
            subject_type="municipality_notice",
            subject_id=str(number),
            purpose=RESULT_PURPOSE,
            reason=f"send {send_no} is not the notice's last send: ignored",
            outcome=Outcome.REFUSED,
            outcome_reason="registry.municipality_notice_stale_result",
        )
        return
    result = immigration_sending.result_value(payload["result"])
    if result is None:  # the schema allows only 正常 / エラー
        raise refusal("result", "処理結果が不正です。", "端末の設定を確認してください。", PAYLOAD_CODE)
    immigration_sending.apply_results(
        {number: (result, payload["code"][:20], payload["message"][:200])},
        [],
        actor=None,
        purpose=RESULT_PURPOSE,
        channel=Channel.ONLINE,
    )


def receive_relayed_notice(envelope: Envelope) -> None:
    """A 法30条の50 notice from this municipality's terminal: stored pending, as from a file."""
    catalogue.require_sender(envelope, catalogue.TERMINAL, local_municipality_code())
    immigration_receipts.receive_relayed_notice(envelope.payload["notice"])


catalogue.handle(catalogue.NOTICE_RESULT, kind=catalogue.MUNICIPALITY, apply=apply_relayed_result)
catalogue.handle(catalogue.RESIDENCE_NOTICE, kind=catalogue.MUNICIPALITY, apply=receive_relayed_notice)
