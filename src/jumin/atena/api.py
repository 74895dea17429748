"""JSON API of the 団体内統合宛名 system (Django Ninja), mounted at /api/atena. Thin: parse, call, return.

The feed answers CSV (``text/csv``, UTF-8) with the next cursor in the ``X-Atena-Cursor`` header and
``X-Atena-Complete: 0`` when a delta has more rows to ask for. The purpose travels in the body.
"""

from __future__ import annotations

from dataclasses import asdict

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from jumin.atena import selectors, services
from jumin.atena.feed import write_csv

router = Router(tags=["団体内統合宛名"])


class PurposeIn(Schema):
    purpose: str


class DeltaIn(PurposeIn):
    since: int = 0


class FullIn(PurposeIn):
    as_of: int | None = None


def _csv(extract: selectors.FeedExtract) -> HttpResponse:
    response = HttpResponse(write_csv(extract.rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="atena-{extract.kind}-{extract.cursor}.csv"'
    response["X-Atena-Cursor"] = str(extract.cursor)
    response["X-Atena-Complete"] = "1" if extract.complete else "0"
    return response


@router.post("/status", response={200: dict})
def status(request: HttpRequest, payload: PurposeIn) -> Status[object]:
    """The delivery's status: last event applied, lag, what is held and the remedy."""
    return Status(200, asdict(selectors.sync_status(actor=request.user, purpose=payload.purpose)))


@router.post("/sync", response={202: dict})
def sync(request: HttpRequest, payload: PurposeIn) -> Status[object]:
    """Queue a delivery round now (``network:operate``)."""
    services.request_sync(actor=request.user, purpose=payload.purpose)
    return Status(202, {"queued": True})


@router.post("/feed/full")
def feed_full(request: HttpRequest, payload: FullIn) -> HttpResponse:
    """宛名連携: everyone's newest 宛名 values (CSV), and the cursor to ask deltas from."""
    return _csv(selectors.full_extract(actor=request.user, purpose=payload.purpose, as_of=payload.as_of))


@router.post("/feed/delta")
def feed_delta(request: HttpRequest, payload: DeltaIn) -> HttpResponse:
    """宛名連携: the 宛名 values applied after ``since`` (CSV), oldest first."""
    return _csv(selectors.delta_extract(actor=request.user, purpose=payload.purpose, since=payload.since))
