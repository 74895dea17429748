"""The 証明書交付センター's 日計表 and 月計表 (system.md M7 4, F11c step 5; standard 7.2.5-a).

From the centre's request log (``KioskRequest``), per municipality and certificate kind: requests,
issued, copies, fees and refusals by code, with every 発行番号 logged. ``send_tallies`` keeps each
tally (``KioskTally``, insert-only, one per municipality and period) and sends it to the municipality
as a signed KIOSK_TALLY in the same transaction, so the municipality can reconcile it with its own
交付履歴 (certificates.kiosk_tallies). Requests refused before a municipality was known (an unknown
card, a malformed request) belong to no municipality and stay in the centre's log only.

``send_due_tallies`` runs daily (housekeeping): yesterday's 日計表 and, on the 1st, last month's 月計表.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.audit.actions import AuditAction
from jumin.domain.errors import DomainError
from jumin.jukinet.common.catalogue import KIOSK_TALLY
from jumin.jukinet.common.kiosk_tally import DAILY, MONTHLY
from jumin.jukinet.national.models import KioskRequest, KioskTally
from jumin.jukinet.national.services._common import audit
from jumin.messaging import services as messaging
from jumin.messaging.envelope import NodeRef

logger = logging.getLogger("jumin.jukinet.national")


def _bounds(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(first_day, time.min))
    return start, timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time.min))


def month_of(day: date) -> tuple[date, date]:
    """The first and last day of ``day``'s calendar month."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def tally_rows(requests: list[KioskRequest]) -> tuple[list[dict[str, Any]], list[str]]:
    """Per kind: requests, issued, copies, fee and refusals by code; and every 発行番号, in order."""
    by_kind: dict[str, list[KioskRequest]] = defaultdict(list)
    for request in requests:
        by_kind[request.kind].append(request)
    rows = []
    for kind in sorted(by_kind):
        logged = by_kind[kind]
        issued = [r for r in logged if not r.refusal_code]
        rows.append(
            {
                "kind": kind,
                "requests": len(logged),
                "issued": len(issued),
                "copies": sum(len(r.copy_numbers) for r in issued),
                "fee": sum(r.fee for r in issued),
                "refused": dict(sorted(Counter(r.refusal_code for r in logged if r.refusal_code).items())),
            }
        )
    numbers = [number for r in requests for number in r.copy_numbers]
    return rows, numbers


def send_tallies(period: str, first_day: date, last_day: date) -> list[KioskTally]:
    """Tally every municipality with a kiosk request in the period, keep and send each; a period
    already tallied for a municipality is skipped (so a rerun sends nothing twice)."""
    start, end = _bounds(first_day, last_day)
    made: list[KioskTally] = []
    with transaction.atomic():
        logged = KioskRequest.objects.filter(received_at__gte=start, received_at__lt=end).exclude(
            municipality_code=""
        )
        by_municipality: dict[str, list[KioskRequest]] = defaultdict(list)
        for request in logged.order_by("received_at", "pk"):
            by_municipality[request.municipality_code].append(request)
        done = set(
            KioskTally.objects.filter(period=period, first_day=first_day).values_list(
                "municipality_code", flat=True
            )
        )
        for code in sorted(set(by_municipality) - done):
            made.append(_keep_and_send(code, period, first_day, last_day, by_municipality[code]))
    return made


def _keep_and_send(
    code: str, period: str, first_day: date, last_day: date, requests: list[KioskRequest]
) -> KioskTally:
    rows, numbers = tally_rows(requests)
    payload = {
        "period": period,
        "first_day": first_day.isoformat(),
        "last_day": last_day.isoformat(),
        "rows": rows,
        "copy_numbers": numbers,
    }
    message_id = ""
    try:
        with transaction.atomic():
            sent = messaging.enqueue(
                message_type=KIOSK_TALLY,
                receiver=NodeRef("municipality", code),
                subject=f"ktl-{code}",
                payload=payload,
            )
            message_id = str(sent.message_id)
    except DomainError as error:
        # Kept at the centre all the same; the municipality can be sent it once it is a peer again.
        logger.warning("kiosk tally for %s not sent: %s", code, error.code)
    tally = KioskTally.objects.create(
        municipality_code=code,
        period=period,
        first_day=first_day,
        last_day=last_day,
        rows=rows,
        copy_numbers=numbers,
        made_at=timezone.now(),
        message_id=message_id,
    )
    audit(
        AuditAction.NATIONAL_KIOSK_TALLY,
        subject_type="kiosk_tally",
        subject_id=str(tally.pk),
        reason=f"{period} {first_day}–{last_day} → {code}" + ("" if message_id else " (not sent)"),
        result_count=sum(row["requests"] for row in rows),
    )
    return tally


def send_due_tallies(today: date | None = None) -> int:
    """Yesterday's 日計表 and, on the 1st of a month, last month's 月計表; the number of tallies made."""
    today = today or timezone.localdate()
    yesterday = today - timedelta(days=1)
    made = send_tallies(DAILY, yesterday, yesterday)
    if today.day == 1:
        made += send_tallies(MONTHLY, *month_of(yesterday))
    return len(made)
