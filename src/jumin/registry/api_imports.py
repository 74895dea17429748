"""JSON API of the imports of 届出 data into drafts and of 証明書交付申請・券面事項 files into items for
review (standard 10.8-a), mounted at /api/registry/imports. Thin: parse, call
``registry.notification_imports`` or ``registry.item_imports``, return. Personal data travels in bodies only.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema, Status

from jumin.domain.errors import refusal
from jumin.registry import item_imports, notification_imports
from jumin.registry.api_common import ERRORS, DraftOut

router = Router(tags=["住民記録（届出データの取込）"])


class QrIn(Schema):
    purpose: str
    # The QR code's text as the reader gives it (JUMIN-TENSHUTSU/1, docs/certificates.md).
    payload: str


class QrMemberOut(Schema):
    """One mover as a member of ``POST /api/registry/move-ins`` (a foreign resident's
    ``nationality_code`` goes into ``foreign``; ``sex`` is "" when the code says neither 1 nor 2)."""

    kind: str
    surname: str
    given_name: str
    surname_kana: str
    given_name_kana: str
    birth_date: str
    sex: str
    relationship: str
    honseki: str
    hittousha: str
    nationality_code: str
    juminhyo_code: str


class QrOut(Schema):
    previous_address: str
    municipality: str
    members: list[QrMemberOut]


class CsvIn(Schema):
    purpose: str
    # The file's text (header row first; layout in docs/workflows/import.md).
    csv: str


class ImportedDraftOut(Schema):
    group: str
    rows: list[int]
    draft: DraftOut


class CsvOut(Schema):
    rows: int
    drafts: list[ImportedDraftOut]
    errors: list[notification_imports.RowError]


@router.post("/move-out-qr", response={200: QrOut, **ERRORS})
def read_move_out_qr(request: HttpRequest, payload: QrIn) -> Status[object]:
    """A 転出証明書's QR code as the starting data of a 転入 (nothing written but the audit entry)."""
    start = notification_imports.read_move_out_qr(
        actor=request.user, purpose=payload.purpose, payload=payload.payload
    )
    return Status(200, start)


@router.post("/notifications", response={200: CsvOut, **ERRORS})
def import_notifications(request: HttpRequest, payload: CsvIn) -> Status[object]:
    """Each 届出 of the CSV as a draft (転入, 転居, 転出, 世帯変更); refused rows listed by row and column."""
    result = notification_imports.import_notification_csv(
        actor=request.user, purpose=payload.purpose, content=payload.csv.encode("utf-8")
    )
    return Status(200, result)


class ItemsIn(Schema):
    purpose: str
    # ``certificate_application`` (証明書交付申請) or ``card_face`` (券面事項); docs/import-layout.md.
    kind: str
    csv: str


class ItemsOut(Schema):
    rows: int
    item_ids: list[int]
    errors: list[item_imports.ItemError]


class PendingIn(Schema):
    purpose: str


class DecisionIn(Schema):
    purpose: str
    item_id: int
    accept: bool
    reason: str = ""


@router.post("/items", response={200: ItemsOut, **ERRORS})
def import_items(request: HttpRequest, payload: ItemsIn) -> Status[object]:
    """Each row of a 証明書交付申請 or 券面事項 file as an item for review; a bad row stores nothing."""
    if payload.kind not in item_imports.LAYOUTS:
        raise refusal(
            "kind",
            "取込の種類が正しくありません。",
            "certificate_application か card_face を指定してください。",
            "import.item_kind",
        )
    result = item_imports.import_items(
        actor=request.user, purpose=payload.purpose, kind=payload.kind, content=payload.csv.encode("utf-8")
    )
    return Status(200, result)


@router.post("/items/pending", response={200: list[item_imports.PendingItem], **ERRORS})
def pending_items(request: HttpRequest, payload: PendingIn) -> Status[object]:
    """The imported items waiting for review (POST: the list holds personal data)."""
    return Status(200, item_imports.pending_items(actor=request.user, purpose=payload.purpose))


@router.post("/items/decide", response={204: None, **ERRORS})
def decide_item(request: HttpRequest, payload: DecisionIn) -> Status[None]:
    """確認済 or 不受理 (with its reason) of one item, by a clerk other than its importer."""
    item_imports.decide_item(
        actor=request.user,
        purpose=payload.purpose,
        item_id=payload.item_id,
        accept=payload.accept,
        reason=payload.reason,
    )
    return Status(204, None)
