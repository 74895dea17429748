"""附票 検索 at the 附票都道府県サーバ, and its 照会 to the 附票全国サーバ (system.md P2 4–5, N2 2–3).

Prefecture staff with ``prefecture:fuhyo:view`` look a person up by 住民票コード or by 4情報 in this
prefecture's 附票 file. A search that finds nobody here may be sent on to the 附票全国サーバ as
QUERY_FUHYO (the person's 附票 is kept by another prefecture), as the 本人確認情報 provision does with the
national node (F19a step 3). The key is checked by the same validator as the query before anything is
read. Every search is audited with its purpose, the kinds of keys (never their values), where it
was answered and, for a local answer, each record shown; the 附票 holds no 個人番号.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from jumin.accounts.authorization import authorize
from jumin.accounts.context import current_terminal_id
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_results
from jumin.jukinet.common.catalogue import QUERY_FUHYO
from jumin.jukinet.common.fuhyo import FUHYO_ITEMS, FuhyoState, fuhyo_items
from jumin.jukinet.common.keys import kana_key, name_key
from jumin.jukinet.common.queries import MAX_QUERY_RECORDS, query_summary, validate_fuhyo_query
from jumin.jukinet.prefecture.fuhyo import SUBJECT_TYPE
from jumin.jukinet.prefecture.models import FuhyoRecord
from jumin.jukinet.prefecture.provision.national import NATIONAL_NODE
from jumin.messaging import services as messaging

ACTION = AuditAction.PREFECTURE_FUHYO_SEARCH
#: Where an answer came from.
ANSWERED_HERE = "prefecture"
ANSWERED_BY_NATIONAL = "national"


@dataclass(frozen=True)
class FuhyoKey:
    """What the operator searches by: ``by`` is ``resident_code`` or ``four_items``; unused fields ""."""

    by: str
    resident_code: str = ""
    name: str = ""
    name_kana: str = ""
    birth_date: str = ""
    sex: str = ""
    address: str = ""
    include_deleted: bool = False


@dataclass(frozen=True)
class FuhyoSearchResult:
    """The 18 items of each person found (at most 50), where they were found and the truncation flag."""

    records: list[dict[str, Any]]
    answered_by: str
    truncated: bool


def _payload(key: FuhyoKey, *, actor: Any, purpose: str) -> dict[str, Any]:
    return {
        "by": key.by,
        "resident_code": key.resident_code.strip(),
        "name": key.name.strip(),
        "name_kana": key.name_kana.strip(),
        "birth_date": key.birth_date.strip(),
        "sex": key.sex,
        "address": key.address.strip(),
        "include_deleted": key.include_deleted,
        "purpose": purpose[:100],
        "operator_id": str(getattr(actor, "username", "") or "operator")[:64],
        "terminal_id": current_terminal_id() or "prefecture",
    }


def _matching(payload: dict[str, Any]) -> list[FuhyoRecord]:
    rows: QuerySet[FuhyoRecord] = FuhyoRecord.objects.all()
    if not payload["include_deleted"]:
        rows = rows.exclude(state=FuhyoState.DELETED)
    if payload["by"] == "resident_code":
        return list(rows.filter(resident_code=payload["resident_code"]))
    if payload["name"]:
        rows = rows.filter(name_key=name_key(payload["name"])[:200])
    if payload["name_kana"]:
        wanted = kana_key(payload["name_kana"])[:200]
        rows = rows.filter(kana_key=wanted) if wanted else rows.none()
    if payload["birth_date"]:
        rows = rows.filter(birth_date=payload["birth_date"])
    if payload["sex"]:
        rows = rows.filter(items__sex=payload["sex"])
    if payload["address"]:
        rows = rows.filter(items__address__startswith=payload["address"])
    # At most one more than shown, so the truncation is known without reading every match.
    return list(rows.order_by("resident_code")[: MAX_QUERY_RECORDS + 1])


def search_fuhyo(*, actor: Any, purpose: str, key: FuhyoKey, ask_national: bool = False) -> FuhyoSearchResult:
    """Search this prefecture's 附票 file; with ``ask_national``, send a search that found nobody here
    to the 附票全国サーバ. DomainError (nothing read, nothing written) for a malformed key; AccessRefused
    (audited) without the permission; the national node's refusal or absence as DomainError."""
    authorize(actor=actor, permission=Permission.PREFECTURE_FUHYO_VIEW, action=ACTION, purpose=purpose)
    payload = _payload(key, actor=actor, purpose=purpose)
    validate_fuhyo_query(payload)
    found = _matching(payload)
    shown = found[:MAX_QUERY_RECORDS]
    answered_by = ANSWERED_HERE
    records = [fuhyo_items(row.items) for row in shown]
    truncated = len(found) > MAX_QUERY_RECORDS
    if not found and ask_national:
        # Outside any transaction: no database work waits on the network (the send is audited by messaging).
        answer = messaging.query(query_type=QUERY_FUHYO, receiver=NATIONAL_NODE, payload=payload, actor=actor)
        answered_by = ANSWERED_BY_NATIONAL
        records = [{name: record[name] for name in FUHYO_ITEMS} for record in answer["records"]]
        truncated = bool(answer["truncated"])
    record_results(
        actor,
        SUBJECT_TYPE,
        [str(row.pk) for row in shown],
        purpose,
        query_summary(payload),
        action=ACTION,
        reason=f"answered by {answered_by} include_deleted {payload['include_deleted']}",
        result_count=len(records),
    )
    return FuhyoSearchResult(records=records, answered_by=answered_by, truncated=truncated)
