"""JSON API of 住民検索, the search history and the inquiry reads (Django Ninja). Thin.

``router`` is mounted at /api/registry/search, ``inquiry_router`` at /api/registry/inquiry. Search
conditions and 宛名番号 travel in request bodies, never in URLs; a history entry's id is not
personal data.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from jumin.registry import inquiry, removed_archive_search, search, search_history
from jumin.registry.api_common import ERRORS

router = Router(tags=["住民検索"])
inquiry_router = Router(tags=["住民照会"])


class SearchCriteriaIn(Schema):
    """Search conditions (standard 2.1.2, 2.1.3; docs/search.md); every given condition must hold."""

    kana_name: str = ""
    kanji_name: str = ""
    name_mode: search.NameMatch = search.NameMatch.EXACT
    birth_date: str = ""
    sex: str = ""
    address_code: str = ""
    address: str = ""
    katagaki: str = ""
    relationship: str = ""
    atena_number: str = ""
    household_number: str = ""
    juminhyo_code: str = ""
    residence_card_number: str = ""
    special_permanent_resident_number: str = ""
    individual_number: str = ""
    removal_reason: str = ""
    empty_fields: list[search.EmptyField] = Field(default_factory=list)
    include_removed: bool = False
    include_past_names: bool = True
    include_past_addresses: bool = True
    limit: int = search.DEFAULT_LIMIT


class SearchIn(Schema):
    purpose: str
    criteria: SearchCriteriaIn


class ReplayIn(Schema):
    purpose: str
    individual_number: str = ""


class PurposeIn(Schema):
    purpose: str


class InquiryIn(Schema):
    purpose: str
    atena_number: str
    acknowledged_alerts: list[str] = Field(default_factory=list)  # codes of the 抑止 alerts confirmed


class HistoryItemOut(Schema):
    entry_id: int
    searched_at: datetime
    conditions: str
    result_count: int


@router.post("", response={200: removed_archive_search.LayeredSearchResult, **ERRORS})
def search_residents(request: HttpRequest, payload: SearchIn) -> Status[object]:
    """住民検索 (standard 2.1.2, 2.1.3): conditions in the body, never the URL; audited as listed.

    Live first; a search admitting 除票 that finds nobody live is run on the 除票データベース
    (1.1.5-f); ``source`` says which answered (``live`` or ``archive``).
    """
    data = payload.criteria.dict()
    data["empty_fields"] = tuple(data["empty_fields"])
    criteria = search.SearchCriteria(**data)
    return Status(
        200,
        removed_archive_search.search_live_then_archive(
            actor=request.user, purpose=payload.purpose, criteria=criteria
        ),
    )


@router.get("/history", response=list[HistoryItemOut])
def list_history(request: HttpRequest) -> list[search_history.HistoryItem]:
    """The caller's own saved searches, newest first: kinds of condition and counts, no values."""
    return search_history.history_of(request.user)


@router.post("/history/{entry_id}/criteria", response={200: SearchCriteriaIn, **ERRORS})
def history_criteria(request: HttpRequest, entry_id: int, payload: PurposeIn) -> Status[object]:
    """The conditions of one of the caller's saved searches, to start from (audited; no 個人番号)."""
    saved = search_history.saved_criteria(actor=request.user, purpose=payload.purpose, entry_id=entry_id)
    return Status(200, saved.criteria)


@router.post(
    "/history/{entry_id}/rerun", response={200: removed_archive_search.LayeredSearchResult, **ERRORS}
)
def rerun_history(request: HttpRequest, entry_id: int, payload: ReplayIn) -> Status[object]:
    """Re-run one of the caller's saved searches: authorised and audited like a new search, live
    first and then the 除票データベース (1.1.5-f)."""
    return Status(
        200,
        removed_archive_search.replay_live_then_archive(
            actor=request.user,
            purpose=payload.purpose,
            entry_id=entry_id,
            individual_number=payload.individual_number,
        ),
    )


@inquiry_router.post("/timeline", response={200: inquiry.Timeline, **ERRORS})
def timeline(request: HttpRequest, payload: InquiryIn) -> Status[object]:
    """異動履歴 of one person with the changed items (standard 2.2.1-a); audited."""
    return Status(
        200,
        inquiry.resident_timeline(
            actor=request.user,
            purpose=payload.purpose,
            atena_number=payload.atena_number,
            acknowledged_alerts=payload.acknowledged_alerts,
        ),
    )


@inquiry_router.post("/glyphs", response={200: list[inquiry.NameGlyphs], **ERRORS})
def glyphs(request: HttpRequest, payload: InquiryIn) -> Status[object]:
    """Each name's characters with code points, IVS included (standard 2.2.3-a); audited."""
    return Status(
        200,
        inquiry.resident_glyphs(
            actor=request.user,
            purpose=payload.purpose,
            atena_number=payload.atena_number,
            acknowledged_alerts=payload.acknowledged_alerts,
        ),
    )
