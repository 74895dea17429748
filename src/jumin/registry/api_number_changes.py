"""JSON API of the 住民票コード and 個人番号 changes, mounted at /api/registry/code-changes.

Thin like jumin.registry.api: parse, call one service, return. The person travels in the body, never
the URL. 本登録 is the ordinary commit (``POST /api/registry/drafts/{change_id}/commit``), which
asks the national node for a new 個人番号 (docs/workflows/number-changes.md).
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from jumin.registry.api_common import DRAFT_RESPONSES, draft_created
from jumin.registry.workflows import number_changes

router = Router(tags=["住民記録（住民票コード・個人番号の変更）"])


class NumberChangeIn(Schema):
    purpose: str
    atena_number: str
    basis: number_changes.ChangeBasis
    requested_on: date
    grounds: str = ""
    acknowledged_alerts: list[str] = Field(default_factory=list)


class CorrectionIn(Schema):
    purpose: str
    atena_number: str
    correct_code: str
    found_on: date
    grounds: str
    acknowledged_alerts: list[str] = Field(default_factory=list)


def _request(payload: NumberChangeIn) -> number_changes.NumberChangeRequest:
    return number_changes.NumberChangeRequest(**payload.dict(exclude={"purpose"}))


@router.post("/resident-code", response=DRAFT_RESPONSES)
def change_resident_code(request: HttpRequest, payload: NumberChangeIn) -> Status[object]:
    """Enter a 住民票コードの変更 (請求 or 職権) as a draft (仮登録)."""
    draft = number_changes.record_resident_code_change(
        actor=request.user, purpose=payload.purpose, request=_request(payload)
    )
    return draft_created(draft)


@router.post("/kojin-bango", response=DRAFT_RESPONSES)
def change_individual_number(request: HttpRequest, payload: NumberChangeIn) -> Status[object]:
    """Enter a 個人番号の変更 (請求 with its reason, or 職権) as a draft (仮登録)."""
    draft = number_changes.record_individual_number_change(
        actor=request.user, purpose=payload.purpose, request=_request(payload)
    )
    return draft_created(draft)


@router.post("/resident-code-correction", response=DRAFT_RESPONSES)
def correct_resident_code(request: HttpRequest, payload: CorrectionIn) -> Status[object]:
    """Enter a 住民票コードの修正 (a wrongly recorded code, 職権) as a draft (仮登録)."""
    draft = number_changes.record_resident_code_correction(
        actor=request.user,
        purpose=payload.purpose,
        correction=number_changes.ResidentCodeCorrection(**payload.dict(exclude={"purpose"})),
    )
    return draft_created(draft)
