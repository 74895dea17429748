"""Input places (入力場所: 本庁・支所・出張所, standard 1.3.1-a) and the place of a terminal.

Managed by the terminal administrator (``TERMINAL_MANAGE``), like the terminals themselves. Rows are
never overwritten: a new row of a code ends the row in force the day before (``end_row_in_force``); every
registration, ending and terminal assignment is audited (C-49).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet, Subquery
from django.utils import timezone

from jumin import fixed_sql
from jumin.accounts.authorization import authorize
from jumin.accounts.context import audit_context
from jumin.accounts.errors import refuse
from jumin.accounts.models import InputPlace, Terminal
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import digest_of, record_event
from jumin.domain.address_lots import Period, in_force
from jumin.domain.errors import DomainError
from jumin.masters.validity import end_row_in_force

__all__ = [
    "UNKNOWN_PLACE_CODE",
    "InputPlaceRow",
    "assign_terminal_place",
    "end_input_place",
    "input_place_overview",
    "place_for_terminal",
    "register_input_place",
]

UNKNOWN_PLACE_CODE = "000"
"""The 「不明」 place: changes committed before input places existed, or on a terminal with no place."""

_UNKNOWN_FROM = date(1900, 1, 1)
_SUBJECT = "input_place"


@dataclass(frozen=True)
class InputPlaceRow:
    """One row of the input-place list, with whether it is in force today."""

    id: int
    code: str
    name: str
    kind: str
    valid_from: date
    valid_to: date | None
    in_force: bool
    terminals: int


def _event(**kwargs: Any) -> None:
    record_event(**kwargs, **audit_context())


def input_place_overview(*, actor: Any, purpose: str) -> list[InputPlaceRow]:
    """Every input place row, oldest first per code, and how many terminals name its code; audited."""
    action = AuditAction.INPUT_PLACE_LIST_VIEW
    authorize(actor=actor, permission=Permission.TERMINAL_MANAGE, action=action, purpose=purpose)
    today = timezone.localdate()
    terminal_codes = list(Terminal.objects.values_list("input_place_code", flat=True))
    rows = [
        InputPlaceRow(
            id=place.pk,
            code=place.code,
            name=place.name,
            kind=place.get_kind_display(),
            valid_from=place.valid_from,
            valid_to=place.valid_to,
            in_force=in_force(Period(place.valid_from, place.valid_to), today),
            terminals=terminal_codes.count(place.code),
        )
        for place in InputPlace.objects.exclude(kind=InputPlace.Kind.UNKNOWN).order_by("code", "valid_from")
    ]
    _event(actor=actor, action=action, purpose=purpose, outcome_reason=f"count={len(rows)}")
    return rows


def _refused(actor: Any, action: AuditAction, error: DomainError, subject_id: str = "") -> Exception:
    return refuse(
        actor=actor,
        action=action,
        reason_code=error.code,
        message=f"{error.reason}{error.remedy}",
        subject_type=_SUBJECT,
        subject_id=subject_id,
    )


def register_input_place(
    *, actor: Any, purpose: str, code: str, name: str, kind: str, valid_from: date
) -> InputPlace:
    """Add a row for ``code`` from ``valid_from``; the row in force until then ends the day before.

    Refused (audited, nothing written) for a blank or non-ASCII code, a blank name, an unknown kind
    or a start on or before the start of a row of the same code.
    """
    action = AuditAction.INPUT_PLACE_REGISTRATION_CREATE
    authorize(actor=actor, permission=Permission.TERMINAL_MANAGE, action=action, purpose=purpose)
    code, name = code.strip(), name.strip()
    kinds = set(InputPlace.Kind.values) - {InputPlace.Kind.UNKNOWN}
    if not code or not code.isascii() or not code.isalnum() or len(code) > 10 or code == UNKNOWN_PLACE_CODE:
        raise _refused(
            actor,
            action,
            _invalid(
                "code",
                "入力場所コードが正しくありません。",
                "10文字以内の半角英数字で入力してください（000は使えません）。",
            ),
        )
    if not name or len(name) > 100:
        raise _refused(
            actor,
            action,
            _invalid("name", "入力場所の名称が入力されていません。", "100文字以内で入力してください。"),
            code,
        )
    if kind not in kinds:
        raise _refused(
            actor,
            action,
            _invalid(
                "kind",
                "入力場所の区分が正しくありません。",
                "本庁・支所・出張所・利用部署から選んでください。",
            ),
            code,
        )
    try:
        with transaction.atomic():
            previous = end_row_in_force(
                list(InputPlace.objects.select_for_update().filter(code=code)), valid_from
            )
            place = InputPlace.objects.create(
                code=code, name=name, kind=kind, valid_from=valid_from, registered_by=actor
            )
            _event(
                actor=actor,
                action=action,
                purpose=purpose,
                subject_type=_SUBJECT,
                subject_id=code,
                after_digest=digest_of(
                    {"code": code, "name": name, "kind": kind, "from": valid_from.isoformat()}
                ),
                outcome_reason=f"ended={previous.pk}" if previous is not None else "",
            )
    except DomainError as error:
        raise _refused(actor, action, error, code) from error
    return place


def _invalid(field: str, reason: str, remedy: str) -> DomainError:
    return DomainError(field=field, reason=reason, remedy=remedy, code=f"input_place.{field}")


def end_input_place(*, actor: Any, purpose: str, place_id: int, valid_to: date) -> None:
    """End the row ``place_id`` on ``valid_to`` (the place closes); an ended row is not changed again."""
    action = AuditAction.INPUT_PLACE_REGISTRATION_END
    authorize(actor=actor, permission=Permission.TERMINAL_MANAGE, action=action, purpose=purpose)
    with transaction.atomic():
        place = InputPlace.objects.select_for_update().filter(pk=place_id).first()
        endable = place is not None and place.valid_to is None and place.kind != InputPlace.Kind.UNKNOWN
        if place is not None and endable and valid_to >= place.valid_from:
            place.valid_to = valid_to
            place.save(update_fields=["valid_to"])
            _event(
                actor=actor,
                action=action,
                purpose=purpose,
                subject_type=_SUBJECT,
                subject_id=place.code,
                outcome_reason=f"valid_to={valid_to.isoformat()}",
            )
            return
    raise _refused(
        actor,
        action,
        _invalid(
            "valid_to",
            "終了できる入力場所ではないか、終了日が適用開始日より前です。",
            "一覧で適用中の入力場所を選び、適用開始日以後の終了日を入力してください。",
        ),
        str(place_id),
    )


def assign_terminal_place(*, actor: Any, purpose: str, terminal_id: str, place_code: str) -> None:
    """Make ``terminal_id`` belong to the input place ``place_code`` (one in force today); audited."""
    action = AuditAction.TERMINAL_REGISTRATION_CHANGE
    subject = {"subject_type": "terminal", "subject_id": terminal_id[:64]}
    authorize(actor=actor, permission=Permission.TERMINAL_MANAGE, action=action, purpose=purpose, **subject)
    today = timezone.localdate()
    with transaction.atomic():
        terminal = Terminal.objects.select_for_update().filter(terminal_id=terminal_id).first()
        places = InputPlace.objects.filter(code=place_code).exclude(kind=InputPlace.Kind.UNKNOWN)
        if terminal is not None and any(in_force(Period(p.valid_from, p.valid_to), today) for p in places):
            before = terminal.input_place_code
            terminal.input_place_code = place_code
            terminal.save(update_fields=["input_place_code"])
            _event(
                actor=actor,
                action=action,
                purpose=purpose,
                outcome_reason=f"input_place={before or '-'}->{place_code}",
                **subject,
            )
            return
    raise refuse(
        actor=actor,
        action=action,
        reason_code="no_such_input_place",
        message="端末または入力場所が見つかりません。端末IDと、適用中の入力場所コードを一覧で確認してください。",
        purpose=purpose,
        **subject,
    )


def place_id_for_terminal(terminal_id: str, day: date) -> int:
    """The id of ``place_for_terminal``'s row: a commit stores only that, and reads it by a statement
    compiled once (fixed_sql, performance.md P3)."""
    on_day = fixed_sql.db_value(InputPlace, "valid_from", day)
    unknown = InputPlace.Kind.UNKNOWN.value
    rows = fixed_sql.read(
        ("input_places.for_terminal",),
        [terminal_id, on_day, on_day, unknown, UNKNOWN_PLACE_CODE, unknown],
        fixed_sql.reading(lambda: _candidates(terminal_id, day).values_list("pk", "kind")),
    )
    known = [pk for pk, kind in rows if kind != unknown]
    fallback = [pk for pk, kind in rows if kind == unknown]
    if known or fallback:
        return int((known or fallback)[0])
    return place_for_terminal(terminal_id, day).pk  # creates the 「不明」 row on first use


def _candidates(terminal_id: str, day: date) -> QuerySet[InputPlace]:
    """The terminal's place in force on ``day`` and the 「不明」 row, in one statement."""
    terminal_code = Terminal.objects.filter(terminal_id=terminal_id).values("input_place_code")[:1]
    in_force_then = Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day))
    return InputPlace.objects.filter(
        (Q(code__in=Subquery(terminal_code)) & in_force_then & ~Q(kind=InputPlace.Kind.UNKNOWN))
        | Q(code=UNKNOWN_PLACE_CODE, kind=InputPlace.Kind.UNKNOWN)
    )


def place_for_terminal(terminal_id: str, day: date) -> InputPlace:
    """The input place row in force on ``day`` of the terminal's place, else the 「不明」 row.

    One statement reads both (a commit's statement budget, performance.md P3). The 「不明」 row is
    created on first use: a node that never registered input places, a batch job without a terminal,
    a terminal not yet assigned to a place.
    """
    rows = sorted(_candidates(terminal_id, day), key=lambda place: place.kind == InputPlace.Kind.UNKNOWN)
    if rows:
        return rows[0]
    unknown, _ = InputPlace.objects.get_or_create(
        code=UNKNOWN_PLACE_CODE,
        valid_from=_UNKNOWN_FROM,
        defaults={"name": "不明（入力場所の記録前）", "kind": InputPlace.Kind.UNKNOWN},
    )
    return unknown
