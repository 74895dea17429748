"""JSON API of provision, transfer and disclosure (thin: services and selectors only).

Search keys and 住民票コード travel in POST bodies, never in URLs.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from jumin.jukinet.prefecture.provision import bodies, exchanges, provide, selectors
from jumin.jukinet.prefecture.provision.keys import SearchKey

router = Router(tags=["都道府県 提供・移転・開示"])


class ProvideIn(Schema):
    basis_id: int
    by: str
    resident_code: str = ""
    individual_number: str = ""
    name: str = ""
    name_kana: str = ""
    birth_date: str = ""
    sex: str = ""
    address: str = ""
    ask_national: bool = False
    purpose: str = "provision_terminal"


class ProvideOut(Schema):
    outcome: str
    items: list[str]
    persons: list[dict[str, str]]
    match_count: int


class HistoryIn(Schema):
    resident_code: str
    purpose: str = "provision_disclosure"


class ProvisionStatusIn(Schema):
    resident_code: str
    purpose: str


class HistoryOut(Schema):
    provided_at: str
    body: str
    basis: str
    article: str
    kind: str
    channel: str
    items: list[str]


class BodyOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    ordinance: str
    bases: list[dict[str, object]]


class StatisticsOut(Schema):
    month: str
    body: str
    basis: str
    kind: str
    outcome: str
    count: int


@router.post("/provide", response=ProvideOut)
def provide_endpoint(request: HttpRequest, payload: ProvideIn) -> ProvideOut:
    """Individual provision or transfer (業務端末); refused and not-found requests are logged too."""
    key = SearchKey(
        by=payload.by,
        resident_code=payload.resident_code,
        individual_number=payload.individual_number,
        name=payload.name,
        name_kana=payload.name_kana,
        birth_date=payload.birth_date,
        sex=payload.sex,
        address=payload.address,
    )
    result = provide.provide(
        actor=request.user,
        basis_id=payload.basis_id,
        key=key,
        purpose=payload.purpose,
        ask_national=payload.ask_national,
    )
    return ProvideOut(
        outcome=result.outcome,
        items=result.item_codes,
        persons=result.persons,
        match_count=result.match_count,
    )


@router.post("/provision-status")
def provision_status_endpoint(request: HttpRequest, payload: ProvisionStatusIn) -> dict[str, Any]:
    """本人確認情報の提供状況 of one person: the audit log's exchanges and the provision log (開示担当)."""
    status = exchanges.provision_status(
        actor=request.user, purpose=payload.purpose, resident_code=payload.resident_code
    )
    return dataclasses.asdict(status)


@router.post("/history", response=list[HistoryOut])
def history_endpoint(request: HttpRequest, payload: HistoryIn) -> list[HistoryOut]:
    """A person's provision history (開示担当)."""
    entries = selectors.provision_history(
        actor=request.user, resident_code=payload.resident_code, purpose=payload.purpose
    )
    return [
        HistoryOut(
            provided_at=entry.provided_at.isoformat(),
            body=entry.body,
            basis=entry.basis,
            article=entry.article,
            kind=entry.kind,
            channel=entry.channel,
            items=entry.items,
        )
        for entry in entries
    ]


@router.get("/bodies", response=list[BodyOut])
def bodies_endpoint(request: HttpRequest, purpose: str = "provision_admin") -> list[BodyOut]:
    """The register of requesting bodies with their bases and items."""
    return [
        BodyOut(
            id=body.pk,
            code=body.code,
            name=body.name,
            kind=body.kind,
            ordinance=body.ordinance,
            bases=[
                {
                    "id": basis.pk,
                    "code": basis.code,
                    "label": basis.label,
                    "article": basis.article,
                    "items": basis.allowed_items,
                }
                for basis in body.bases.all()
            ],
        )
        for body in bodies.list_bodies(actor=request.user, purpose=purpose)
    ]


@router.get("/statistics", response=list[StatisticsOut])
def statistics_endpoint(
    request: HttpRequest, since: date, until: date, purpose: str = "provision_admin"
) -> list[StatisticsOut]:
    """Provisions per requesting body, basis and month, refused included."""
    rows = selectors.provision_statistics(actor=request.user, since=since, until=until, purpose=purpose)
    return [
        StatisticsOut(
            month=row.month,
            body=row.body,
            basis=row.basis,
            kind=row.kind,
            outcome=row.outcome,
            count=row.count,
        )
        for row in rows
    ]
