"""Each clerk's search history: saved sealed, listed, re-run and opened (standard 2.1.1-a; docs/search.md)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.urls import reverse

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.checkdigits import mynumber_check_digit
from jumin.domain.errors import DomainError
from jumin.registry import search_history
from jumin.registry.models import Resident, SearchHistoryEntry
from jumin.registry.search import EmptyField, NameMatch, replay_search
from tests.registry.conftest import PURPOSE, logged_in, person
from tests.registry.test_search import enter, found, search, searcher

pytestmark = pytest.mark.django_db
__all__ = ["enter", "searcher"]  # fixtures, imported for use here


def _last_entries(count: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.order_by("-seq")[:count])[::-1]


def test_each_search_is_saved_sealed_for_its_clerk(enter: Callable[..., str], searcher: User) -> None:
    enter(person())
    search(searcher, kana_name="アオキ", name_mode=NameMatch.SURNAME, birth_date="S35.4.1")
    (entry,) = SearchHistoryEntry.objects.all()
    assert entry.user_id == searcher.pk
    assert (entry.condition_kinds, entry.result_count) == ("kana_name_surname+birth_date", 1)
    # Neither the values nor any recognisable part of them are stored in clear.
    assert "アオキ" not in entry.sealed_criteria
    assert "S35" not in entry.sealed_criteria
    (item,) = search_history.history_of(searcher)
    assert (item.conditions, item.result_count) == ("フリガナ・生年月日", 1)


def test_a_replay_runs_the_same_search_and_is_audited_as_a_new_one(
    enter: Callable[..., str], searcher: User
) -> None:
    atena = enter(person())
    search(searcher, kana_name="アオキ", name_mode=NameMatch.SURNAME, empty_fields=(EmptyField.KATAGAKI,))
    entry_id = search_history.history_of(searcher)[0].entry_id
    other = enter(person(given_name="次郎", given_name_kana="ジロウ"))

    result = replay_search(actor=searcher, purpose=PURPOSE, entry_id=entry_id)

    assert {hit.atena_number for hit in result.hits} == {atena, other}
    opened, searched = _last_entries(2)
    assert (opened.action, opened.subject_type, opened.subject_id) == (
        "resident:search_history:view",
        "search_history",
        str(entry_id),
    )
    assert (searched.action, searched.query_summary, searched.result_count) == (
        "resident:record:list",
        "kana_name_surname+empty_katagaki",
        2,
    )
    assert searched.reason == f"search history replay {entry_id}"
    assert len(search_history.history_of(searcher)) == 2  # the replay is saved as a new search


def test_another_clerk_can_neither_see_nor_open_an_entry(
    enter: Callable[..., str], searcher: User, make_clerk: Callable[..., User]
) -> None:
    enter(person())
    search(searcher, kana_name="アオキタロウ")
    entry_id = search_history.history_of(searcher)[0].entry_id
    colleague = make_clerk("colleague", Permission.RESIDENT_SEARCH)
    assert search_history.history_of(colleague) == []
    with pytest.raises(DomainError) as caught:
        replay_search(actor=colleague, purpose=PURPOSE, entry_id=entry_id)
    assert caught.value.code == "search_history.not_found"


def test_a_row_copied_to_another_clerk_does_not_open(
    enter: Callable[..., str], searcher: User, make_clerk: Callable[..., User]
) -> None:
    enter(person())
    search(searcher, kana_name="アオキタロウ")
    colleague = make_clerk("colleague", Permission.RESIDENT_SEARCH)
    entry = SearchHistoryEntry.objects.get()
    stolen = SearchHistoryEntry.objects.create(
        user=colleague,
        created_at=entry.created_at,
        condition_kinds=entry.condition_kinds,
        result_count=0,
        sealed_criteria=entry.sealed_criteria,
    )
    with pytest.raises(DomainError) as caught:
        search_history.saved_criteria(actor=colleague, purpose=PURPOSE, entry_id=stolen.pk)
    assert caught.value.code == "search_history.unreadable"


def test_opening_an_entry_needs_the_search_permission(
    enter: Callable[..., str], searcher: User, make_clerk: Callable[..., User]
) -> None:
    enter(person())
    search(searcher, kana_name="アオキタロウ")
    entry = SearchHistoryEntry.objects.get()
    entry.user = make_clerk("viewer-only", Permission.RESIDENT_VIEW)
    entry.save()
    with pytest.raises(AccessRefused):
        search_history.saved_criteria(actor=entry.user, purpose=PURPOSE, entry_id=entry.pk)
    assert AuditEntry.objects.order_by("-seq").first().outcome == "refused"  # type: ignore[union-attr]


def test_the_individual_number_is_never_kept_and_must_be_given_again(
    enter: Callable[..., str], make_clerk: Callable[..., User]
) -> None:
    number = "12345678901" + mynumber_check_digit("12345678901")
    atena = enter(person())
    snapshot = Resident.objects.get(atena_number=atena).current
    assert snapshot is not None
    snapshot.set_individual_number(number)
    snapshot.save(update_fields=["individual_number", "individual_number_index"])
    holder = make_clerk("number-holder", Permission.RESIDENT_SEARCH, Permission.INDIVIDUAL_NUMBER_ACCESS)
    assert found(holder, individual_number=number) == {atena}
    entry_id = search_history.history_of(holder)[0].entry_id
    saved = search_history.saved_criteria(actor=holder, purpose=PURPOSE, entry_id=entry_id)
    assert saved.needs_individual_number
    assert saved.criteria.individual_number == ""
    with pytest.raises(DomainError) as caught:
        replay_search(actor=holder, purpose=PURPOSE, entry_id=entry_id)
    assert caught.value.code == "search_history.individual_number_required"
    again = replay_search(actor=holder, purpose=PURPOSE, entry_id=entry_id, individual_number=number)
    assert [hit.atena_number for hit in again.hits] == [atena]


def test_only_the_last_entries_are_kept(
    enter: Callable[..., str], searcher: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_history, "HISTORY_SIZE", 2)
    enter(person())
    for kana in ("アオキタロウ", "アオキ", "アオキ タロウ"):
        search(searcher, kana_name=kana)
    assert SearchHistoryEntry.objects.filter(user=searcher).count() == 2
    kept = [item.entry_id for item in search_history.history_of(searcher)]
    names = [
        search_history.saved_criteria(actor=searcher, purpose=PURPOSE, entry_id=entry_id).criteria.kana_name
        for entry_id in kept
    ]
    assert names == ["アオキ タロウ", "アオキ"]  # the two newest, newest first; the first search went


def test_refused_searches_are_not_saved(searcher: User) -> None:
    with pytest.raises(DomainError):
        search(searcher, sex="male")
    assert not SearchHistoryEntry.objects.exists()


def test_the_history_screen_reruns_and_loads_an_entry(enter: Callable[..., str], searcher: User) -> None:
    atena = enter(person())
    search(searcher, kana_name="アオキ", name_mode=NameMatch.SURNAME, birth_date="昭和35年4月1日")
    entry_id = search_history.history_of(searcher)[0].entry_id
    client = logged_in(searcher)
    listing = client.get(reverse("registry:search_history")).content.decode()
    assert "フリガナ・生年月日" in listing
    assert "アオキ" not in listing  # the list shows kinds, never values
    rerun = client.post(reverse("registry:search_history"), {"purpose": PURPOSE, "rerun": entry_id})
    assert rerun.status_code == 200
    assert "検索結果 1件" in rerun.content.decode()
    assert f'value="{atena}"' in rerun.content.decode()
    loaded = client.post(reverse("registry:search_history"), {"purpose": PURPOSE, "load": entry_id})
    body = loaded.content.decode()
    assert 'name="kana_name" value="アオキ"' in body
    assert 'value="surname" selected' in body
    nothing = client.post(reverse("registry:search_history"), {"purpose": PURPOSE})
    assert "履歴の行から選んでください" in nothing.content.decode()


def test_the_history_api_lists_reruns_and_returns_criteria(enter: Callable[..., str], searcher: User) -> None:
    atena = enter(person())
    search(searcher, kana_name="アオキタロウ")
    client = logged_in(searcher)
    listing = client.get("/api/registry/search/history")
    assert listing.status_code == 200
    (item,) = listing.json()
    assert (item["conditions"], item["result_count"]) == ("フリガナ", 1)
    body = json.dumps({"purpose": PURPOSE})
    rerun = client.post(
        f"/api/registry/search/history/{item['entry_id']}/rerun", data=body, content_type="application/json"
    )
    assert [hit["atena_number"] for hit in rerun.json()["hits"]] == [atena]
    criteria = client.post(
        f"/api/registry/search/history/{item['entry_id']}/criteria",
        data=body,
        content_type="application/json",
    )
    assert criteria.json()["kana_name"] == "アオキタロウ"
    missing = client.post(
        "/api/registry/search/history/999999/rerun", data=body, content_type="application/json"
    )
    assert (missing.status_code, missing.json()["code"]) == (400, "search_history.not_found")
