"""One search over both databases (standard 1.1.5-f, 1.1.5-g): live first, the 除票データベース when
the live search finds nobody.

The live search (``search.search_residents``) runs unchanged. A search that admits 除票 (「除票も
検索する」 or a 消除事由) and finds nobody live is run again on the archive's key rows, with the same
conditions (``search.search_filter`` applies to ``ArchivedSearchKey``, whose columns are those of
``ResidentSearchKey``). Archive hits are listed in 処理日 order of their removal and audited like
live ones, in the transaction of the read, with the reason ``removed_archive``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.views.decorators.debug import sensitive_variables

from jumin.audit.actions import AuditAction
from jumin.audit.services import record_results
from jumin.crypto.models import filter_by_individual_number
from jumin.domain import recorded_dates
from jumin.domain.resident import ResidentKind, ResidentStatus
from jumin.registry import search, search_history
from jumin.registry.models import ResidentSnapshot
from jumin.registry.models_removed_archive import ArchivedSearchKey, ArchivedSnapshot
from jumin.registry.removed_archive import currently_archived, snapshot_from_archive
from jumin.registry.restrictions import marks_of_people

LIVE = "live"
ARCHIVE = "archive"


@dataclass(frozen=True)
class LayeredSearchResult(search.SearchResult):
    """A search result and where it came from: ``live`` or ``archive`` (the 除票データベース)."""

    source: str = LIVE


def _matched(kind: str, is_current_name: bool, is_current_address: bool) -> str:
    if not is_current_address:
        return "past_address"
    return kind if is_current_name else "past_name"


@sensitive_variables("criteria")
def _archive_filter(criteria: search.SearchCriteria) -> Q:
    q = search.search_filter(criteria)
    if criteria.individual_number.strip():
        people = filter_by_individual_number(
            ResidentSnapshot.objects.filter(current_of__isnull=False), criteria.individual_number
        ).values_list("resident_id", flat=True)
        q &= Q(resident_id__in=list(people))
    return q


def _archive_hits(criteria: search.SearchCriteria) -> tuple[list[search.SearchHit], bool]:
    keys = (
        ArchivedSearchKey.objects.filter(_archive_filter(criteria))
        .filter(entry__in=currently_archived())
        .values_list("resident_id", "entry_id", "kind", "is_current_name", "is_current_address")
    )
    matched: dict[int, list[str]] = {}
    entry_of: dict[int, int] = {}
    for resident_id, entry_id, kind, is_current_name, is_current_address in keys:
        label = _matched(kind, is_current_name, is_current_address)
        if label not in matched.setdefault(resident_id, []):
            matched[resident_id].append(label)
        entry_of[resident_id] = entry_id
    entries = (
        currently_archived()
        .filter(pk__in=set(entry_of.values()))
        .order_by("removal_processed_at", "atena_number")
    )
    ordered = list(entries[: criteria.limit + 1])
    has_more = len(ordered) > criteria.limit
    ordered = ordered[: criteria.limit]
    wanted = {(entry.resident_id, entry.through_history_no) for entry in ordered}
    copies = {
        (copy.resident_id, copy.history_no): copy
        for copy in ArchivedSnapshot.objects.filter(
            resident_id__in={pk for pk, _ in wanted}, history_no__in={no for _, no in wanted}
        )
    }
    rows = [
        (entry, snapshot_from_archive(copies[entry.resident_id, entry.through_history_no]))
        for entry in ordered
    ]
    marks = marks_of_people(
        {entry.atena_number: (entry.resident_id, row.household_id) for entry, row in rows}
    )
    hits = []
    for entry, row in rows:
        mark = marks.get(entry.atena_number)
        hits.append(
            search.SearchHit(
                atena_number=entry.atena_number,
                status=row.status,
                kind=row.kind,
                surname=row.surname,
                given_name=row.given_name,
                surname_kana=row.surname_kana,
                given_name_kana=row.given_name_kana,
                birth_date=recorded_dates.display(
                    recorded_dates.from_json(row.birth_date), gregorian=row.kind == ResidentKind.FOREIGN
                ),
                sex=row.sex,
                address=row.address,
                katagaki=row.katagaki,
                household_number=row.household.number,
                relationship=row.relationship,
                removal_reason=row.removal_reason,
                is_removed=row.status == ResidentStatus.REMOVED,
                matched_on=tuple(sorted(matched[entry.resident_id])),
                suppressed=bool(mark and mark.suppressed),
                support_measure=bool(mark and mark.support_measure),
            )
        )
    return hits, has_more


def search_live_then_archive(
    *, actor: Any, purpose: str, criteria: search.SearchCriteria
) -> LayeredSearchResult:
    """住民検索 over both databases (1.1.5-f): the live search, then the archive when it found nobody.

    The live search authorises, checks and audits as always (refusals come from it). The archive is
    searched only for a search that admits 除票; its hits are audited in the read's transaction.
    """
    live = search.search_residents(actor=actor, purpose=purpose, criteria=criteria)
    return _or_archive(actor, purpose, live, lambda: criteria)


def replay_live_then_archive(
    *, actor: Any, purpose: str, entry_id: int, individual_number: str = ""
) -> LayeredSearchResult:
    """A saved search re-run over both databases (2.1.1-a, 1.1.5-f): ``search.replay_search``, then,
    when it found nobody, the archive with the saved conditions (opened again, audited)."""
    live = search.replay_search(
        actor=actor, purpose=purpose, entry_id=entry_id, individual_number=individual_number
    )

    def saved() -> search.SearchCriteria:
        criteria = search_history.saved_criteria(actor=actor, purpose=purpose, entry_id=entry_id).criteria
        return replace(criteria, individual_number=individual_number)

    return _or_archive(actor, purpose, live, saved)


def _or_archive(
    actor: Any, purpose: str, live: search.SearchResult, conditions: Callable[[], search.SearchCriteria]
) -> LayeredSearchResult:
    """``live`` if it found somebody; else, for conditions admitting 除票, the archive's answer."""
    if live.hits:
        return LayeredSearchResult(hits=live.hits, has_more=live.has_more, limit=live.limit, source=LIVE)
    criteria = conditions()
    if not (criteria.include_removed or criteria.removal_reason):
        return LayeredSearchResult(hits=live.hits, has_more=live.has_more, limit=live.limit, source=LIVE)
    with transaction.atomic():
        hits, has_more = _archive_hits(criteria)
        record_results(
            actor,
            "resident",
            [hit.atena_number for hit in hits],
            purpose,
            "removed_archive",
            action=AuditAction.RESIDENT_RECORD_LIST,
            reason="removed_archive",
            individual_number_used=bool(criteria.individual_number.strip()),
        )
    return LayeredSearchResult(hits=hits, has_more=has_more, limit=criteria.limit, source=ARCHIVE)
