"""The CS renewal-target list matched with the registry (std 7.1.1.4-a; docs/jukinet.md Flow 15).

The national node's 個人番号カード管理システム lists this municipality's cards in use whose 有効期限
falls on or before a day (``relays.fetch_renewal_targets``, through the CS). The registry matches the
list with its own records and shows three kinds of line:

* 一致: on the list and a current resident here; the 送付先 is the recorded 居所 if there is one
  (``registry.sending_places``), else the 住所. A different 有効期限 in the registry's card history is
  flagged.
* CSのみ: on the list but not a current resident here (moved out, removed, or unknown here): the
  notice must not go to this municipality's address; the clerk checks the person.
* 住記のみ: a current resident whose card, by the registry's card history, expires by that day but who
  is not on the list: the card history or the CS is out of step.

Reading the list is audited naming every person shown (the 住民票コード masked unless granted, C-10).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from jumin.accounts.authorization import authorize, mask, visible_fields
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_results
from jumin.domain.resident import ResidentStatus
from jumin.jukinet.cs.relays import fetch_renewal_targets
from jumin.registry import sending_places
from jumin.registry.cards import cards_expiring
from jumin.registry.models import ResidentSnapshot

MATCHED = "一致"
CS_ONLY = "CSのみ"
REGISTRY_ONLY = "住記のみ"


@dataclass(frozen=True)
class RenewalLine:
    """One line of the match."""

    kind: str  # MATCHED, CS_ONLY or REGISTRY_ONLY
    atena_number: str  # "" when the person is unknown here
    name: str
    resident_code: str  # masked unless granted (C-10)
    valid_until: str  # the 有効期限 on the CS list ("" for 住記のみ)
    registry_expiry: str  # the 有効期限 in the registry's card history ("" when none)
    mail_postal_code: str
    mail_address: str  # the 送付先: the 居所 when recorded, else the 住所
    by_sending_place: bool
    note: str


def _name(snapshot: ResidentSnapshot) -> str:
    return f"{snapshot.surname}\u3000{snapshot.given_name}".strip("\u3000")


def _line(
    kind: str,
    snapshot: ResidentSnapshot | None,
    *,
    code: str,
    code_visible: bool,
    valid_until: date | None,
    registry_expiry: date | None,
    stay: sending_places.Place | None,
    note: str = "",
) -> RenewalLine:
    resident = snapshot is not None and snapshot.status == ResidentStatus.RESIDENT
    postal, address = "", ""
    if snapshot is not None and resident:
        postal, address = (
            (stay.postal_code, stay.address) if stay else (snapshot.postal_code, snapshot.address)
        )
    return RenewalLine(
        kind=kind,
        atena_number=snapshot.resident.atena_number if snapshot is not None else "",
        name=_name(snapshot) if snapshot is not None else "",
        resident_code=mask(code, visible=code_visible),
        valid_until=valid_until.isoformat() if valid_until else "",
        registry_expiry=registry_expiry.isoformat() if registry_expiry else "",
        mail_postal_code=postal,
        mail_address=address,
        by_sending_place=stay is not None and resident,
        note=note,
    )


def _cs_only_note(snapshot: ResidentSnapshot | None) -> str:
    if snapshot is None:
        return "この住民票コードの住民は住記にいません。"
    if snapshot.status == ResidentStatus.PLANNED_MOVE_OUT:
        return "転出予定者です。転出先での更新になります。"
    return f"住記では{snapshot.removal_reason or '消除'}されています。"


def match_renewal_targets(*, actor: Any, purpose: str, expiring_by: date) -> list[RenewalLine]:
    """The CS renewal-target list of cards expiring on or before ``expiring_by``, matched with the
    registry: 一致, then CSのみ, then 住記のみ. Audited naming every person shown."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_VIEW,
        action=AuditAction.RESIDENT_RECORD_LIST,
        purpose=purpose,
        subject_type="resident",
    )
    targets = fetch_renewal_targets(expiring_by, actor=actor, purpose=purpose)
    code_visible = Permission.FIELD_JUMINHYO_CODE_VIEW in visible_fields(actor)
    with transaction.atomic():
        listed = {target.resident_code: target.valid_until for target in targets}
        by_code = {
            row.juminhyo_code: row
            for row in ResidentSnapshot.objects.filter(
                juminhyo_code__in=list(listed), current_of__isnull=False
            ).select_related("resident")
        }
        expiring = cards_expiring(expiring_by)
        in_registry = {
            row.resident_id: row
            for row in ResidentSnapshot.objects.filter(
                resident_id__in=list(expiring), current_of__isnull=False, status=ResidentStatus.RESIDENT
            ).select_related("resident")
        }
        stays = sending_places.places_of(
            [row.resident_id for row in (*by_code.values(), *in_registry.values())]
        )
        matched: list[RenewalLine] = []
        cs_only: list[RenewalLine] = []
        for code, valid_until in listed.items():
            snapshot = by_code.get(code)
            if snapshot is None or snapshot.status != ResidentStatus.RESIDENT:
                cs_only.append(
                    _line(
                        CS_ONLY,
                        snapshot,
                        code=code,
                        code_visible=code_visible,
                        valid_until=valid_until,
                        registry_expiry=None,
                        stay=None,
                        note=_cs_only_note(snapshot),
                    )
                )
                continue
            registry_expiry = expiring.get(snapshot.resident_id)
            differs = registry_expiry is not None and registry_expiry != valid_until
            matched.append(
                _line(
                    MATCHED,
                    snapshot,
                    code=code,
                    code_visible=code_visible,
                    valid_until=valid_until,
                    registry_expiry=registry_expiry,
                    stay=stays.get(snapshot.resident_id),
                    note="住記のカード履歴と有効期限が異なります。" if differs else "",
                )
            )
        registry_only = [
            _line(
                REGISTRY_ONLY,
                snapshot,
                code=snapshot.juminhyo_code,
                code_visible=code_visible,
                valid_until=None,
                registry_expiry=expiring[resident_id],
                stay=stays.get(resident_id),
                note="CSの更新対象者一覧にありません。カード履歴を確認してください。",
            )
            for resident_id, snapshot in sorted(in_registry.items())
            if snapshot.juminhyo_code not in listed
        ]
        lines = [*matched, *cs_only, *registry_only]
        record_results(
            actor,
            "resident",
            sorted({line.atena_number for line in lines if line.atena_number}),
            purpose,
            "renewal_targets",
            action=AuditAction.RESIDENT_RECORD_LIST,
            reason=f"renewal targets by {expiring_by.isoformat()}",
            result_count=len(lines),
        )
    return lines
