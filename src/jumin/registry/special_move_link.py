"""The CS part of a committed 特例転出 or 特例転入 (system.md F02 steps 5–6, F03 step 3b), and the
転入通知 of an ordinary 国内転入 (住基法9条1項; std 7.1.1.1-e).

Called by ``cs_link.forward_committed`` inside the commit's transaction, for the reasons in
``TRIGGER_REASONS``. The workflows that enter these changes are in ``workflows/special_moves.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason, ForeignResidentItems, ResidentKind, ResidentStatus
from jumin.jukinet.common.move_out_certificate import MoveOutCertificate
from jumin.jukinet.cs import move_in_notices, special_move_in, special_move_out
from jumin.jukinet.cs.operators import operator_ids
from jumin.jukinet.cs.services import local_municipality_code, record_unlinked
from jumin.registry.models import Change, ResidentSnapshot

#: The commits ``forward_committed`` looks at (one comparison for every other commit).
TRIGGER_REASONS = frozenset({ChangeReason.DOMESTIC_MOVE_OUT, ChangeReason.DOMESTIC_MOVE_IN})


def _cs_link() -> Any:
    # Imported on use: cs_link calls this module from its own forward_committed.
    from jumin.registry import cs_link

    return cs_link


def _foreign_items(snapshot: ResidentSnapshot) -> dict[str, str] | None:
    """A foreign resident's 30条の45 items and 通称 as the 転出証明書情報 carries them (None: Japanese)."""
    if snapshot.kind != ResidentKind.FOREIGN:
        return None
    stored = snapshot.foreign or {}
    items = {name: str(stored.get(name) or "") for name in ForeignResidentItems.__dataclass_fields__}
    return {**items, "alias": snapshot.alias, "alias_kana": snapshot.alias_kana}


def _certificate(snapshot: ResidentSnapshot, change: Change, head: str) -> MoveOutCertificate:
    operator_id, terminal_id = operator_ids(change.made_by, terminal_id=change.terminal_id)

    return MoveOutCertificate(
        control_number=special_move_out.new_control_number(),
        resident_code=snapshot.juminhyo_code,
        individual_number=snapshot.get_individual_number() or "",
        name=f"{snapshot.surname}\u3000{snapshot.given_name}",
        name_kana=f"{snapshot.surname_kana}\u3000{snapshot.given_name_kana}"
        if snapshot.kana_confirmed
        else "",
        birth_date=_cs_link().birth_date_code(snapshot.birth_date),
        sex=snapshot.sex,
        address=snapshot.address,
        municipality_code=local_municipality_code(),
        household_head=head,
        relationship=snapshot.relationship,
        honseki=snapshot.honseki,
        hittousha=snapshot.hittousha,
        destination=snapshot.planned_destination,
        destination_municipality_code=snapshot.planned_destination_code,
        planned_date=change.change_date.isoformat(),
        notification_date=(change.notification_date or change.change_date).isoformat(),
        operator_id=operator_id,
        terminal_id=terminal_id,
        foreign=_foreign_items(snapshot),
    )


def _head_name(snapshot: ResidentSnapshot) -> str:
    head = (
        ResidentSnapshot.objects.filter(
            household_id=snapshot.household_id, is_head=True, current_of__isnull=False
        )
        .only("surname", "given_name")
        .first()
    )
    return f"{head.surname}\u3000{head.given_name}" if head is not None else ""


def forward_committed(change: Change, committed: Iterable[ResidentSnapshot]) -> None:
    """The CS part of a committed 特例転出 or 特例転入 (inside the commit's transaction).

    A 特例転出 whose 転出証明書情報 the CS refuses (e.g. no 個人番号) is listed as CS未連携 and the commit
    goes on: the clerk then issues the paper 転出証明書. A 特例転入 whose held data is gone refuses the
    commit (the 転入通知 could not be sent): request the data again, then commit.
    """
    if change.reason == ChangeReason.DOMESTIC_MOVE_OUT:
        for snapshot in committed:
            if not (
                snapshot.special_move_out and snapshot.juminhyo_code and snapshot.planned_destination_code
            ):
                continue
            try:
                certificate = _certificate(snapshot, change, _head_name(snapshot))
                with transaction.atomic():
                    special_move_out.send_certificate(certificate, actor=change.made_by)
            except DomainError as error:
                record_unlinked([(_cs_link().request_number(snapshot), error.code, error.field)])
    elif change.reason == ChangeReason.DOMESTIC_MOVE_IN:
        for snapshot in committed:
            if snapshot.status != ResidentStatus.RESIDENT:
                continue
            if snapshot.move_in_notice_due and not snapshot.special_move_in:
                # Paper 転出証明書: the 転入通知 goes to the 転出地 entered (or waits when unknown).
                move_in_notices.send_ordinary(
                    move_in_notices.OrdinaryMoveIn(
                        resident_code=snapshot.juminhyo_code,
                        destination_code=snapshot.previous_municipality_code,
                        move_in_date=change.change_date,
                        notice_date=timezone.localdate(),
                        new_address=snapshot.address,
                        notification_kind="職権" if change.notification_kind == "職権" else "届出",
                    ),
                    actor=change.made_by,
                )
            elif snapshot.special_move_in:
                special_move_in.complete(
                    special_move_in.MoveInDone(
                        resident_code=snapshot.juminhyo_code,
                        move_in_date=change.change_date,
                        notice_date=timezone.localdate(),
                        new_address=snapshot.address,
                    ),
                    actor=change.made_by,
                )
