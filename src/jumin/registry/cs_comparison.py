"""The registry ↔ CS comparison (standard 7.1.1.2-a; controls.md C-68 "the CS is checked regularly
against the registry").

Every committed change reaches the CS in its own transaction (``cs_link.forward_committed``), so the
two agree unless something went wrong: an update the CS refused (CS未連携), a restore of one side from
a backup, a change made to one side by hand. This comparison finds those, person by person, and writes
nothing: ``jumin cs load`` re-sends what is missing or older, and an item difference under the same
依頼管理番号 (the CS record says it came from this very snapshot but holds other values) is for the
operators to investigate.

For each current committed person with a 住民票コード, in batches: the CS's current record of the code
(one query per batch) against what the registry would send — the 依頼管理番号 (宛名番号-履歴番号) and
the 4情報 and 消除 items. Then every code the CS holds for this municipality that no current person has.
The 個人番号 is not compared here (it would mean decrypting every number; the yearly 整合性確認 with the
prefecture and the national server covers it through keyed digests).

Needs ``resident:batch:run``; one audit entry with the counts, listing the 宛名番号 of every person
shown with a difference as "appeared in the results" (C-42); the 住民票コード shown only with
``field:juminhyo_code:view`` (C-10). Command ``jumin cs compare-registry``; screen
「CSとの照合（本人確認情報）」.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction

from jumin.accounts.authorization import authorize, mask, visible_fields
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_results
from jumin.domain.resident import ResidentStatus
from jumin.registry import cs_link
from jumin.registry.models import Resident, ResidentSnapshot

BATCH = 2000
#: The screen and the command show this many differences; the counts cover all of them.
SHOWN = 1000
QUERY_SUMMARY = "cs_identity_compare"

MISSING = "CSに記録なし"
OTHER_SNAPSHOT = "CSの記録が現在の住民票と異なる"
ITEMS = "同じ住民票由来の記録で項目が相違"
CS_ONLY = "CSにだけ記録あり"


@dataclass(frozen=True)
class CsDifference:
    """One person where the CS differs: the kind, and the items or 依頼管理番号 concerned."""

    atena_number: str  # "" for a code the CS alone holds
    resident_code: str
    kind: str
    detail: str


@dataclass(frozen=True)
class CsComparison:
    """Counts of the whole run and the first ``SHOWN`` differences."""

    compared: int
    matching: int
    without_code: int
    difference_count: int
    differences: tuple[CsDifference, ...]


_ITEM_LABELS = {"name": "氏名", "birth_date": "生年月日", "sex": "性別", "address": "住所", "removed": "消除"}


def _expected(snapshot: ResidentSnapshot) -> dict[str, object]:
    return {
        "name": cs_link.cs_name(snapshot),
        "birth_date": cs_link.birth_date_code(snapshot.birth_date),
        "sex": snapshot.sex,
        "address": snapshot.address,
        "removed": snapshot.status != ResidentStatus.RESIDENT,
    }


def _difference(snapshot: ResidentSnapshot, held: cs_link.HeldCsRecord | None) -> CsDifference | None:
    atena, code = snapshot.resident.atena_number, snapshot.juminhyo_code
    if held is None:
        return CsDifference(atena, code, MISSING, "jumin cs load で送信してください")
    expected = cs_link.request_number(snapshot)
    if held.request_number != expected:
        return CsDifference(atena, code, OTHER_SNAPSHOT, f"CS {held.request_number} / 住民票 {expected}")
    differing = [
        label for item, label in _ITEM_LABELS.items() if getattr(held, item) != _expected(snapshot)[item]
    ]
    if differing:
        return CsDifference(atena, code, ITEMS, "、".join(differing))
    return None


def _not_current_in_registry(codes: list[str]) -> list[str]:
    """Those of ``codes`` that no current committed record of the registry carries (batched reads)."""
    current: set[str] = set()
    for start in range(0, len(codes), BATCH):
        chunk = codes[start : start + BATCH]
        current.update(
            ResidentSnapshot.objects.filter(current_of__isnull=False, juminhyo_code__in=chunk).values_list(
                "juminhyo_code", flat=True
            )
        )
    return [code for code in codes if code not in current]


def _as_seen(difference: CsDifference, actor: Any) -> CsDifference:
    """The 住民票コード masked for a user without ``field:juminhyo_code:view`` (C-10)."""
    visible = Permission.FIELD_JUMINHYO_CODE_VIEW in visible_fields(actor)
    return replace(difference, resident_code=mask(difference.resident_code, visible=visible))


def compare_with_cs(*, actor: Any, purpose: str) -> CsComparison:
    """Compare every current committed person with the CS's 本人確認情報 file (reads only; audited)."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_BATCH_RUN,
        action=AuditAction.CS_IDENTITY_COMPARE,
        purpose=purpose,
        subject_type="cs_identity",
    )
    ids = list(Resident.objects.filter(current__isnull=False).order_by("pk").values_list("pk", flat=True))
    differences: list[CsDifference] = []
    registry_codes: set[str] = set()
    compared = without_code = 0
    # One short transaction per batch, never one for the run: on SQLite a transaction holds the write lock
    # (IMMEDIATE), and the run must not stop 本登録 for a minute. A commit updates the registry and the CS
    # together, so within a batch both sides agree; a commit between batches shows up in no batch wrongly.
    for start in range(0, len(ids), BATCH):
        with transaction.atomic():
            snapshots = list(
                ResidentSnapshot.objects.select_related("resident")
                .filter(current_of__pk__in=ids[start : start + BATCH])
                .order_by("resident_id")
            )
            coded = [s for s in snapshots if s.juminhyo_code]
            held = cs_link.held_cs_records([s.juminhyo_code for s in coded])
        without_code += len(snapshots) - len(coded)
        for snapshot in coded:
            registry_codes.add(snapshot.juminhyo_code)
            found = _difference(snapshot, held.get(snapshot.juminhyo_code))
            if found is not None:
                differences.append(found)
        compared += len(coded)
    mismatched = len(differences)
    only_at_cs = [code for code in cs_link.held_cs_codes() if code not in registry_codes]
    # A person committed after their batch was read has a code the batches did not see: not a difference.
    only_at_cs = _not_current_in_registry(only_at_cs)
    differences += [
        CsDifference("", code, CS_ONLY, "住民記録に現在の住民票がありません") for code in only_at_cs
    ]
    shown = [_as_seen(d, actor) for d in differences[:SHOWN]]
    with transaction.atomic():
        # The persons shown (the first SHOWN differences) appeared in the results; the rest are counts.
        record_results(
            actor,
            "resident",
            sorted({d.atena_number for d in shown if d.atena_number}),
            purpose,
            QUERY_SUMMARY,
            action=AuditAction.CS_IDENTITY_COMPARE,
            reason=(
                f"compared {compared} differing {mismatched} cs_only {len(differences) - mismatched} "
                f"no_code {without_code}"
            ),
            result_count=len(differences),
        )
    return CsComparison(
        compared=compared,
        matching=compared - mismatched,
        without_code=without_code,
        difference_count=len(differences),
        differences=tuple(shown),
    )
