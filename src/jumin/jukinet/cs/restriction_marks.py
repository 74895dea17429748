"""抑止マーク at the 市町村CS: the registry's issuance blocks, as the CS must honour them (standard 3.1-g).

The registry (既存住基) tells the CS in the transaction of each set and lift of an issuance 抑止 or of
a 支援措置 (``registry.cs_link.forward_restrictions``), so the mark exists exactly when the registry's
block does; a 一時解除 is never sent (3.1-d). The CS keeps every set and lift (``CsRestrictionMark``,
insert-only) and uses the state in force:

* a 広域交付 request from another municipality's CS for a marked person is refused here, before the
  registry's answerer does any certificate work (``refuse_marked_wide_area``, a ``routing.guard``);
  the refusal names no reason, as the registry's own refusal does;
* the CS screens that list a person (本人確認情報検索, 本人確認) show 「抑止あり」 beside a marked person,
  never the reason (``marked_codes``).

A 証明書交付センター (コンビニ交付) link would read the same state: Jumin has no コンビニ交付 node, so this
table is the one place such a link would ask (docs/jukinet.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from jumin.domain.errors import refusal
from jumin.jukinet.common.wide_area import requested_kind
from jumin.jukinet.cs.models_marks import CsRestrictionMark, MarkAction
from jumin.messaging.envelope import Envelope

KIND_SUPPRESSION = "suppression"  # a 抑止 of 証明書発行 (error or alert: no remote clerk can acknowledge)
KIND_SUPPORT_MEASURE = "support_measure"  # a 支援措置 or 仮支援措置 in force
KINDS = frozenset({KIND_SUPPRESSION, KIND_SUPPORT_MEASURE})
CODE_WIDE_AREA_RESTRICTED = "jukinet.cs.wide_area_restricted"

__all__ = [
    "MarkAction",
    "MarkChange",
    "carry_over",
    "lift_marks",
    "marked_codes",
    "reconcile",
    "record_marks",
    "refuse_marked_wide_area",
]


@dataclass(frozen=True)
class MarkChange:
    """One set or lift of one restriction of one person, as the registry sends it (identifiers only)."""

    resident_code: str
    action: MarkAction
    kind: str
    restriction_id: int
    effective_from: date | None
    operator_id: str
    terminal_id: str


def _check(change: MarkChange) -> None:
    code = change.resident_code
    if len(code) != 11 or not code.isdigit() or change.kind not in KINDS:
        raise refusal(
            "resident_code",
            "抑止マークの住民票コードまたは抑止種別が不正です。",
            "既存住基の抑止の内容を確認してください。",
            "jukinet.cs.restriction_mark_invalid",
        )
    MarkAction(change.action)


def record_marks(changes: Sequence[MarkChange]) -> int:
    """Keep the registry's sets and lifts (call inside the registry's transaction); returns how many.

    Rows are only ever added. The registry's own set or lift entry, in the same transaction, is the
    audit of the marks (its reason counts them), as its commit entry is for ``accept_updates``.
    """
    if not changes:
        return 0
    for change in changes:
        _check(change)
    now = timezone.now()
    CsRestrictionMark.objects.bulk_create(
        CsRestrictionMark(
            resident_code=change.resident_code,
            action=change.action,
            kind=change.kind,
            restriction_id=change.restriction_id,
            effective_from=change.effective_from,
            recorded_at=now,
            operator_id=change.operator_id[:64],
            terminal_id=change.terminal_id[:64],
        )
        for change in changes
    )
    return len(changes)


Key = tuple[str, str, int]  # (住民票コード, kind, restriction id)


def _set_now(rows: QuerySet[CsRestrictionMark]) -> dict[Key, date | None]:
    """The restrictions whose latest row is a set, with their start dates (rows: any filter)."""
    latest: dict[Key, tuple[str, date | None]] = {}
    ordered = rows.order_by("pk").values_list(
        "resident_code", "kind", "restriction_id", "action", "effective_from"
    )
    for code, kind, restriction_id, action, effective_from in ordered:
        latest[(code, kind, restriction_id)] = (action, effective_from)
    return {key: start for key, (action, start) in latest.items() if action == MarkAction.SET}


def _changes(
    marks: dict[Key, date | None], action: MarkAction, operator_id: str, terminal_id: str
) -> list[MarkChange]:
    return [
        MarkChange(
            resident_code=code,
            action=action,
            kind=kind,
            restriction_id=restriction_id,
            effective_from=effective_from,
            operator_id=operator_id,
            terminal_id=terminal_id,
        )
        for (code, kind, restriction_id), effective_from in sorted(marks.items())
    ]


def lift_marks(
    *,
    kind: str,
    restriction_id: int,
    operator_id: str,
    terminal_id: str,
    resident_codes: Iterable[str] | None = None,
) -> int:
    """Append a lift for every 住民票コード this restriction is set on now (inside the registry's
    transaction), or only for those of ``resident_codes`` (a household's member who left it).
    Returns how many marks it lifted (0: nothing was marked)."""
    rows = CsRestrictionMark.objects.filter(kind=kind, restriction_id=restriction_id)
    if resident_codes is not None:
        rows = rows.filter(resident_code__in=list(resident_codes))
    marks = _set_now(rows)
    return record_marks(_changes(marks, MarkAction.LIFT, operator_id, terminal_id))


def carry_over(pairs: Iterable[tuple[str, str]], *, operator_id: str, terminal_id: str) -> int:
    """After a 住民票コード change, set on each new code what is set on the former one; returns how many.

    ``pairs`` are (former code, new code). The former code keeps its rows (history); a later lift of
    the restriction lifts it under both codes (``lift_marks``).
    """
    new_of = {former: new for former, new in pairs if former and new and former != new}
    if not new_of:
        return 0
    held = _set_now(CsRestrictionMark.objects.filter(resident_code__in=new_of))
    moved = {(new_of[code], kind, rid): start for (code, kind, rid), start in held.items()}
    already = _set_now(CsRestrictionMark.objects.filter(resident_code__in=new_of.values()))
    wanted = {key: start for key, start in moved.items() if key not in already}
    return record_marks(_changes(wanted, MarkAction.SET, operator_id, terminal_id))


@dataclass(frozen=True)
class MarkComparison:
    """The marks in force here against ``wanted`` (the registry's whole current state); reads only."""

    in_force: int
    missing: dict[Key, date | None]  # wanted, not in force here: ``reconcile`` would set them
    extra: dict[Key, date | None]  # in force here, not wanted: ``reconcile`` would lift them


def compare(wanted: dict[Key, date | None]) -> MarkComparison:
    """What ``reconcile`` would change, without changing it (the registry's 抑止マーク照合 screen)."""
    held = _set_now(CsRestrictionMark.objects.all())
    return MarkComparison(
        in_force=len(held),
        missing={key: start for key, start in wanted.items() if key not in held},
        extra={key: start for key, start in held.items() if key not in wanted},
    )


def reconcile(wanted: dict[Key, date | None], *, operator_id: str, terminal_id: str) -> tuple[int, int]:
    """Make the marks in force equal ``wanted`` (the registry's whole current state); returns (set, lifted).

    A restriction in ``wanted`` and not in force here is set; one in force here and not wanted is
    lifted (a lifted restriction, a household's former member, a former 住民票コード). Rows only added.
    """
    differences = compare(wanted)
    record_marks(_changes(differences.missing, MarkAction.SET, operator_id, terminal_id))
    record_marks(_changes(differences.extra, MarkAction.LIFT, operator_id, terminal_id))
    return len(differences.missing), len(differences.extra)


def marked_codes(resident_codes: Iterable[str], *, on: date | None = None) -> set[str]:
    """Those of these 住民票コード that have a mark in force on ``on`` (default today); one query.

    A restriction is in force when its latest row is a set whose start date has come.
    """
    codes = {code for code in resident_codes if code}
    if not codes:
        return set()
    day = on or timezone.localdate()
    marks = _set_now(CsRestrictionMark.objects.filter(resident_code__in=codes))
    return {code for (code, _kind, _id), start in marks.items() if start is None or start <= day}


def refuse_marked_wide_area(envelope: Envelope) -> None:
    """Refuse a 広域交付 request (QUERY_WIDE_AREA_COPY) that would print a marked person.

    Checks the persons the request names: the card holder (scope ``self`` or ``household``) or the
    named members. Other members of a household are checked by the registry's answerer, whose
    restriction check stays the final word. The reason is never named to the asking municipality.
    """
    payload = envelope.payload
    named = payload["member_resident_codes"] if payload["scope"] == "members" else []
    printed = named or [payload["requester_resident_code"]]
    if marked_codes(printed):
        raise refusal(
            "subject",
            f"この方の{requested_kind(payload).label}は広域交付できません。",
            "住所地の市区町村の窓口で請求するよう案内してください。",
            CODE_WIDE_AREA_RESTRICTED,
        )
