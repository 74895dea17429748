"""JSON API of EUC extraction (standard 10.1; docs/euc.md), mounted at /api/registry/euc.

Thin like the screens: the services authorise (``euc:extract`` and the field-view rights), queue and
audit. Purposes, definitions and run numbers travel in bodies, never URLs.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from jumin.registry.api_common import ERRORS
from jumin.registry.euc import services
from jumin.registry.euc.catalogue import catalogue_items
from jumin.registry.euc.definition import describe, parse_definition
from jumin.registry.euc.writers import CsvEncoding, OutputFormat

router = Router(tags=["EUC抽出"])


class CatalogueItemOut(Schema):
    key: str
    label: str
    item_type: str
    length: int
    gaiji: bool
    codes: dict[str, str]
    permission: str
    numeric: bool


class RunIn(Schema):
    purpose: str
    definition: dict[str, Any]
    output_format: OutputFormat = OutputFormat.CSV
    encoding: CsvEncoding = CsvEncoding.UTF8_BOM
    approval_id: int | None = None


class RunOut(Schema):
    run_id: int


class DefinitionIn(Schema):
    purpose: str
    name: str
    definition: dict[str, Any]


class DefinitionOut(Schema):
    definition_id: int


class CheckIn(Schema):
    definition: dict[str, Any]


class CheckOut(Schema):
    conditions: str


class PurposeIn(Schema):
    purpose: str


class DownloadIn(Schema):
    purpose: str
    run_id: int


@router.get("/catalogue", response=list[CatalogueItemOut])
def catalogue(request: HttpRequest) -> list[dict[str, object]]:
    """The extractable items (名前・型・桁数・外字・コード); metadata only, no personal data."""
    return [
        {
            "key": item.key,
            "label": item.label,
            "item_type": item.item_type.value,
            "length": item.length,
            "gaiji": item.gaiji,
            "codes": item.codes,
            "permission": item.permission.value if item.permission else "",
            "numeric": item.numeric,
        }
        for item in catalogue_items()
    ]


@router.post("/definitions/check", response={200: CheckOut, **ERRORS})
def check_definition(request: HttpRequest, payload: CheckIn) -> Status[object]:
    """Check a definition (nested groups, functions, reference date) without saving or running it;
    answers the condition tree in words, or the Japanese error naming the item. No data is read."""
    return Status(200, {"conditions": describe(parse_definition(payload.definition))})


@router.post("/definitions", response={201: DefinitionOut, **ERRORS})
def save_definition(request: HttpRequest, payload: DefinitionIn) -> Status[object]:
    """Save a checked definition under the caller's own name for it; audited."""
    saved = services.save_definition(
        actor=request.user, purpose=payload.purpose, name=payload.name, raw=payload.definition
    )
    return Status(201, {"definition_id": saved})


@router.post("/runs", response={202: RunOut, **ERRORS})
def request_run(request: HttpRequest, payload: RunIn) -> Status[object]:
    """Queue an extraction; the background job writes the file and audits the people listed."""
    run_id = services.request_extraction(
        actor=request.user,
        purpose=payload.purpose,
        raw=payload.definition,
        output_format=payload.output_format,
        encoding=payload.encoding,
        approval_id=payload.approval_id,
    )
    return Status(202, {"run_id": run_id})


@router.post("/runs/list", response={200: list[services.RunSummary], **ERRORS})
def list_runs(request: HttpRequest, payload: PurposeIn) -> Status[object]:
    """The caller's own runs, newest first."""
    return Status(200, services.runs_of(actor=request.user, purpose=payload.purpose))


@router.post("/runs/download", response={400: ERRORS[400], 403: ERRORS[403]})
def download(request: HttpRequest, payload: DownloadIn) -> HttpResponse:
    """The file of the caller's own finished run; audited with its hash and count."""
    name, content_type, content = services.download_result(
        actor=request.user, purpose=payload.purpose, run_id=payload.run_id
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
