"""The 4.1 events entered by 職権 (standard 4.2.0.2-a): 職権転居, 職権転出 and every kind of 職権世帯変更.

"Every 4.1 process can also be done by 職権 under the same rules, except the notification date": the
転居, 転出 and 世帯変更 workflows keep their own checks and snapshots and take an optional
``ExOfficioBasis``. With it there is no 届出 (no 届出日, no 届出人): the change is 届出区分 「職権」 (or
「申出」 with its 申出日, 4.2.0.5-a, as for every 職権 action), its 異動日 is checked against the day the
fact was found instead of against a 届出日, and a 職権記録書 (``ExOfficioRecord``) is written beside it,
so the 職権記録書 and the 職権記載等通知書 print from it like those of a 職権記載・消除・修正.
職権記載 and 職権消除 are the 職権 forms of 転入 and of a removal (workflows.ex_officio).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from jumin.domain.errors import refusal
from jumin.registry.models import Change, ExOfficioRecord, ResidentSnapshot
from jumin.registry.workflows.ex_officio import (
    CORRECTABLE_ITEMS,
    RecordBook,
    _check_event_date,
    _check_record,
)

EX_OFFICIO = "職権"
ON_APPLICATION = "申出"
NOTIFIED = "届出"


@dataclass(frozen=True)
class ExOfficioBasis:
    """Why a 4.1 event is entered by 職権: its 職権記録書 and whether a 職権記載等通知書 is sent."""

    record: RecordBook
    notice_required: bool = True


def check_basis(
    basis: ExOfficioBasis | None, *, event_date: date, notification_date: date | None, field: str
) -> None:
    """The 職権 rules that replace the 届出日 rules: a full 職権記録書, no 届出日, and an 異動日 not in
    the future nor after the day the fact was found (4.0.3-a). Without ``basis`` a 届出日 is required."""
    if basis is None:
        if notification_date is None:
            raise refusal(
                "notification_date",
                "届出日が入力されていません。",
                "届出日を入力してください（届出がなく職権で処理する場合は「職権による処理」を選びます）。",
                "registry.notification_date_required",
            )
        return
    if notification_date is not None:
        raise refusal(
            "notification_date",
            "職権による処理に届出日が入力されています。",
            "届出日を空欄にしてください（職権の処理では事実を確認した日を職権記録書に入力します）。",
            "registry.notification_date_for_ex_officio",
        )
    today = timezone.localdate()
    _check_record(basis.record, today)
    _check_event_date(event_date, basis.record, today, field=field)


def change_columns(basis: ExOfficioBasis | None, notification_date: date | None) -> dict[str, Any]:
    """The ``Change`` columns that differ between a 届出 and its 職権 form: 届出日 and 届出区分."""
    if basis is None:
        return {"notification_date": notification_date, "notification_kind": NOTIFIED}
    record = basis.record
    return {
        # A 職権 action has no 届出日; one taken on application keeps its 申出日 (4.2.0.5-a), one
        # following a 戸籍 notification its 戸籍届出・通知日 (4.2.0.4-a), as workflows.ex_officio does.
        "notification_date": record.applied_on or record.notified_on,
        "notification_kind": ON_APPLICATION if record.applied_on is not None else EX_OFFICIO,
    }


def write_record(
    change: Change, basis: ExOfficioBasis, *, action: str, changed_items: Iterable[str] = ()
) -> ExOfficioRecord:
    """The 職権記録書 of a 4.1 event entered by 職権; ``action`` is the event (転居, 国内転出, 世帯分離 …)."""
    record = basis.record
    return ExOfficioRecord.objects.create(
        change=change,
        action=action,
        legal_basis=record.legal_basis.strip(),
        found_on=record.found_on,
        grounds=record.grounds.strip(),
        findings=record.findings.strip(),
        notice_required=basis.notice_required,
        changed_items=[item for item in changed_items if item in CORRECTABLE_ITEMS],
    )


def changed_items(
    before: Iterable[ResidentSnapshot], after: Mapping[int, Mapping[str, Any]], candidates: Iterable[str]
) -> list[str]:
    """The ``candidates`` whose value differs for at least one person: the items the notice lists.

    ``after`` maps a current row's pk to the columns its draft sets."""
    rows = list(before)
    return [
        item
        for item in candidates
        if any(item in after[row.pk] and after[row.pk][item] != getattr(row, item) for row in rows)
    ]


def audit_reason(basis: ExOfficioBasis | None, event: str = "") -> str:
    """The draft's audit reason: the event's own (if any), followed by 「職権」 for a 職権 event."""
    return "; ".join(part for part in (event, EX_OFFICIO if basis is not None else "") if part)
