"""Each clerk's own search history, replayable (standard 2.1.1-a; docs/search.md "History").

Decision: the conditions of a search are personal data (names, birth dates, addresses of the people
looked for) and also a record of the clerk's work. They are kept

- sealed with the node's AES-256-GCM data key (``jumin.crypto.sealed``), with associated data that
  binds each entry to its clerk, so a copied row does not open for another clerk, and a database
  dump shows no condition;
- readable only by the clerk who searched: every read filters on the actor, and opening the
  conditions is authorised (``RESIDENT_SEARCH``) and audited (``resident:search_history:view``);
- without the 個人番号, ever: a replay of a 個人番号 search asks for the number again;
- for the last ``HISTORY_SIZE`` searches per clerk (setting ``JUMIN_SEARCH_HISTORY_SIZE``): older
  entries are deleted, which is the "set number" the standard asks for. The audit log keeps the
  kinds of conditions of every search for good; the history is a convenience, not the record.

A replay is a new search: ``search_residents`` authorises, audits (naming the replayed entry) and
saves it again.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.crypto.sealed import SealedSecretError, open_secret, seal_secret
from jumin.domain.errors import DomainError
from jumin.prepared import prepared_execute
from jumin.registry.models import SearchHistoryEntry

if TYPE_CHECKING:
    from jumin.registry.search import SearchCriteria

__all__ = [
    "HISTORY_SIZE",
    "HistoryItem",
    "SavedSearch",
    "condition_labels",
    "history_of",
    "remember",
    "saved_criteria",
]

HISTORY_SIZE = int(getattr(settings, "JUMIN_SEARCH_HISTORY_SIZE", 20))
_PURPOSE = "registry.search_history"

CONDITION_LABELS = {
    "kana_name": "フリガナ",
    "name": "氏名",
    "birth_date": "生年月日",
    "birth_period": "生年月日（年・年月）",
    "sex": "性別",
    "address_code": "住所コード",
    "address": "住所",
    "katagaki": "方書",
    "atena_number": "宛名番号",
    "household_number": "世帯番号",
    "juminhyo_code": "住民票コード",
    "residence_card_number": "在留カード番号",
    "special_permanent_resident_number": "特別永住者証明書番号",
    "individual_number": "個人番号",
    "relationship": "続柄",
    "removal_reason": "消除事由",
    "empty": "空欄",
}
"""Japanese names of the condition kinds in an audit summary (``kana_name_exact`` → フリガナ)."""


@dataclass(frozen=True)
class HistoryItem:
    """One saved search as the history list shows it: no condition values, only their kinds."""

    entry_id: int
    searched_at: datetime
    conditions: str
    result_count: int


@dataclass(frozen=True)
class SavedSearch:
    """The conditions of a saved search; ``needs_individual_number`` when it had one (never kept)."""

    criteria: SearchCriteria
    needs_individual_number: bool


def condition_labels(summary: str) -> str:
    """The kinds of an audit summary in Japanese, e.g. 「フリガナ・生年月日」."""
    labels: list[str] = []
    for kind in filter(None, summary.split("+")):
        label = next(
            (text for key, text in CONDITION_LABELS.items() if kind == key or kind.startswith(f"{key}_")),
            kind,
        )
        if label not in labels:
            labels.append(label)
    return "・".join(labels)


def _bound_purpose(user_id: int) -> str:
    # The clerk's id is part of the associated data: an entry opens only for its own clerk.
    return f"{_PURPOSE}:{user_id}"


@sensitive_variables("criteria", "document")
def remember(actor: Any, criteria: SearchCriteria, summary: str, result_count: int) -> None:
    """Save one executed search for its clerk (inside the search's transaction) and prune the oldest."""
    saved = {
        **asdict(replace(criteria, individual_number="")),
        "_individual_number_used": bool(criteria.individual_number.strip()),
    }
    document = json.dumps(saved, ensure_ascii=False)
    sealed = seal_secret(document, purpose=_bound_purpose(actor.pk))
    insert, prune, insert_and_prune = _history_statements()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    added = [actor.pk, now, summary[:300], result_count, sealed]
    # Prepared once per PostgreSQL connection (jumin.prepared): planning them cost more than running them.
    with connection.cursor() as django_cursor, prepared_execute(django_cursor) as (_, execute):
        if connection.vendor == "postgresql":
            # One round trip: the DELETE sees the rows from before the INSERT, so it keeps one fewer.
            execute(insert_and_prune, [*added, actor.pk, HISTORY_SIZE - 1])
        else:
            execute(insert, added)
            execute(prune, [actor.pk, HISTORY_SIZE])


@functools.cache
def _history_statements() -> tuple[str, str, str]:
    """The INSERT of one entry, the DELETE of the clerk's entries beyond ``HISTORY_SIZE``, and both as
    one statement (PostgreSQL: the INSERT in a WITH clause).

    Plain SQL built once per process: a search is P2-timed, and the ORM's save and delete cost more
    than the statements. The DELETE takes the stale ids as a subquery (no round trip for them).
    """
    quote = connection.ops.quote_name
    table = quote(SearchHistoryEntry._meta.db_table)
    insert = (
        f"INSERT INTO {table} (user_id, created_at, condition_kinds, result_count, sealed_criteria) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s)"
    )
    # SQLite needs a LIMIT before an OFFSET (-1: none); PostgreSQL takes the OFFSET alone.
    no_limit = "LIMIT -1 " if connection.vendor == "sqlite" else ""
    prune = (
        f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE user_id = %s "  # noqa: S608
        f"ORDER BY created_at DESC, id DESC {no_limit}OFFSET %s)"
    )
    return insert, prune, f"WITH added AS ({insert}) {prune}"


def history_of(actor: Any) -> list[HistoryItem]:
    """The actor's own saved searches, newest first (no values: nothing to audit)."""
    entries = SearchHistoryEntry.objects.filter(user=actor).order_by("-created_at", "-pk")[:HISTORY_SIZE]
    return [
        HistoryItem(
            entry_id=entry.pk,
            searched_at=entry.created_at,
            conditions=condition_labels(entry.condition_kinds),
            result_count=entry.result_count,
        )
        for entry in entries
    ]


def _no_entry() -> DomainError:
    return DomainError(
        field="entry_id",
        reason="この検索履歴はありません（自分の検索履歴だけを使えます。古い履歴は削除されます）。",
        remedy="検索履歴の一覧を開き直してください。",
        code="search_history.not_found",
    )


@sensitive_variables("document")
def saved_criteria(*, actor: Any, purpose: str, entry_id: int) -> SavedSearch:
    """The conditions of one of the actor's own saved searches, to re-run or start from; audited.

    Another clerk's entry is "not found" (it is never opened). An entry sealed under a retired key
    cannot be opened and is refused with the remedy of searching anew.
    """
    from jumin.registry.search import EmptyField, NameMatch, SearchCriteria

    authorize(
        actor=actor,
        permission=Permission.RESIDENT_SEARCH,
        action=AuditAction.RESIDENT_SEARCH_HISTORY_VIEW,
        purpose=purpose,
        subject_type="search_history",
        subject_id=str(entry_id),
    )
    with transaction.atomic():
        entry = SearchHistoryEntry.objects.filter(pk=entry_id, user=actor).first()
        if entry is None:
            raise _no_entry()
        try:
            document = json.loads(open_secret(entry.sealed_criteria, purpose=_bound_purpose(actor.pk)))
        except (SealedSecretError, ValueError):
            raise DomainError(
                field="entry_id",
                reason="この検索履歴は暗号鍵の更新により開けません。",
                remedy="条件を入力して新しく検索してください。",
                code="search_history.unreadable",
            ) from None
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_SEARCH_HISTORY_VIEW,
            subject_type="search_history",
            subject_id=str(entry.pk),
            purpose=purpose,
        )
    known = {item.name for item in fields(SearchCriteria)}
    values = {name: value for name, value in document.items() if name in known}
    values["name_mode"] = NameMatch(values.get("name_mode", NameMatch.EXACT))
    values["empty_fields"] = tuple(EmptyField(name) for name in values.get("empty_fields", ()))
    return SavedSearch(SearchCriteria(**values), bool(document.get("_individual_number_used")))
