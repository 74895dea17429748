"""市町村通知 / 市町村伝達 to 出入国在留管理庁: their making (standard 4.5.7-a; system.md F10 step 4;
docs/workflows/immigration-link.md).

``notify_committed`` runs in ``services.commit_change``'s transaction, right after the outbox events:
each event of a foreign resident (or of a 帰化・国籍取得, which ends the foreign record) becomes one
``MunicipalityNotice``, so a notice exists exactly when the change is committed, once per event, and
never for a draft. A commit of Japanese residents only costs no statement. A 転出予定者's notice is
due on the planned date (4.5.7-b). Sending them is ``immigration_sending``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django.db.models import Q
from django.utils import timezone

from jumin.domain.immigration_link import link_type, returned_only
from jumin.domain.resident import ChangeReason, ResidentKind, ResidentStatus
from jumin.domain.special_permanent_certificate import RETURNED_NUMBER_ITEM
from jumin.jukinet.cs.services import local_municipality_code
from jumin.registry.cs_link import birth_date_code
from jumin.registry.models import Change, ResidentSnapshot
from jumin.registry.models_immigration import MunicipalityNotice
from jumin.registry.models_review import RegistryEvent

FOREIGN_ITEMS = (
    "nationality_code",
    "category",
    "residence_status",
    "period_of_stay",
    "stay_expiry_date",
    "residence_card_number",
    "special_permanent_resident_number",
    # Not 30条の45 items: the 特別永住者証明書's expiry and last 返納 (domain.special_permanent_certificate).
    "certificate_expiry_date",
    "returned_certificate_number",
    "certificate_returned_on",
)
#: The file's columns after ``sequence_no``, ``kind`` and ``link_class`` (the items of ``notice_items``).
ITEM_COLUMNS = (
    "municipality_code",
    "change_reason",
    "change_date",
    "notification_date",
    "status",
    "removal_date",
    "name",
    "alias",
    "birth_date",
    "sex",
    *FOREIGN_ITEMS,
    "postal_code",
    "address",
    "is_head",
    "head_name",
    "relationship",
    "planned_destination",
)


#: The snapshot columns ``compared_items`` reads.
_COMPARED_COLUMNS = ("surname", "given_name", "alias", "birth_date", "sex", "address", "katagaki", "foreign")


def _concerns_agency(change: Change, snapshot: ResidentSnapshot) -> bool:
    """Whether the row may give a notice: a foreign resident's, a 帰化's, or one that keeps a 特別永住者証明書
    返納 after the record stopped being a 特別永住者 (``_is_late_return`` decides with the row before)."""
    return (
        snapshot.kind == ResidentKind.FOREIGN
        or change.reason == ChangeReason.NATURALISATION
        or bool((snapshot.foreign or {}).get(RETURNED_NUMBER_ITEM))
    )


def _is_late_return(change: Change, snapshot: ResidentSnapshot, before: dict[str, Any] | None) -> bool:
    """A row of a record no longer foreign gives a notice only for the 返納 it records (4.5.7-b)."""
    if snapshot.kind == ResidentKind.FOREIGN or change.reason == ChangeReason.NATURALISATION:
        return True
    after = compared_items(snapshot, dict(snapshot.foreign or {}))
    return before is not None and returned_only(before, after)


def _name(surname: str, given_name: str, foreign: dict[str, Any] | None) -> str:
    """氏名（ローマ字） of a foreign resident, else the 氏名 (a 帰化 row, a Japanese 世帯主)."""
    return str((foreign or {}).get("alphabet_name") or f"{surname} {given_name}".strip())


def _address(snapshot: ResidentSnapshot) -> str:
    """The 住所 with its 方書, as the notice carries it."""
    if snapshot.katagaki:
        return f"{snapshot.address}\u3000{snapshot.katagaki}".strip()
    return snapshot.address


def compared_items(snapshot: ResidentSnapshot, foreign: dict[str, Any]) -> dict[str, Any]:
    """The items ``link_type`` compares between a person's row and the row before it: 氏名 (the
    name columns, and the 30条の45 氏名（ローマ字）), 通称, 生年月日, 性別 and 住所 with 方書 (the
    特別永住者証明書's items, 入管特例法8条2項, and the 通称), and the 30条の45 items."""
    return {
        "name": f"{snapshot.surname} {snapshot.given_name}".strip(),
        "alias": snapshot.alias,
        "birth_date": birth_date_code(snapshot.birth_date),
        "sex": snapshot.sex,
        "address": _address(snapshot),
        **{item: str(foreign.get(item) or "") for item in FOREIGN_ITEMS},
        "alphabet_name": str(foreign.get("alphabet_name") or ""),
    }


def _head_names(snapshots: Iterable[ResidentSnapshot]) -> dict[int, str]:
    """The 世帯主's name of each household, from the current rows (this commit's included: one read)."""
    rows = ResidentSnapshot.objects.filter(
        current_of__isnull=False, is_head=True, household_id__in={s.household_id for s in snapshots}
    ).values_list("household_id", "surname", "given_name", "foreign")
    return {household: _name(surname, given, foreign) for household, surname, given, foreign in rows}


def notice_items(
    change: Change,
    snapshot: ResidentSnapshot,
    foreign: dict[str, Any],
    *,
    municipality_code: str,
    head_name: str = "",
) -> dict[str, Any]:
    """The items of one person's notice (Jumin's layout; no 個人番号, no 住民票コード)."""
    name = _name(snapshot.surname, snapshot.given_name, foreign)
    return {
        "municipality_code": municipality_code,
        "change_reason": str(change.reason),
        "change_date": change.change_date.isoformat(),
        "notification_date": change.notification_date.isoformat() if change.notification_date else "",
        "status": snapshot.status,
        "removal_date": snapshot.removal_date.isoformat() if snapshot.removal_date else "",
        "name": name,
        "alias": snapshot.alias,
        "birth_date": birth_date_code(snapshot.birth_date),
        "sex": snapshot.sex,
        **{item: str(foreign.get(item) or "") for item in FOREIGN_ITEMS},
        "postal_code": snapshot.postal_code,
        "address": _address(snapshot),
        "is_head": "1" if snapshot.is_head else "0",
        "head_name": head_name,
        "relationship": snapshot.relationship,
        "planned_destination": snapshot.planned_destination,
    }


def _send_on(snapshot: ResidentSnapshot, today: date) -> date:
    """A 転出予定者 is notified on the planned date (standard 4.5.7-b); everyone else at once."""
    planned = snapshot.removal_date
    if snapshot.status == ResidentStatus.PLANNED_MOVE_OUT and planned is not None and planned > today:
        return planned
    return today


def notify_committed(
    change: Change, committed: Sequence[ResidentSnapshot], events: Sequence[RegistryEvent]
) -> list[MunicipalityNotice]:
    """Write the notices of a commit's events; call inside commit_change's transaction, after the
    outbox events (``events``, in the order of ``committed``)."""
    today = timezone.localdate()
    due = [(s, e) for s, e in zip(committed, events, strict=True) if _concerns_agency(change, s)]
    if not due:
        return []
    wanted = Q()
    for snapshot, _ in due:
        assert snapshot.history_no is not None
        wanted |= Q(resident_id=snapshot.resident_id, history_no=snapshot.history_no - 1)
    # The rows before (one read): their 30条の45 items and the certificate's items to compare.
    before = {
        (row.resident_id, row.history_no): row
        for row in ResidentSnapshot.objects.filter(wanted).only(
            "resident_id", "history_no", *_COMPARED_COLUMNS
        )
    }
    local = local_municipality_code()
    heads = _head_names(s for s, _ in due)
    now = timezone.now()
    rows = []
    for snapshot, event in due:
        assert snapshot.history_no is not None
        previous = before.get((snapshot.resident_id, snapshot.history_no - 1))
        previous_foreign = dict(previous.foreign or {}) if previous is not None else {}
        before_items = None if previous is None else compared_items(previous, previous_foreign)
        if not _is_late_return(change, snapshot, before_items):
            continue
        # A 帰化 row is Japanese: the notice describes the foreign record it ends.
        foreign = dict(snapshot.foreign or previous_foreign)
        kind = link_type(
            change.reason,
            str(foreign.get("category") or ""),
            before_items,
            compared_items(snapshot, foreign),
        )
        rows.append(
            MunicipalityNotice(
                event=event,
                change=change,
                atena_number=event.atena_number,
                history_no=snapshot.history_no,
                kind=kind.kind.value,
                link_class=kind.link_class.value,
                items=notice_items(
                    change,
                    snapshot,
                    foreign,
                    municipality_code=local,
                    head_name=heads.get(snapshot.household_id, ""),
                ),
                due_on=_send_on(snapshot, today),
                created_at=now,
            )
        )
    return MunicipalityNotice.objects.bulk_create(rows)
