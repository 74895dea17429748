"""Audited reads: "listed" vs "consulted" (C-48), digests without the 個人番号, ranges verified apart."""

from datetime import date

import pytest

from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry, AuditResultSubject
from jumin.audit.selectors import access_history, run_in_process, verify_chain
from jumin.audit.services import AuditFieldError, digest_of, record_event, record_results, record_view
from tests.audit.conftest import drop_append_only_guards

pytestmark = pytest.mark.django_db


def test_a_search_listing_three_and_opening_one_logs_three_listed_and_one_consulted() -> None:
    search = record_results(None, "resident", ["r1", "r2", "r3"], "resident_counter", "kana_name+birth_date")
    record_view(None, "resident", "r2", "resident_counter")
    assert search.result_count == 3
    assert search.subject_id == ""
    assert list(search.result_subjects.order_by("position").values_list("subject_id", flat=True)) == [
        "r1",
        "r2",
        "r3",
    ]
    history = access_history("resident", "r2")
    assert [row["kind"] for row in history] == ["consulted", "listed"]
    assert [row["kind"] for row in access_history("resident", "r3")] == ["listed"]
    assert verify_chain().intact


def test_a_search_by_individual_number_is_marked() -> None:
    entry = record_results(None, "resident", ["r1"], "individual_number", "individual_number")
    assert entry.individual_number_used


def test_query_summary_may_not_carry_values() -> None:
    for summary in ("山田太郎", "atena_number=123456", "123456789012", ""):
        with pytest.raises(AuditFieldError):
            record_results(None, "resident", ["r1"], "resident_counter", summary)
    assert AuditEntry.objects.count() == 0


def test_verify_finds_a_removed_result_row() -> None:
    record_event(actor=None, action=AuditAction.RESIDENT_RECORD_VIEW)
    record_results(None, "resident", ["r1", "r2"], "resident_counter", "kana_name")
    drop_append_only_guards()
    AuditResultSubject.objects.filter(subject_id="r2").delete()
    verdict = verify_chain()
    assert verdict.first_broken_seq == 2
    assert verdict.problem == "results"


def _swap_positions(entry: AuditEntry, first: int, second: int) -> None:
    """Swap two persons' places in a stored result list (the unique position needs a detour)."""
    rows = AuditResultSubject.objects.filter(entry=entry)
    rows.filter(position=first).update(position=999)
    rows.filter(position=second).update(position=first)
    rows.filter(position=999).update(position=second)


@pytest.mark.parametrize("workers", [1, 2])
def test_verify_finds_a_reordered_result_list(workers: int) -> None:
    # The rows keep their insertion order; only their positions change, so a check that joined the
    # ids in storage order would still see "r1, r2, r3".
    record_event(actor=None, action=AuditAction.RESIDENT_RECORD_VIEW)
    search = record_results(None, "resident", ["r1", "r2", "r3"], "resident_counter", "kana_name")
    record_results(None, "resident", ["r4"], "resident_counter", "kana_name")
    drop_append_only_guards()
    _swap_positions(search, 0, 2)
    verdict = verify_chain(workers=workers, run=run_in_process)
    assert (verdict.first_broken_seq, verdict.problem) == (2, "results")


def test_verify_finds_a_result_list_that_lost_every_row() -> None:
    record_results(None, "resident", ["r1"], "resident_counter", "kana_name")
    search = record_results(None, "resident", ["r2", "r3"], "resident_counter", "kana_name")
    drop_append_only_guards()
    AuditResultSubject.objects.filter(entry=search).delete()
    verdict = verify_chain()
    assert (verdict.first_broken_seq, verdict.problem) == (2, "results")


def test_long_result_lists_verify_intact() -> None:
    record_results(None, "resident", [f"r{i}" for i in range(250)], "resident_counter", "kana_name")
    record_results(None, "resident", ["r1", "r1"], "resident_counter", "kana_name")
    assert verify_chain(workers=2, run=run_in_process).intact


def test_verify_finds_a_result_row_added_to_an_entry_that_listed_nobody() -> None:
    view = record_view(None, "resident", "r1", "resident_counter")
    AuditResultSubject.objects.create(entry=view, position=0, subject_id="r9")
    assert verify_chain().first_broken_seq == 1


def test_support_measure_subjects_are_flagged() -> None:
    assert record_view(None, "support_measure", "s1", "support_measure").support_measure
    assert record_view(None, "resident", "r1", "resident_counter", support_measure=True).support_measure


def test_digest_of_is_canonical_and_refuses_the_individual_number() -> None:
    one = digest_of({"name": "斉藤", "born": date(1975, 4, 1)})
    assert one == digest_of({"born": date(1975, 4, 1), "name": "斉藤"})
    assert one != digest_of({"name": "斎藤", "born": date(1975, 4, 1)})
    assert len(one) == 64
    with pytest.raises(AuditFieldError) as refused:
        digest_of({"name": "x", "individual_number": "123456789018"})
    assert "123456789018" not in str(refused.value)
    with pytest.raises(AuditFieldError):
        digest_of({"members": [{"my_number": "1"}]})


@pytest.mark.parametrize("tampered", [1, 4, 5, 6, 10])
def test_ranges_verified_apart_find_the_same_first_broken_entry(tampered: int) -> None:
    for i in range(10):
        record_event(actor=None, action=AuditAction.STAFF_LOGIN_FAIL, reason=f"r{i}")
    assert verify_chain(workers=3, run=run_in_process).intact
    drop_append_only_guards()
    AuditEntry.objects.filter(seq=tampered).update(reason="forged")
    assert verify_chain(workers=3, run=run_in_process).first_broken_seq == tampered
    assert verify_chain(workers=1).first_broken_seq == tampered


@pytest.mark.parametrize("removed", [1, 4, 5, 10])
def test_ranges_verified_apart_find_a_removed_entry_at_a_boundary(removed: int) -> None:
    for i in range(10):
        record_event(actor=None, action=AuditAction.STAFF_LOGIN_FAIL, reason=f"r{i}")
    drop_append_only_guards()
    AuditEntry.objects.filter(seq=removed).delete()
    expected = removed if removed != 10 else None  # removing the last entry is a truncation
    assert verify_chain(workers=3, run=run_in_process).first_broken_seq == expected
