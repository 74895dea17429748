"""The per-person index of search results (``listings``): complete before, during and after the copy."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from jumin.audit import listings
from jumin.audit.actions import AuditAction
from jumin.audit.exchanges import exchanges_concerning
from jumin.audit.models import AuditEntry, ListedIndexHead, ListedSubject
from jumin.audit.selectors import access_history, verify_chain
from jumin.audit.services import record_event, record_results
from tests.audit.conftest import drop_append_only_guards

pytestmark = pytest.mark.django_db


def _listed_seqs(person: str) -> list[int]:
    return [int(row["seq"]) for row in access_history("resident", person) if row["kind"] == "listed"]


def test_a_search_is_in_the_access_history_before_and_after_the_copy_exactly_once() -> None:
    first = record_results(None, "resident", ["r1", "r2"], "resident_counter", "kana_name")
    second = record_results(None, "resident", ["r2", "r3"], "resident_counter", "kana_name")
    assert _listed_seqs("r2") == [second.seq, first.seq]  # nothing copied yet: read from the result rows

    assert listings.index_listed(batch_rows=2, max_batches=1) == 2  # the first search only
    assert listings.indexed_through() == first.id
    third = record_results(None, "resident", ["r2"], "resident_counter", "kana_name")
    assert _listed_seqs("r2") == [third.seq, second.seq, first.seq]  # half copied, half not

    assert listings.index_listed() == 3
    assert listings.indexed_through() == third.id
    assert _listed_seqs("r2") == [third.seq, second.seq, first.seq]
    assert _listed_seqs("r1") == [first.seq]
    assert listings.index_listed() == 0  # caught up: nothing copied twice
    assert ListedSubject.objects.filter(subject_id="r2").count() == 3
    assert verify_chain().intact


def test_a_batch_takes_whole_result_lists() -> None:
    big = record_results(None, "resident", [f"r{i}" for i in range(7)], "resident_counter", "kana_name")
    record_results(None, "resident", ["r1"], "resident_counter", "kana_name")
    assert listings.index_listed(batch_rows=3, max_batches=1) == 7
    assert listings.indexed_through() == big.id


def test_the_history_keeps_only_the_subject_type_asked_for_and_pages_through_many_listings() -> None:
    for _ in range(7):
        record_results(None, "resident", ["x1"], "resident_counter", "kana_name")
    record_results(None, "other", ["x1"], "resident_counter", "kana_name")
    listings.index_listed()
    listed = [row for row in access_history("resident", "x1", limit=5) if row["kind"] == "listed"]
    assert len(listed) == 5
    seqs = [int(row["seq"]) for row in listed]
    assert seqs == sorted(seqs, reverse=True)
    assert AuditEntry.objects.get(seq=seqs[0]).subject_type == "resident"


def test_an_exchange_is_not_crowded_out_by_newer_searches_listing_the_same_person(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    exchange = record_results(None, "cs", ["77"], "jukinet", "code", action=AuditAction.CS_CARD_ISSUE)
    monkeypatch.setattr(listings, "PAGE", 2)  # so the exchange lies several pages down
    for _ in range(6):
        record_results(None, "resident", ["77"], "resident_counter", "kana_name")
    listings.index_listed(batch_rows=1)
    found = exchanges_concerning(
        person_ids=["77"], kinds={AuditAction.CS_CARD_ISSUE.value: "カード交付"}, limit=1
    )
    assert [row.seq for row in found] == [exchange.seq]


def test_verify_finds_a_listing_removed_from_the_index() -> None:
    record_event(actor=None, action=AuditAction.RESIDENT_RECORD_VIEW)
    record_results(None, "resident", ["r1", "r2"], "resident_counter", "kana_name")
    listings.index_listed()
    assert verify_chain().intact
    drop_append_only_guards()
    ListedSubject.objects.filter(subject_id="r2").delete()
    verdict = verify_chain()
    assert (verdict.first_broken_seq, verdict.problem) == (2, "listed_index")


def test_the_index_rows_are_append_only_and_the_head_only_moves_forward() -> None:
    record_results(None, "resident", ["r1"], "resident_counter", "kana_name")
    listings.index_listed()
    with pytest.raises(DatabaseError), transaction.atomic():
        ListedSubject.objects.all().delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        ListedIndexHead.objects.filter(id=1).update(indexed_through=0)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_listedindexhead")
    assert ListedSubject.objects.count() == 1
