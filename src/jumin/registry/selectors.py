"""Reads of the registry. Every read of personal data is authorised and audited in one transaction.

Only committed snapshots are returned, except to the review workflow (drafts are invisible,
spec architecture.md §4). Fields hidden by default (controls.md C-10) are masked unless the
user holds the matching field permission.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction
from django.db.models import Q

from jumin.accounts.authorization import MASK, authorize, has_permission, mask, visible_fields
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain import recorded_dates
from jumin.domain.errors import DomainError
from jumin.domain.relationship_proof import proof_text
from jumin.domain.relationships import de_facto_head_remark
from jumin.domain.resident import ResidentKind, ResidentStatus
from jumin.domain.special_permanent_certificate import EXPIRY_ITEM, NUMBER_ITEM, return_text
from jumin.registry.inquiry import committed_rows
from jumin.registry.models import Change, ChangeState, Resident, ResidentSnapshot
from jumin.registry.remarks import remark_lines
from jumin.registry.removed_archive import archived_history_of
from jumin.registry.removed_record_notes import notes_of
from jumin.registry.search import NameMatch, SearchCriteria, SearchHit, SearchResult, search_residents
from jumin.registry.selectors_common import audited_inquiry, resident_not_found

__all__ = [
    "MASK",
    "DraftSummary",
    "NameMatch",
    "ResidentView",
    "SearchCriteria",
    "SearchHit",
    "SearchResult",
    "draft_for_review",
    "drafts_for_review",
    "resident_history",
    "resident_record",
    "search_residents",
]


@dataclass(frozen=True)
class ResidentView:
    """One snapshot as a screen or API shows it; masked fields read ＊＊＊＊."""

    atena_number: str
    history_no: int | None
    status: str
    kind: str
    surname: str
    given_name: str
    surname_kana: str
    given_name_kana: str
    former_surname: str
    alias: str
    birth_date: str
    sex: str
    household_number: str
    is_head: bool
    relationship: str
    member_order: int
    postal_code: str
    address: str
    katagaki: str
    previous_address: str
    became_resident_date: str
    honseki: str
    hittousha: str
    juminhyo_code: str
    nationality_code: str
    residence_status: str
    stay_expiry_date: str
    change_reason: str
    # 異動前住所 (records.md §6.5): where the person lived before their latest 転居; "" if none.
    pre_move_postal_code: str = ""
    pre_move_address: str = ""
    # Postal codes of the 転入前住所 and the 転出先（予定） (standard 1.1.17-a); "" if not held.
    previous_address_postal_code: str = ""
    planned_destination: str = ""
    planned_destination_postal_code: str = ""
    pre_move_katagaki: str = ""
    # 未届転入 (standard 4.1.1.4-a): the last registered address kept as data; the change's type-B note.
    last_registered_address: str = ""
    attention_note: str = ""
    # 除票の誤記訂正 (standard 1.1.5-c): the type-B notes giving each 誤記 and its correct entry.
    removed_record_notes: tuple[str, ...] = ()
    # 備考 type C (standard 1.1.14-a, 4.1.4.3-a): 「事実上の世帯主　氏名」 when the household has one.
    de_facto_head_remark: str = ""
    # フリガナ確認 per kana item (standard 1.1.18-a) and the readings of 旧氏 and 通称.
    kana_confirmed: bool = False
    former_surname_kana: str = ""
    former_surname_kana_confirmed: bool = False
    alias_kana: str = ""
    alias_kana_confirmed: bool = False
    # 続柄を証する書類 (standard 1.1.11-c): 「種類（番号・日付）」, "" when none is held.
    relationship_proof: str = ""
    # 備考 type C written by clerks (standard 1.1.14-a; jumin.registry.remarks), in force, as printed.
    remarks: tuple[str, ...] = ()
    # 30条の45 items beside the nationality (standard 1.1.2-a/b): the category (経過滞在者 with its
    # 出生・国籍喪失), the 上陸期間 or 仮滞在期間 of its category, the 旧外登法登録年月日 ("" if not held).
    foreign_category: str = ""
    category_period_label: str = ""
    category_period: str = ""
    former_alien_registration_date: str = ""
    # The record is in the 除票データベース (standard 1.1.5-e): shown from the archive's copy.
    in_removed_archive: bool = False
    # 特別永住者証明書 (standard 4.5.7-b): its number, its expiry and the last 返納 (「日 番号」), hidden
    # with the 在留資格 without FIELD_RESIDENCE_STATUS_VIEW (C-10); "" when not held.
    special_permanent_resident_number: str = ""
    certificate_expiry_date: str = ""
    certificate_return: str = ""


def _foreign_category(foreign: dict[str, object]) -> str:
    category = str(foreign.get("category") or "")
    reason = str(foreign.get("transitional_reason") or "")
    return f"{category}（{reason}）" if category and reason else category


def _category_period(foreign: dict[str, object]) -> tuple[str, str]:
    for key, label in (("landing_period", "上陸期間"), ("provisional_stay_period", "仮滞在期間")):
        if foreign.get(key):
            return label, str(foreign[key])
    return "", ""


def _view(snapshot: ResidentSnapshot, visible: frozenset[Permission]) -> ResidentView:
    foreign = snapshot.foreign or {}
    is_foreign = snapshot.kind == ResidentKind.FOREIGN
    period_label, period = _category_period(foreign)

    def shown(value: str, permission: Permission) -> str:
        return mask(value, visible=permission in visible) if value else ""

    return ResidentView(
        atena_number=snapshot.resident.atena_number,
        history_no=snapshot.history_no,
        status=snapshot.status,
        kind=snapshot.kind,
        surname=snapshot.surname,
        given_name=snapshot.given_name,
        surname_kana=snapshot.surname_kana,
        given_name_kana=snapshot.given_name_kana,
        former_surname=snapshot.former_surname,
        alias=snapshot.alias,
        # Foreign residents' birth dates are shown in 西暦, never 和暦 (algorithms.md B.2 rule 4).
        birth_date=recorded_dates.display(
            recorded_dates.from_json(snapshot.birth_date), gregorian=is_foreign
        ),
        sex=snapshot.sex,
        household_number=snapshot.household.number,
        is_head=snapshot.is_head,
        relationship=snapshot.relationship,
        member_order=snapshot.member_order,
        postal_code=snapshot.postal_code,
        address=snapshot.address,
        katagaki=snapshot.katagaki,
        previous_address=snapshot.previous_address,
        became_resident_date=recorded_dates.display(recorded_dates.from_json(snapshot.became_resident_date)),
        honseki=shown(snapshot.honseki, Permission.FIELD_HONSEKI_VIEW),
        hittousha=shown(snapshot.hittousha, Permission.FIELD_HONSEKI_VIEW),
        juminhyo_code=shown(snapshot.juminhyo_code, Permission.FIELD_JUMINHYO_CODE_VIEW),
        nationality_code=str(foreign.get("nationality_code", "")),
        residence_status=shown(
            str(foreign.get("residence_status", "")), Permission.FIELD_RESIDENCE_STATUS_VIEW
        ),
        stay_expiry_date=shown(
            str(foreign.get("stay_expiry_date", "")), Permission.FIELD_RESIDENCE_STATUS_VIEW
        ),
        change_reason=snapshot.change.reason,
        pre_move_postal_code=snapshot.pre_move_postal_code,
        pre_move_address=snapshot.pre_move_address,
        previous_address_postal_code=snapshot.previous_address_postal_code,
        planned_destination=snapshot.planned_destination,
        planned_destination_postal_code=snapshot.planned_destination_postal_code,
        pre_move_katagaki=snapshot.pre_move_katagaki,
        last_registered_address=snapshot.last_registered_address,
        attention_note=snapshot.change.attention_note,
        de_facto_head_remark=de_facto_head_remark(snapshot.de_facto_head),
        kana_confirmed=snapshot.kana_confirmed,
        former_surname_kana=snapshot.former_surname_kana,
        former_surname_kana_confirmed=snapshot.former_surname_kana_confirmed,
        alias_kana=snapshot.alias_kana,
        alias_kana_confirmed=snapshot.alias_kana_confirmed,
        relationship_proof=proof_text(snapshot.relationship_proof),
        foreign_category=_foreign_category(foreign),
        category_period_label=period_label,
        category_period=shown(period, Permission.FIELD_RESIDENCE_STATUS_VIEW),
        former_alien_registration_date=(
            recorded_dates.display(recorded_dates.from_json(snapshot.former_alien_registration_date))
            if snapshot.former_alien_registration_date
            else ""
        ),
        special_permanent_resident_number=shown(
            str(foreign.get(NUMBER_ITEM) or ""), Permission.FIELD_RESIDENCE_STATUS_VIEW
        ),
        certificate_expiry_date=shown(
            str(foreign.get(EXPIRY_ITEM) or ""), Permission.FIELD_RESIDENCE_STATUS_VIEW
        ),
        certificate_return=shown(return_text(foreign), Permission.FIELD_RESIDENCE_STATUS_VIEW),
    )


def resident_record(
    *, actor: Any, purpose: str, atena_number: str, acknowledged_alerts: Collection[str] = ()
) -> ResidentView:
    """The current committed record of one person, audited as "viewed" (issue 3 item 4).

    照会 suppressions apply (standard 3.1-b): an error refuses, an alert needs its code in
    ``acknowledged_alerts`` (workflows/acknowledgement.py).
    """
    with audited_inquiry(
        actor=actor,
        purpose=purpose,
        atena_number=atena_number,
        action=AuditAction.RESIDENT_RECORD_VIEW,
        acknowledged_alerts=acknowledged_alerts,
    ):
        resident = (
            Resident.objects.select_related("current__household", "current__change", "current__resident")
            .filter(atena_number=atena_number, current__isnull=False)
            .first()
        )
        if resident is None or resident.current is None:
            raise resident_not_found()
        visible = visible_fields(actor)
        remarks = remark_lines([resident.pk]).get(resident.pk, ())
        archived = archived_history_of(atena_number)  # 除票データベース: read from the copy (1.1.5-e)
        current = archived[-1] if archived else resident.current
        view = replace(_view(current, visible), remarks=remarks, in_removed_archive=bool(archived))
        if current.status != ResidentStatus.REMOVED:
            return view
        notes = notes_of(
            [resident.pk], honseki_visible=Permission.FIELD_HONSEKI_VIEW in visible, with_clerk=True
        )
        return replace(view, removed_record_notes=notes.get(resident.pk, ()))


def resident_history(
    *, actor: Any, purpose: str, atena_number: str, acknowledged_alerts: Collection[str] = ()
) -> list[ResidentView]:
    """Every committed snapshot of one person, oldest first (standard 2.2 履歴照会), audited.

    照会 suppressions apply as in ``resident_record``.
    """
    with audited_inquiry(
        actor=actor,
        purpose=purpose,
        atena_number=atena_number,
        action=AuditAction.RESIDENT_HISTORY_VIEW,
        acknowledged_alerts=acknowledged_alerts,
    ):
        visible = visible_fields(actor)
        return [_view(s, visible) for s in committed_rows(atena_number)]


@dataclass(frozen=True)
class DraftSummary:
    """A change waiting for review: no names, so the list itself discloses nothing (C-11 spirit)."""

    change_id: int
    reason: str
    change_date: str
    people: int
    made_by: str
    made_at: str


def drafts_for_review(*, actor: Any) -> list[DraftSummary]:
    """Drafts another clerk entered, oldest first: the reviewer's work list (standard 4.0.8)."""
    if not has_permission(actor, Permission.RESIDENT_COMMIT):
        return []
    changes = (
        Change.objects.filter(state=ChangeState.DRAFT, follows__isnull=True)
        .exclude(made_by=actor)
        .select_related("made_by")
        .order_by("made_at")
    )
    return [
        DraftSummary(
            change_id=change.pk,
            reason=change.reason,
            change_date=change.change_date.isoformat(),
            people=change.snapshots.count(),
            made_by=str(change.made_by),
            made_at=change.made_at.isoformat(timespec="minutes"),
        )
        for change in changes
    ]


def draft_for_review(*, actor: Any, purpose: str, change_id: int) -> list[ResidentView]:
    """The snapshots of one draft, for the reviewer who compares them with the notification; audited."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_COMMIT,
        action=AuditAction.RESIDENT_CHANGE_VIEW,
        purpose=purpose,
        subject_type="change",
        subject_id=str(change_id),
    )
    with transaction.atomic():
        snapshots = list(
            # A 職権 世帯主変更 following the draft is shown with it (workflows.head_by_ex_officio).
            ResidentSnapshot.objects.filter(
                Q(change_id=change_id) | Q(change__follows_id=change_id), change__state=ChangeState.DRAFT
            )
            .select_related("household", "change", "resident")
            # pk last: a cancellation's re-stated rows follow the person's restoring row.
            .order_by("change_id", "member_order", "pk")
        )
        if not snapshots:
            raise DomainError(
                field="change_id",
                reason="確認待ちの異動が見つかりません。",
                remedy="一覧を更新してください。",
                code="registry.no_such_draft",
            )
        visible = visible_fields(actor)
        views = [_view(s, visible) for s in snapshots]
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_CHANGE_VIEW,
            subject_type="change",
            subject_id=str(change_id),
            purpose=purpose,
        )
    return views
