"""個人番号 生成要求 / 変更要求 the CS sent for the registry, and the manual-link mode (std 7.1.1.1-c).

The relay (``relays.request_individual_number``) records each answered request in the commit's
transaction, so an answered row exists exactly when the commit does. A request the national node
did not answer (unreachable or refused) rolls back with the refused commit; the registry records it
afterwards as 送信エラー (``record_failed``), listed for a re-send. During the manual-link mode
(``ManualLinkPeriod``) no request is sent: the commit records 手動連携待ち rows (``record_manual``) and
the clerk enters the number the CS terminal shows (``record_entered``). The registry authorises and
audits every use; this module only keeps the rows (it never reads registry tables).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from jumin.domain.errors import refusal
from jumin.jukinet.cs.models_number_requests import (
    ManualLinkPeriod,
    NumberRequest,
    NumberRequestKind,
    NumberRequestState,
)

Kind = NumberRequestKind
State = NumberRequestState
MAX_LIST = 500


@dataclass(frozen=True)
class RequestTarget:
    """One person a request is (or was to be) sent for: the registry's change and draft row."""

    change_id: int
    row_id: int
    kind: str
    reason: str
    resident_code: str = ""


# --- the manual-link mode ------------------------------------------------------------------------


def open_period() -> ManualLinkPeriod | None:
    """The manual-link period in force, or None (normal linking)."""
    return ManualLinkPeriod.objects.filter(is_open=True).select_related("started_by").first()


def manual_mode_active() -> bool:
    """Whether requests are linked by hand now (one indexed read)."""
    return ManualLinkPeriod.objects.filter(is_open=True).exists()


def start_period(*, actor: Any, reason: str) -> ManualLinkPeriod:
    """Open a manual-link period (the caller authorises and audits); refused when one is open."""
    with transaction.atomic():
        if ManualLinkPeriod.objects.select_for_update().filter(is_open=True).exists():
            raise refusal(
                "mode",
                "既に手動連携中です。",
                "手動連携を終了してから、改めて開始してください。",
                "jukinet.cs.manual_link_open",
            )
        return ManualLinkPeriod.objects.create(started_at=timezone.now(), started_by=actor, reason=reason)


def end_period(*, actor: Any) -> ManualLinkPeriod:
    """Close the open period (the caller re-links the waiting requests); refused when none is open."""
    with transaction.atomic():
        period = ManualLinkPeriod.objects.select_for_update().filter(is_open=True).first()
        if period is None:
            raise refusal(
                "mode",
                "手動連携中ではありません。",
                "画面を更新してください。",
                "jukinet.cs.manual_link_closed",
            )
        period.is_open = False
        period.ended_at = timezone.now()
        period.ended_by = actor
        period.save(update_fields=["is_open", "ended_at", "ended_by"])
        return period


# --- recording requests --------------------------------------------------------------------------


def _upsert(target: RequestTarget, now: datetime, **values: Any) -> NumberRequest:
    row = (
        NumberRequest.objects.select_for_update()
        .filter(change_id=target.change_id, row_id=target.row_id)
        .first()
    )
    if row is None:
        row = NumberRequest(
            change_id=target.change_id,
            row_id=target.row_id,
            kind=target.kind,
            reason=target.reason[:200],
            first_sent_at=now,
            last_sent_at=now,
            send_count=0,
        )
    if target.resident_code:
        row.resident_code = target.resident_code
    for name, value in values.items():
        setattr(row, name, value)
    return row


@sensitive_variables()
def record_answered(target: RequestTarget, number: str, *, sent: bool = True) -> NumberRequest:
    """The national node answered (call in the commit's transaction, or at the re-link after manual mode).

    ``sent=False`` for a number the clerk entered by hand (手入力済; no request was sent from here).
    """
    now = timezone.now()
    row = _upsert(
        target,
        now,
        state=State.ANSWERED if sent else State.MANUAL_ENTERED,
        answered_at=now,
        failure_code="",
    )
    if sent:
        row.last_sent_at = now
        row.send_count += 1
    row.set_individual_number(number)
    row.save()
    return row


def record_failed(targets: Sequence[RequestTarget], *, code: str) -> int:
    """Requests the national node did not answer (after the refused commit rolled back): 送信エラー."""
    now = timezone.now()
    with transaction.atomic():
        for target in targets:
            row = _upsert(target, now, state=State.FAILED, failure_code=code[:64], last_sent_at=now)
            row.send_count += 1
            row.save()
    return len(targets)


def record_manual(targets: Sequence[RequestTarget]) -> int:
    """Requests kept back during the manual-link mode: 手動連携待ち (call in the commit's transaction)."""
    now = timezone.now()
    for target in targets:
        row = _upsert(target, now, state=State.MANUAL, failure_code="")
        row.save()
    return len(targets)


def record_relink_failed(request_id: int, *, code: str) -> None:
    """A re-link after the manual mode that the node did not answer: stays 手動連携待ち, with the code."""
    NumberRequest.objects.filter(pk=request_id).update(failure_code=code[:64], last_sent_at=timezone.now())


def change_reason(request_id: int, reason: str) -> NumberRequest:
    """Replace a failed 変更要求's reason before its re-send; the earlier ones are kept in order."""
    row = NumberRequest.objects.select_for_update().get(pk=request_id)
    row.previous_reasons = [*row.previous_reasons, row.reason]
    row.reason = reason[:200]
    row.save(update_fields=["reason", "previous_reasons"])
    return row


# --- reading ---------------------------------------------------------------------------------------


def request(request_id: int) -> NumberRequest | None:
    """One request row, or None."""
    return NumberRequest.objects.filter(pk=request_id).first()


def requests(*, state: str = "", change_id: int | None = None) -> list[NumberRequest]:
    """The newest requests (at most 500), of one state and/or one change."""
    if state and state not in State.values:
        raise refusal("state", "状態の指定が不正です。", "一覧から選んでください。", "jukinet.cs.state")
    query = NumberRequest.objects.all()
    if state:
        query = query.filter(state=state)
    if change_id is not None:
        query = query.filter(change_id=change_id)
    return list(query.order_by("-last_sent_at", "-pk")[:MAX_LIST])


def waiting_manual() -> list[NumberRequest]:
    """The 手動連携待ち requests, oldest first (the re-link order when the mode ends)."""
    return list(NumberRequest.objects.filter(state=State.MANUAL).order_by("pk"))
