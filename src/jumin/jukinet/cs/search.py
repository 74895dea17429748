"""本人確認情報検索 and 機構への照会 (system.md M3 items 4–5, F12 steps 4–5; controls.md C-32).

The CS file is searched first; 「都道府県に照会」 asks the prefecture (QUERY_IDENTITY) and
「機構への照会」 the national node. Every search names its purpose and is audited with the persons that
appeared in the results; a 4情報 search needs two items other than sex (``domain.search_guard``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, Value
from django.db.models.functions import Replace

from jumin.accounts.authorization import AccessRefused, authorize, mask
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event, record_results
from jumin.crypto.models import filter_by_individual_number
from jumin.domain.errors import DomainError, refusal
from jumin.domain.search_guard import IdentitySearchCriteria, check_identity_search
from jumin.jukinet.common.catalogue import QUERY_IDENTITY
from jumin.jukinet.common.notice import IdentityNotice, notice_from_payload
from jumin.jukinet.common.queries import MAX_QUERY_RECORDS
from jumin.jukinet.cs import access, restriction_marks
from jumin.jukinet.cs.models import CsIdentity
from jumin.jukinet.cs.operators import operator_ids
from jumin.jukinet.cs.persons import PERSON_SUBJECT_TYPE, person_ids
from jumin.jukinet.cs.services import NATIONAL, local_municipality_code, notice_of, prefecture_of
from jumin.jukinet.cs.updates import seion_kana
from jumin.messaging.services import query

BY = ("resident_code", "individual_number", "four_items")
TARGETS = ("local", "prefecture", "national")
_SPACES = re.compile(r"[\s\u3000]+")
_BIRTH = re.compile(r"^\d{4}(\d{2}(\d{2})?)?$")


@dataclass(frozen=True)
class IdentitySearch:
    """What the operator entered; unused items are ""."""

    by: str
    resident_code: str = ""
    individual_number: str = ""
    name: str = ""
    name_kana: str = ""
    birth_date: str = ""  # YYYY, YYYYMM or YYYYMMDD
    sex: str = ""
    address: str = ""
    include_removed: bool = False
    reason: str = ""  # 照会の目的 (1–100 characters), sent with every query


@dataclass(frozen=True)
class FoundRecord:
    """One 本人確認情報 as the screen shows it, masked per ``found_record`` (C-9, C-10, C-11)."""

    resident_code: str
    name: str
    name_kana: str
    birth_date: str
    sex: str
    address: str
    individual_number: str
    former_surname: str
    change_reason: str
    change_date: str
    removed: bool
    # An issuance 抑止 or 支援措置 of the registry is in force (std 3.1-g): a mark only, never why.
    restricted: bool = False


@dataclass(frozen=True)
class SearchOutcome:
    """The records found (at most 50) and whether more matched."""

    target: str
    records: list[FoundRecord]
    truncated: bool


def _bad(field: str, reason: str, remedy: str) -> DomainError:
    return refusal(field, reason, remedy, "jukinet.cs.search")


def check_search(search: IdentitySearch) -> None:
    """Refuse an incomplete or mining search before anything is read (C-32)."""
    if search.by not in BY:
        raise _bad(
            "by", "検索の種類が不正です。", "住民票コード、個人番号、4情報のいずれかを選んでください。"
        )
    if not search.reason.strip() or len(search.reason) > 100:
        raise _bad("reason", "照会の目的が未入力か長すぎます。", "目的を100文字以内で入力してください。")
    if search.by == "resident_code":
        check_identity_search(IdentitySearchCriteria(juminhyo_code=search.resident_code or "x"))
        return
    if search.by == "individual_number":
        check_identity_search(IdentitySearchCriteria(individual_number=search.individual_number or "x"))
        return
    if search.birth_date and not _BIRTH.match(search.birth_date):
        raise _bad(
            "birth_date", "生年月日の形式が不正です。", "YYYY、YYYYMM または YYYYMMDD で入力してください。"
        )
    if search.sex not in ("", "male", "female"):
        raise _bad("sex", "性別の値が不正です。", "男または女を選んでください。")
    birth = search.birth_date
    check_identity_search(
        IdentitySearchCriteria(
            surname=search.name or search.name_kana or None,
            birth_year=int(birth[:4]) if birth else None,
            birth_month=int(birth[4:6]) if len(birth) >= 6 else None,
            birth_day=int(birth[6:8]) if len(birth) == 8 else None,
            address=search.address or None,
            sex=search.sex or None,
        )
    )


def found_record(
    notice: IdentityNotice, *, visible: frozenset[Permission], single: bool = False, restricted: bool = False
) -> FoundRecord:
    """The screen form of a notice, masked by the actor's field grants (``access.visible_items``).

    The 住民票コード needs FIELD_JUMINHYO_CODE_VIEW (C-10). The 個人番号 is never shown on a list of
    results (C-11): only a ``single`` record (the card check, beside name and birth date) shows it, and
    then only with 特定個人情報アクセス権限 and FIELD_INDIVIDUAL_NUMBER_VIEW (C-9, C-10).
    """
    number_visible = single and Permission.FIELD_INDIVIDUAL_NUMBER_VIEW in visible
    return FoundRecord(
        resident_code=access.shown_resident_code(notice.resident_code, visible),
        name=notice.name,
        name_kana=notice.name_kana,
        birth_date=notice.birth_date,
        sex=notice.sex,
        address=notice.address,
        individual_number=mask(notice.individual_number, visible=number_visible)
        if notice.individual_number
        else "",
        former_surname=notice.former_surname,
        change_reason=notice.change_reason,
        change_date=notice.change_date,
        removed=notice.removed,
        restricted=restricted,
    )


def _shown(notices: list[IdentityNotice], visible: frozenset[Permission]) -> list[FoundRecord]:
    """The screen rows, each marked when the registry's 抑止マーク is in force (std 3.1-f, 3.1-g)."""
    marked = restriction_marks.marked_codes(n.resident_code for n in notices)
    return [found_record(n, visible=visible, restricted=n.resident_code in marked) for n in notices]


def _local_rows(search: IdentitySearch) -> list[CsIdentity]:
    rows = CsIdentity.objects.select_related("current")
    if not search.include_removed:
        rows = rows.filter(removed=False)
    if search.by == "resident_code":
        rows = rows.filter(resident_code=search.resident_code.strip())
    elif search.by == "individual_number":
        rows = filter_by_individual_number(rows, search.individual_number.strip())
    else:
        if search.name.strip():
            plain = Replace(Replace("name", Value("\u3000"), Value("")), Value(" "), Value(""))
            rows = rows.annotate(plain_name=plain).filter(plain_name__contains=_SPACES.sub("", search.name))
        if search.name_kana.strip():
            rows = rows.filter(name_kana_seion__startswith=seion_kana(search.name_kana))
        if search.birth_date:
            rows = rows.filter(birth_date__startswith=search.birth_date)
        if search.sex:
            rows = rows.filter(sex=search.sex)
        if search.address.strip():
            rows = rows.filter(Q(address__contains=search.address.strip()))
    return list(rows.order_by("resident_code")[: MAX_QUERY_RECORDS + 1])


def _summary(search: IdentitySearch) -> str:
    if search.by != "four_items":
        return search.by
    kinds = [
        kind
        for kind, value in (
            ("name", search.name),
            ("kana_name", search.name_kana),
            ("birth_date", search.birth_date),
            ("sex", search.sex),
            ("address", search.address),
        )
        if value.strip()
    ]
    return "+".join(kinds) or "none"


def search_identity(
    *, actor: Any, purpose: str, search: IdentitySearch, target: str = "local"
) -> SearchOutcome:
    """Search the CS file (``local``) or ask the prefecture or the national node; audited."""
    if target not in TARGETS:
        raise _bad("target", "照会先が不正です。", "CS、都道府県、機構のいずれかを選んでください。")
    action = AuditAction.CS_IDENTITY_SEARCH if target == "local" else AuditAction.CS_IDENTITY_QUERY
    access.require(
        actor=actor,
        permission=Permission.CS_SEARCH,
        action=action,
        purpose=purpose,
        subject_type="cs_identity",
    )
    if search.by == "individual_number":
        # 特定個人情報: the 個人番号 search needs its own grant as well (C-9).
        authorize(
            actor=actor,
            permission=Permission.INDIVIDUAL_NUMBER_ACCESS,
            action=action,
            purpose=purpose,
            subject_type="cs_identity",
        )
    check_search(search)
    visible = access.visible_items(actor)
    if target == "local":
        with transaction.atomic():
            rows = _local_rows(search)
            truncated = len(rows) > MAX_QUERY_RECORDS
            rows = rows[:MAX_QUERY_RECORDS]
            notices = [notice_of(row.current) for row in rows]
            # Each person listed "appeared in the results" (C-48), under their CS person id.
            record_results(
                actor,
                PERSON_SUBJECT_TYPE,
                person_ids([row.resident_code for row in rows]),
                purpose,
                _summary(search),
                action=action,
                reason=search.reason[:100],
                # The 個人番号 is searched by, never shown on this list (C-11).
                individual_number_used=search.by == "individual_number",
                result_count=len(rows),
            )
        return SearchOutcome(target, _shown(notices, visible), truncated)
    return _remote(actor=actor, purpose=purpose, search=search, target=target, visible=visible, action=action)


def _remote(
    *,
    actor: Any,
    purpose: str,
    search: IdentitySearch,
    target: str,
    visible: frozenset[Permission],
    action: AuditAction,
) -> SearchOutcome:
    receiver = prefecture_of(local_municipality_code()) if target == "prefecture" else NATIONAL
    four = search.by == "four_items"
    operator_id, terminal_id = operator_ids(actor)
    payload = {
        "by": search.by,
        "resident_code": search.resident_code.strip() if search.by == "resident_code" else "",
        "individual_number": search.individual_number.strip() if search.by == "individual_number" else "",
        "name": search.name if four else "",
        "name_kana": search.name_kana if four else "",
        "birth_date": search.birth_date if four and len(search.birth_date) == 8 else "",
        "sex": search.sex if four else "",
        "address": search.address if four else "",
        "include_removed": search.include_removed,
        "purpose": search.reason[:100],
        "operator_id": operator_id,
        "terminal_id": terminal_id,
    }
    try:
        answer = query(query_type=QUERY_IDENTITY, receiver=receiver, payload=payload, actor=actor)
    except DomainError as error:
        with transaction.atomic():
            record_event(
                actor=actor,
                action=action,
                subject_type="cs_identity",
                purpose=purpose,
                reason=f"to {receiver}",
                outcome=Outcome.REFUSED,
                outcome_reason=error.code[:100],
                query_summary=_summary(search),
            )
        raise
    notices = [notice_from_payload(record) for record in answer["records"]]
    with transaction.atomic():
        record_event(
            actor=actor,
            action=action,
            subject_type="cs_identity",
            purpose=purpose,
            reason=f"to {receiver}: {search.reason[:100]}",
            individual_number_used=search.by == "individual_number",
            query_summary=_summary(search),
            result_count=len(notices),
            concerning=person_ids([notice.resident_code for notice in notices]),
        )
    return SearchOutcome(target, _shown(notices, visible), bool(answer["truncated"]))


__all__ = [
    "AccessRefused",
    "FoundRecord",
    "IdentitySearch",
    "SearchOutcome",
    "check_search",
    "search_identity",
]
