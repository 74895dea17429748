"""Reads of the maker-checker review (standard 4.0.8-c, 4.0.9-a; docs/workflows/review.md).

* ``pending_drafts``: the 確認待ち一覧 with filters. It lists no names or addresses (only the change
  number, 異動事由, dates, counts and the maker), so it is not audited, like ``drafts_for_review``.
* ``confirmation``: the 確認画面 before 本登録: per person of each selected draft, the items that
  will change (before → after), the 抑止 alerts to acknowledge, and whether the draft is stale.
  Personal data: authorised (``resident:commit``) and audited per change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q

from jumin.accounts.authorization import AccessRefused, authorize, has_permission, visible_fields
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event, record_results
from jumin.domain.errors import Alert, refusal
from jumin.registry import services_restrictions
from jumin.registry.inquiry import UNKNOWN_POSTAL_CODE, ItemChange
from jumin.registry.inquiry import _certificate_items as certificate_items
from jumin.registry.inquiry import _items as inquiry_items
from jumin.registry.models import Change, ChangeState, Resident, ResidentSnapshot
from jumin.registry.restrictions import RestrictedProcess, check_restrictions

__all__ = [
    "ChangePreview",
    "ItemChange",
    "PendingDraft",
    "PendingFilter",
    "PersonPreview",
    "bulk_cap",
    "confirmation",
    "pending_drafts",
    "selected_ids",
]


def bulk_cap() -> int:
    """The most drafts one confirmation or 一括本登録 may take (setting ``JUMIN_BULK_COMMIT_CAP``)."""
    return max(1, int(getattr(settings, "JUMIN_BULK_COMMIT_CAP", 50)))


@dataclass(frozen=True)
class PendingFilter:
    """Filters of the 確認待ち一覧; empty values do not filter."""

    reason: str = ""
    made_by: str = ""  # the maker's login name
    made_from: date | None = None
    made_to: date | None = None
    terminal_id: str = ""  # the input terminal (the 入力所 of standard 4.0.8-c)


@dataclass(frozen=True)
class PendingDraft:
    """One draft waiting for review: no names, so the list itself discloses nothing."""

    change_id: int
    reason: str
    change_date: str
    notification_kind: str
    people: int
    made_by: str
    made_at: str
    terminal_id: str


def pending_drafts(
    *, actor: Any, filters: PendingFilter = PendingFilter(), movers: Sequence[str] = (), purpose: str = ""
) -> list[PendingDraft]:
    """Drafts other clerks entered, oldest first, filtered; refused without ``resident:commit``.

    ``movers`` (宛名番号, standard 4.0.8-c "by selected movers") keeps the drafts that change any of
    them. Those numbers are personal data: they come by POST with the ``purpose``, and the search is
    audited naming each of them that has a draft (``record_results``), as a search is.
    """
    if not has_permission(actor, Permission.RESIDENT_COMMIT):
        raise AccessRefused("確認待ちの異動を見る権限がありません。", reason_code="permission_missing")
    # Followers (職権 世帯主変更) are listed with, and committed with, the draft they follow.
    query = Change.objects.filter(state=ChangeState.DRAFT, follows__isnull=True).exclude(made_by=actor)
    if movers:
        authorize(
            actor=actor,
            permission=Permission.RESIDENT_COMMIT,
            action=AuditAction.RESIDENT_CHANGE_VIEW,
            purpose=purpose,
            subject_type="resident",
        )
        query = query.filter(
            pk__in=ResidentSnapshot.objects.filter(
                change__state=ChangeState.DRAFT, resident__atena_number__in=list(movers)
            ).values("change_id")
        )
    if filters.reason:
        query = query.filter(reason=filters.reason)
    if filters.made_by:
        query = query.filter(made_by__username=filters.made_by)
    if filters.made_from:
        query = query.filter(made_at__date__gte=filters.made_from)
    if filters.made_to:
        query = query.filter(made_at__date__lte=filters.made_to)
    if filters.terminal_id:
        query = query.filter(terminal_id=filters.terminal_id)
    listed = query.select_related("made_by").annotate(people=Count("snapshots")).order_by("made_at", "pk")
    # A search by mover reads and audits in one transaction; the list without names is not audited (and
    # takes no write transaction: SQLite's IMMEDIATE mode would hold the write lock for a plain read).
    with transaction.atomic() if movers else nullcontext():
        changes = list(listed)
        if movers:
            found = ResidentSnapshot.objects.filter(
                change__in=changes, resident__atena_number__in=list(movers)
            ).values_list("resident__atena_number", flat=True)
            record_results(
                actor,
                "resident",
                sorted(set(found)),
                purpose,
                "atena_number",
                action=AuditAction.RESIDENT_CHANGE_VIEW,
                reason="pending drafts by mover",
                result_count=len(changes),
            )
    return [
        PendingDraft(
            change_id=change.pk,
            reason=change.reason,
            change_date=change.change_date.isoformat(),
            notification_kind=change.notification_kind,
            people=change.people,
            made_by=str(change.made_by),
            made_at=change.made_at.isoformat(timespec="minutes"),
            terminal_id=change.terminal_id,
        )
        for change in changes
    ]


@dataclass(frozen=True)
class PersonPreview:
    """One person of a draft: who (name after the change), and each item that will change."""

    atena_number: str
    name: str
    is_new: bool  # no committed row yet (転入, 出生, 職権記載)
    changes: tuple[ItemChange, ...]
    # The row belongs to the 職権 世帯主変更 that follows the draft (workflows.head_by_ex_officio).
    follower_change_id: int | None = None


@dataclass(frozen=True)
class ChangePreview:
    """One selected draft on the 確認画面."""

    change_id: int
    reason: str
    change_date: str
    made_by: str
    people: tuple[PersonPreview, ...]
    alerts: tuple[Alert, ...]  # 抑止 alerts: the reviewer ticks each one to commit
    blocked: bool  # a 抑止 error: the commit will be refused
    stale: bool  # the person changed since the draft was entered: the commit will be refused
    attention_note: str = ""  # 留意事項 (type B, standard 1.1.14-a/b), checked before 本登録


def _destination_postal_code(snapshot: ResidentSnapshot) -> str:
    """The 転入先's postal code, or the flag that the dictionary did not give it (4.1.3.1.2-a)."""
    if snapshot.confirmed_destination_postal_unknown:
        return UNKNOWN_POSTAL_CODE
    return snapshot.confirmed_destination_postal_code


def _extra_items() -> list[tuple[str, Callable[[ResidentSnapshot], str]]]:
    """Items of the removal and the 転出確定 that ``inquiry._items`` does not list."""

    def day(value: date | None) -> str:
        return value.isoformat() if value else ""

    return [
        ("消除日", lambda s: day(s.removal_date)),
        ("転出先（確定）", lambda s: s.confirmed_destination),
        ("転出先（確定）郵便番号", _destination_postal_code),
        ("転出先（確定）住所コード", lambda s: s.confirmed_destination_address_code),
        ("転出確定日", lambda s: day(s.confirmed_move_out_date)),
        ("転出確定通知日", lambda s: day(s.move_in_notice_date)),
    ]


def _person(
    draft: ResidentSnapshot,
    before: ResidentSnapshot | None,
    items: Sequence[tuple[str, Callable[[ResidentSnapshot], str]]],
) -> PersonPreview:
    changes = []
    for label, read in items:
        after_value = read(draft)
        before_value = read(before) if before is not None else ""
        if after_value != before_value:
            changes.append(ItemChange(label, before_value, after_value))
    return PersonPreview(
        atena_number=draft.resident.atena_number,
        name=f"{draft.surname} {draft.given_name}".strip(),
        is_new=before is None,
        changes=tuple(changes),
        follower_change_id=draft.change_id if draft.change.follows_id is not None else None,
    )


def selected_ids(change_ids: Sequence[int]) -> list[int]:
    """The selected change ids without repeats, or a refusal when none or more than the cap."""
    ids = list(dict.fromkeys(change_ids))
    if not ids:
        raise refusal(
            "change_ids",
            "本登録する異動が選ばれていません。",
            "確認待ち一覧で異動を1件以上選んでください。",
            "registry.no_drafts_selected",
        )
    if len(ids) > bulk_cap():
        raise refusal(
            "change_ids",
            f"一度に本登録できるのは{bulk_cap()}件までです（{len(ids)}件選ばれています）。",
            f"選ぶ異動を{bulk_cap()}件以下にしてください。",
            "registry.bulk_cap_exceeded",
        )
    return ids


def confirmation(*, actor: Any, purpose: str, change_ids: Sequence[int]) -> list[ChangePreview]:
    """The 確認画面 (standard 4.0.9-a) of the selected drafts, in the order given; audited per change."""
    ids = selected_ids(change_ids)
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_COMMIT,
        action=AuditAction.RESIDENT_CHANGE_VIEW,
        purpose=purpose,
        subject_type="change",
    )
    visible = visible_fields(actor)
    # The 特別永住者証明書's items are masked without the 在留資格 grant here too (C-10).
    items = [*inquiry_items(visible), *_extra_items(), *certificate_items(visible)]
    previews = []
    with transaction.atomic():
        changes = {
            c.pk: c
            for c in Change.objects.filter(pk__in=ids, state=ChangeState.DRAFT)
            .exclude(made_by=actor)
            .select_related("made_by")
        }
        missing = [i for i in ids if i not in changes]
        if missing:
            raise refusal(
                "change_ids",
                f"確認待ちでない異動が含まれています（異動番号 {', '.join(map(str, missing))}）。",
                "一覧を更新し、ほかの職員が入力した確認待ちの異動だけを選んでください。",
                "registry.no_such_draft",
            )
        for change_id in ids:
            change = changes[change_id]
            # The 職権 世帯主変更 entered with the draft is reviewed and committed with it.
            drafts = list(
                ResidentSnapshot.objects.filter(
                    Q(change=change) | Q(change__follows=change, change__state=ChangeState.DRAFT)
                )
                .select_related("resident", "household", "change")
                .order_by("change_id", "member_order", "pk")
            )
            residents = {
                r.pk: r
                for r in Resident.objects.filter(pk__in=[d.resident_id for d in drafts]).select_related(
                    "current__household"
                )
            }
            people = []
            stale = False
            for draft in drafts:
                before = residents[draft.resident_id].current
                people.append(_person(draft, before, items))
                if draft.based_on_history_no is not None and (
                    before is None or before.history_no != draft.based_on_history_no
                ):
                    stale = True
            check = check_restrictions(
                [d.resident.atena_number for d in drafts],
                process=RestrictedProcess.CHANGE_ENTRY,
                household_numbers=[d.household.number for d in drafts],
            )
            previews.append(
                ChangePreview(
                    change_id=change.pk,
                    reason=change.reason,
                    change_date=change.change_date.isoformat(),
                    made_by=str(change.made_by),
                    people=tuple(people),
                    alerts=tuple(services_restrictions.as_alerts(check)),
                    blocked=check.blocked,
                    stale=stale,
                    attention_note=change.attention_note,
                )
            )
            record_event(
                actor=actor,
                action=AuditAction.RESIDENT_CHANGE_VIEW,
                subject_type="change",
                subject_id=str(change.pk),
                purpose=purpose,
                reason="confirmation",
            )
    return previews
