"""The 証明書交付センター's 日計表・月計表 at the municipality, reconciled with our 交付履歴 (system.md M7 4).

* ``apply_kiosk_tally`` keeps each KIOSK_TALLY the national node sends (``KioskTallyReceived``,
  insert-only), audited; it accepts one only from the national node.
* ``received_tallies`` lists them, newest period first; ``reconcile`` compares one with the kiosk
  issuances we recorded (``Issuance`` with channel ``kiosk``, 交付日 within the period), per kind
  (issued requests, copies, fees), and lists every 発行番号 only the centre or only we logged;
  ``reconciliation_csv`` writes the same as CSV. No personal data: counts, fees and 発行番号 only.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.certificates.models import Issuance, IssuedCopy, KioskTallyReceived
from jumin.domain.certificates import CertificateKind
from jumin.domain.errors import refusal
from jumin.jukinet import routing
from jumin.jukinet.common.catalogue import KIOSK_TALLY
from jumin.jukinet.common.kiosk_tally import DAILY
from jumin.messaging.envelope import Envelope

MUNICIPALITY = "municipality"
SUBJECT_TYPE = "kiosk_tally"
PERIOD_LABELS = {DAILY: "日計表", "monthly": "月計表"}


def apply_kiosk_tally(envelope: Envelope) -> None:
    """KIOSK_TALLY from the 証明書交付センター: keep it as received."""
    if envelope.sender.kind != "national":
        raise refusal(
            "sender",
            "コンビニ交付の集計表は証明書交付センターからだけ受け付けます。",
            "送信元を確認してください。",
            "certificates.kiosk_tally_sender",
        )
    payload = envelope.payload
    tally = KioskTallyReceived.objects.create(
        period=payload["period"],
        first_day=date.fromisoformat(payload["first_day"]),
        last_day=date.fromisoformat(payload["last_day"]),
        rows=payload["rows"],
        copy_numbers=payload["copy_numbers"],
        received_at=timezone.now(),
        message_id=str(envelope.id)[:64],
    )
    record_event(
        actor=None,
        action=AuditAction.CERTIFICATE_KIOSK_TALLY_RECEIVE,
        subject_type=SUBJECT_TYPE,
        subject_id=str(tally.pk),
        reason=f"{tally.period} {tally.first_day}–{tally.last_day} from {envelope.sender}",
        result_count=sum(row["requests"] for row in tally.rows),
    )


routing.handle(KIOSK_TALLY, kind=MUNICIPALITY, apply=apply_kiosk_tally)


@dataclass(frozen=True)
class ReceivedTally:
    """One tally as the list shows it."""

    tally_id: int
    period: str
    first_day: date
    last_day: date
    received_at: Any
    requests: int


@dataclass(frozen=True)
class KindLine:
    """One certificate kind: the centre's figures beside ours."""

    kind: str
    label: str
    centre_requests: int
    centre_refused: dict[str, int]
    centre_issued: int
    ours_issued: int
    centre_copies: int
    ours_copies: int
    centre_fee: int
    ours_fee: int

    @property
    def matches(self) -> bool:
        return (self.centre_issued, self.centre_copies, self.centre_fee) == (
            self.ours_issued,
            self.ours_copies,
            self.ours_fee,
        )


@dataclass(frozen=True)
class Reconciliation:
    """A tally against our 交付履歴: per kind, and the 発行番号 on one side only."""

    tally: ReceivedTally
    lines: tuple[KindLine, ...]
    only_at_centre: tuple[str, ...] = field(default=())
    only_here: tuple[str, ...] = field(default=())

    @property
    def matches(self) -> bool:
        return all(line.matches for line in self.lines) and not (self.only_at_centre or self.only_here)


def _authorize(actor: Any, purpose: str) -> None:
    authorize(
        actor=actor,
        permission=Permission.CERTIFICATE_HISTORY_VIEW,
        action=AuditAction.CERTIFICATE_KIOSK_TALLY_VIEW,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
    )


def _summary(tally: KioskTallyReceived) -> ReceivedTally:
    return ReceivedTally(
        tally_id=tally.pk,
        period=tally.period,
        first_day=tally.first_day,
        last_day=tally.last_day,
        received_at=tally.received_at,
        requests=sum(row["requests"] for row in tally.rows),
    )


def received_tallies(*, actor: Any, purpose: str, limit: int = 100) -> list[ReceivedTally]:
    """The tallies received, newest period first (no personal data; the read is audited)."""
    _authorize(actor, purpose)
    with transaction.atomic():
        tallies = KioskTallyReceived.objects.order_by("-first_day", "period", "-received_at", "-pk")
        rows = [_summary(t) for t in tallies[: max(1, min(limit, 1000))]]
        record_event(
            actor=actor,
            action=AuditAction.CERTIFICATE_KIOSK_TALLY_VIEW,
            subject_type=SUBJECT_TYPE,
            purpose=purpose,
            reason="list",
            result_count=len(rows),
        )
    return rows


def _kind_label(kind: str) -> str:
    try:
        return CertificateKind(kind).label
    except ValueError:
        return kind


def _ours(first_day: date, last_day: date) -> tuple[dict[str, dict[str, int]], set[str]]:
    issued = Issuance.objects.filter(
        channel=Issuance.Channel.KIOSK, issue_date__gte=first_day, issue_date__lte=last_day
    )
    per_kind: dict[str, dict[str, int]] = defaultdict(lambda: {"issued": 0, "copies": 0, "fee": 0})
    for row in issued.values("kind").annotate(n=Count("pk"), fee=Sum("fee")):
        per_kind[row["kind"]].update(issued=row["n"], fee=row["fee"] or 0)
    copies = IssuedCopy.objects.filter(issuance__in=issued)
    for row in copies.values("issuance__kind").annotate(n=Count("pk")):
        per_kind[row["issuance__kind"]]["copies"] = row["n"]
    return per_kind, set(copies.values_list("copy_number", flat=True))


def reconcile(*, actor: Any, purpose: str, tally_id: int) -> Reconciliation:
    """One received tally against the kiosk issuances we recorded in its period; audited."""
    _authorize(actor, purpose)
    with transaction.atomic():
        tally = KioskTallyReceived.objects.filter(pk=tally_id).first()
        if tally is None:
            raise refusal(
                "tally_id",
                "その集計表はありません。",
                "一覧から集計表を選んでください。",
                "certificates.kiosk_tally_not_found",
            )
        ours, our_numbers = _ours(tally.first_day, tally.last_day)
        centre = {row["kind"]: row for row in tally.rows}
        lines = []
        for kind in sorted(set(centre) | set(ours)):
            theirs = centre.get(kind, {"requests": 0, "issued": 0, "copies": 0, "fee": 0, "refused": {}})
            mine = ours.get(kind, {"issued": 0, "copies": 0, "fee": 0})
            lines.append(
                KindLine(
                    kind=kind,
                    label=_kind_label(kind),
                    centre_requests=theirs["requests"],
                    centre_refused=dict(theirs["refused"]),
                    centre_issued=theirs["issued"],
                    ours_issued=mine["issued"],
                    centre_copies=theirs["copies"],
                    ours_copies=mine["copies"],
                    centre_fee=theirs["fee"],
                    ours_fee=mine["fee"],
                )
            )
        centre_numbers = set(tally.copy_numbers)
        result = Reconciliation(
            tally=_summary(tally),
            lines=tuple(lines),
            only_at_centre=tuple(sorted(centre_numbers - our_numbers)),
            only_here=tuple(sorted(our_numbers - centre_numbers)),
        )
        record_event(
            actor=actor,
            action=AuditAction.CERTIFICATE_KIOSK_TALLY_VIEW,
            subject_type=SUBJECT_TYPE,
            subject_id=str(tally.pk),
            purpose=purpose,
            reason="reconcile: " + ("一致" if result.matches else "差異あり"),
            result_count=len(result.only_at_centre) + len(result.only_here),
        )
    return result


def reconciliation_csv(result: Reconciliation) -> str:
    """The reconciliation as CSV (UTF-8 with BOM for spreadsheet software): one line per kind, then one
    per 発行番号 found on one side only."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    tally = result.tally
    writer.writerow(
        ["集計表", PERIOD_LABELS.get(tally.period, tally.period), tally.first_day, tally.last_day]
    )
    writer.writerow(
        [
            "証明書の種類",
            "請求件数（センター）",
            "拒否件数（センター）",
            "交付件数（センター）",
            "交付件数（交付履歴）",
            "通数（センター）",
            "通数（交付履歴）",
            "手数料（センター）",
            "手数料（交付履歴）",
            "拒否理由別（センター）",
            "照合結果",
        ]
    )
    for line in result.lines:
        writer.writerow(
            [
                line.label,
                line.centre_requests,
                sum(line.centre_refused.values()),
                line.centre_issued,
                line.ours_issued,
                line.centre_copies,
                line.ours_copies,
                line.centre_fee,
                line.ours_fee,
                " ".join(f"{code}={n}" for code, n in line.centre_refused.items()),
                "一致" if line.matches else "差異あり",
            ]
        )
    for number in result.only_at_centre:
        writer.writerow(["センターのみの発行番号", number])
    for number in result.only_here:
        writer.writerow(["交付履歴のみの発行番号", number])
    return out.getvalue()
