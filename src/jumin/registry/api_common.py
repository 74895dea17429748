"""What the registry JSON APIs share: error and draft schemas, their response maps, the 201 answer.

DomainError and AccessRefused are answered by the handlers in jumin.settings.api (400 and 403);
the maps here only document those answers in the OpenAPI schema.
"""

from __future__ import annotations

from ninja import Schema, Status

from jumin.registry.services import DraftRecorded


class ErrorOut(Schema):
    field: str
    reason: str
    remedy: str
    code: str


class RefusedOut(Schema):
    message: str


class AlertOut(Schema):
    field: str
    message: str
    code: str


class AttentionNoteIn(Schema):
    """The 留意事項 of an entry (type B, standard 1.1.14-a/b): free text, or a preset from
    ``GET /api/registry/notes/presets`` edited; "" for none."""

    attention_note: str = ""


class DraftOut(Schema):
    change_id: int
    atena_numbers: list[str]
    household_number: str
    alerts: list[AlertOut]


# The refusals every registry endpoint may answer with, beside its own success.
ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 403: RefusedOut}
# The answers of an endpoint that enters a draft (仮登録).
DRAFT_RESPONSES: dict[int, type[Schema]] = {201: DraftOut, **ERRORS}


def draft_body(draft: DraftRecorded, *extra_alerts: object) -> dict[str, object]:
    """The :class:`DraftOut` of a draft; ``extra_alerts`` (e.g. of a parsed date) come first."""
    return {
        "change_id": draft.change_id,
        "atena_numbers": list(draft.atena_numbers),
        "household_number": draft.household_number,
        "alerts": [alert.__dict__ for alert in (*extra_alerts, *draft.alerts)],
    }


def draft_created(draft: DraftRecorded, *extra_alerts: object) -> Status[object]:
    """201 with the draft entered (see :func:`draft_body`)."""
    return Status(201, draft_body(draft, *extra_alerts))
