"""住民検索 (standard 2.1.2, 2.1.3; algorithms.md C.1, C.2; issue 5 items 1, 3, 7)."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry, AuditResultSubject
from jumin.domain.checkdigits import mynumber_check_digit
from jumin.domain.errors import DomainError
from jumin.domain.resident import PersonFacts, ResidentKind, ResidentStatus, Sex
from jumin.domain.wareki import WarekiDate
from jumin.population import write_population
from jumin.registry.importer import import_population
from jumin.registry.models import Change, ChangeState, Resident, ResidentSearchKey
from jumin.registry.search import NameMatch, SearchCriteria, SearchResult, search_residents
from jumin.registry.services import Address, MoveIn, commit_change, record_move_in
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, logged_in, person

pytestmark = pytest.mark.django_db

ADDRESS_CODE = "42202146000"


@pytest.fixture
def searcher(make_clerk: Callable[..., User]) -> User:
    return make_clerk("searcher", Permission.RESIDENT_SEARCH)


@pytest.fixture
def enter(clerk: User, reviewer: User, code_pool: list[str]) -> Callable[..., str]:
    """Enter and commit one person as a new household (real services); returns the 宛名番号."""

    def enter_person(facts: PersonFacts, *, address_code: str = ADDRESS_CODE, address: str = "") -> str:
        draft = record_move_in(
            actor=clerk,
            purpose=PURPOSE,
            move_in=MoveIn(
                members=[facts],
                address=Address(
                    address=address or "長崎県佐世保市相生町1番1号",
                    postal_code="8570044",
                    address_code=address_code,
                ),
                move_in_date=date(2026, 11, 1),
                notification_date=date(2026, 11, 5),
                previous_address="東京都日野市神明1丁目1番1号",
            ),
        )
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
        return draft.atena_numbers[0]

    return enter_person


@pytest.fixture
def amend(clerk: User, reviewer: User) -> Callable[..., None]:
    """Commit a change of the person's current record (a stand-in for 職権修正/転出 until they exist)."""

    def amend_person(atena_number: str, **changes: Any) -> None:
        resident = Resident.objects.select_related("current").get(atena_number=atena_number)
        assert resident.current is not None
        change = Change.objects.create(
            reason="職権修正",
            change_date=date(2026, 12, 1),
            notification_kind="職権",
            made_by=clerk,
            made_at=timezone.now(),
        )
        snapshot = resident.current
        snapshot.pk = None
        snapshot.history_no = None
        snapshot.change = change
        for name, value in changes.items():
            setattr(snapshot, name, value)
        snapshot.save()
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=change.pk)

    return amend_person


def search(actor: User, **conditions: Any) -> SearchResult:
    return search_residents(actor=actor, purpose=PURPOSE, criteria=SearchCriteria(**conditions))


def found(actor: User, **conditions: Any) -> set[str]:
    return {hit.atena_number for hit in search(actor, **conditions).hits}


# --- algorithms.md C.1: match modes through committed residents --------------------------------

KANA_CASES = [
    # (id, stored surname kana, stored given kana, query, mode, expected)
    ("KM-1", "ハナヂ", "タロウ", "ハナジ", NameMatch.SURNAME, True),
    ("KM-2", "ミカヅキ", "タロウ", "ミカズキ", NameMatch.SURNAME, True),
    ("KM-3", "ワタナベ", "タロウ", "ハタナベ", NameMatch.SURNAME, True),
    ("KM-4", "ヴァレンティ", "タロウ", "バレンティ", NameMatch.SURNAME, True),
    ("KM-5", "ヴィクトル", "タロウ", "ビクトル", NameMatch.SURNAME, True),
    ("KM-6", "ヲノ", "タロウ", "オノ", NameMatch.SURNAME, True),
    ("KM-7", "ピロ", "タロウ", "ヒロ", NameMatch.SURNAME, True),
    ("KM-8", "ハットリ", "タロウ", "ハツトリ", NameMatch.SURNAME, True),
    ("KM-9", "キャク", "タロウ", "キヤク", NameMatch.SURNAME, True),
    ("KM-10", "サトウ", "タロウ", "サトオ", NameMatch.SURNAME, True),
    ("KM-11", "オウノ", "タロウ", "オオノ", NameMatch.SURNAME, True),
    ("KM-12", "ユーコ", "タロウ", "ユコ", NameMatch.SURNAME, True),
    ("KM-13", "サトウ", "タロウ", "サトウタロウ", NameMatch.EXACT, True),
    ("KM-14", "サト", "ウタ", "サトウタ", NameMatch.EXACT, True),
    ("KM-15", "サト", "ウタ", "ウタ", NameMatch.GIVEN_NAME, True),
    ("KM-16", "ジュウミン", "タロウ", "ジュウミン", NameMatch.PARTIAL, True),
    ("KM-16-prefix", "ジュウミン", "タロウ", "じゅうみん", NameMatch.PREFIX, True),
    ("partial-inside", "ジュウミン", "タロウ", "ミンタ", NameMatch.PARTIAL, True),
    ("KN-1", "ハナヂ", "タロウ", "ハナチ", NameMatch.SURNAME, False),
    ("KN-2", "ツヅキ", "タロウ", "ツツキ", NameMatch.SURNAME, False),
    ("KN-3", "ユウコ", "タロウ", "ユコ", NameMatch.SURNAME, False),
    ("KN-4", "ヨウコ", "タロウ", "ヨーコ", NameMatch.SURNAME, False),
    ("KN-5", "ヴァン", "タロウ", "ファン", NameMatch.SURNAME, False),
    ("KN-6", "サトウ", "タロウ", "サトウエ", NameMatch.SURNAME, False),
    ("KN-6-exact", "サトウ", "タロウ", "サトウ", NameMatch.EXACT, False),
    ("given-not-substring", "サト", "ウタ", "オタ", NameMatch.GIVEN_NAME, False),
]


@pytest.mark.parametrize(
    ("stored_surname", "stored_given", "query", "mode", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in KANA_CASES],
)
def test_kana_match_modes_follow_algorithms_c1(
    enter: Callable[..., str],
    searcher: User,
    stored_surname: str,
    stored_given: str,
    query: str,
    mode: NameMatch,
    expected: bool,
) -> None:
    atena = enter(person(surname_kana=stored_surname, given_name_kana=stored_given))
    hits = found(searcher, kana_name=query, name_mode=mode)
    assert (atena in hits) is expected


def test_kn7_disallowed_characters_are_refused_with_a_typed_error(searcher: User) -> None:
    with pytest.raises(DomainError) as caught:
        search(searcher, kana_name="（株）サトウ")
    assert caught.value.field == "kana_name"
    assert "（株）" not in caught.value.reason + caught.value.remedy


# --- algorithms.md C.2: variant kanji ---------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "query", "mode", "expected"),
    [
        pytest.param("渡邊", "渡辺", NameMatch.SURNAME, True, id="VK-1"),
        pytest.param("渡邉\U000e0100", "渡辺", NameMatch.SURNAME, True, id="VK-2"),
        pytest.param("濱田", "浜田", NameMatch.SURNAME, True, id="VK-4"),
        pytest.param("髙橋", "高橋", NameMatch.SURNAME, True, id="VK-8"),
        pytest.param("渡辺", "渡邊 太郎", NameMatch.EXACT, True, id="VK-1-full"),
        pytest.param("渡辺", "渡部", NameMatch.SURNAME, False, id="VK-N2"),
        pytest.param("斎藤", "斉藤", NameMatch.SURNAME, False, id="VK-N1"),
    ],
)
def test_kanji_names_are_found_through_the_variant_key(
    enter: Callable[..., str], searcher: User, stored: str, query: str, mode: NameMatch, expected: bool
) -> None:
    atena = enter(person(surname=stored))
    assert (atena in found(searcher, kanji_name=query, name_mode=mode)) is expected


# --- birth date (和暦 and 西暦), combinations --------------------------------------------------


@pytest.mark.parametrize(
    "birth", ["昭和35年4月1日", "S35.4.1", "1960-04-01", "１９６０年４月１日", "20230401"], ids=str
)
def test_birth_date_in_wareki_or_seireki_finds_the_person(
    enter: Callable[..., str], searcher: User, birth: str
) -> None:
    atena = enter(person(born=WarekiDate("showa", 35, 4, 1)))
    other = enter(person(born=date(2023, 4, 1)))
    hits = found(searcher, kana_name="アオキ", name_mode=NameMatch.SURNAME, birth_date=birth)
    assert hits == ({other} if birth == "20230401" else {atena})


@pytest.mark.parametrize("period", ["昭和35年", "S35", "1960", "1960年4月", "昭和35年4月", "1960-04"])
def test_a_birth_year_or_month_narrows_a_name_search(
    enter: Callable[..., str], searcher: User, period: str
) -> None:
    atena = enter(person(born=WarekiDate("showa", 35, 4, 1)))
    enter(person(born=WarekiDate("showa", 36, 4, 1)))
    assert found(searcher, kana_name="アオ", name_mode=NameMatch.PREFIX, birth_date=period) == {atena}


def test_malformed_birth_dates_get_the_domain_error(searcher: User) -> None:
    with pytest.raises(DomainError) as caught:
        search(searcher, kana_name="アオキ", birth_date="昭和99年13月")
    assert caught.value.field == "birth_date"


def test_several_conditions_are_combined_with_and(enter: Callable[..., str], searcher: User) -> None:
    man = enter(person())
    woman = enter(person(given_name="花子", given_name_kana="ハナコ", sex=Sex.FEMALE))
    elsewhere = enter(person(), address_code="42202999000", address="長崎県佐世保市八幡町2番2号")
    assert found(searcher, kana_name="アオキ", name_mode=NameMatch.SURNAME) == {man, woman, elsewhere}
    assert found(searcher, kana_name="アオキ", name_mode=NameMatch.SURNAME, sex=Sex.FEMALE) == {woman}
    assert found(
        searcher, kana_name="アオキ", name_mode=NameMatch.SURNAME, address_code=ADDRESS_CODE, sex="male"
    ) == {man}
    assert found(searcher, kana_name="アオキ", name_mode=NameMatch.SURNAME, address="長崎県佐世保市八幡") == {
        elsewhere
    }


def test_identifiers_find_the_person(enter: Callable[..., str], searcher: User) -> None:
    atena = enter(person())
    enter(person(given_name="次郎", given_name_kana="ジロウ"))
    resident = Resident.objects.select_related("current__household").get(atena_number=atena)
    assert resident.current is not None
    assert found(searcher, atena_number=atena) == {atena}
    assert found(searcher, household_number=resident.current.household.number) == {atena}
    assert found(searcher, juminhyo_code=resident.current.juminhyo_code) == {atena}


# --- drafts, 除票, past names ------------------------------------------------------------------


def test_a_draft_is_never_returned_to_anybody(
    clerk: User, reviewer: User, searcher: User, code_pool: list[str]
) -> None:
    move_in = MoveIn(
        members=[person()],
        address=Address(address="長崎県佐世保市相生町1番1号", address_code=ADDRESS_CODE),
        move_in_date=date(2026, 11, 1),
        notification_date=date(2026, 11, 5),
        previous_address="東京都日野市神明1丁目1番1号",
    )
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=move_in)
    assert not ResidentSearchKey.objects.exists()
    assert found(searcher, kana_name="アオキタロウ") == set()
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert found(searcher, kana_name="アオキタロウ") == {draft.atena_numbers[0]}


def test_a_pending_amendment_is_not_visible_until_committed(
    enter: Callable[..., str], clerk: User, searcher: User
) -> None:
    atena = enter(person())
    resident = Resident.objects.select_related("current").get(atena_number=atena)
    assert resident.current is not None
    change = Change.objects.create(
        reason="職権修正",
        change_date=date(2026, 12, 1),
        notification_kind="職権",
        made_by=clerk,
        made_at=timezone.now(),
        state=ChangeState.DRAFT,
    )
    draft = resident.current
    draft.pk, draft.history_no, draft.change, draft.surname_kana = None, None, change, "ミドリ"
    draft.save()
    assert found(searcher, kana_name="ミドリ", name_mode=NameMatch.SURNAME) == set()
    assert found(searcher, kana_name="アオキ", name_mode=NameMatch.SURNAME) == {atena}


def test_removed_people_are_excluded_by_default_and_included_on_request(
    enter: Callable[..., str], amend: Callable[..., None], searcher: User
) -> None:
    atena = enter(person())
    amend(atena, status=ResidentStatus.REMOVED, removal_reason="転出", removal_date=date(2026, 12, 1))
    assert found(searcher, kana_name="アオキタロウ") == set()
    result = search(searcher, kana_name="アオキタロウ", include_removed=True)
    assert [hit.atena_number for hit in result.hits] == [atena]
    assert result.hits[0].is_removed


def test_past_names_from_history_are_searched(
    enter: Callable[..., str], amend: Callable[..., None], searcher: User
) -> None:
    atena = enter(person())
    amend(atena, surname="緑川", surname_kana="ミドリカワ")
    assert found(searcher, kana_name="ミドリカワ タロウ") == {atena}
    past = search(searcher, kana_name="アオキ タロウ")
    assert [hit.atena_number for hit in past.hits] == [atena]
    assert past.hits[0].matched_on == ("past_name",)
    assert past.hits[0].surname == "緑川"
    assert found(searcher, kanji_name="青木", name_mode=NameMatch.SURNAME) == {atena}
    assert found(searcher, kana_name="アオキ タロウ", include_past_names=False) == set()


def test_former_surname_and_alias_are_searched(enter: Callable[..., str], searcher: User) -> None:
    atena = enter(person(former_surname="赤井", former_surname_kana="アカイ"))
    result = search(searcher, kana_name="アカイタロウ")
    assert [hit.matched_on for hit in result.hits] == [("former_surname",)]
    assert found(searcher, kanji_name="赤井", name_mode=NameMatch.SURNAME) == {atena}
    foreigner = enter(
        person(
            surname="NGUYEN",
            given_name="VAN AN",
            surname_kana="グエン",
            given_name_kana="ヴァン アン",
            kind=ResidentKind.FOREIGN,
            born=date(1990, 5, 1),
            alias="青山 太郎",
            alias_kana="アオヤマ タロウ",
        )
    )
    assert found(searcher, kana_name="アオヤマ", name_mode=NameMatch.SURNAME) == {foreigner}
    assert found(searcher, kanji_name="青山太郎") == {foreigner}
    assert found(searcher, kanji_name="nguyen van an") == set()
    assert found(searcher, kanji_name="NGUYEN VAN AN") == {foreigner}
    assert found(searcher, kana_name="グエン バン アン", birth_date="1990-05-01") == {foreigner}


def test_hits_without_restrictions_carry_no_marks(enter: Callable[..., str], searcher: User) -> None:
    enter(person())
    hit = search(searcher, kana_name="アオキタロウ").hits[0]
    assert (hit.suppressed, hit.support_measure) == (False, False)
    assert hit.birth_date == "昭和35年4月1日"


def test_the_result_limit_sets_the_more_flag(enter: Callable[..., str], searcher: User) -> None:
    for given_kana in ("タロウ", "ジロウ", "サブロウ"):
        enter(person(given_name_kana=given_kana))
    result = search(searcher, kana_name="アオキ", name_mode=NameMatch.SURNAME, limit=2)
    assert (len(result.hits), result.has_more) == (2, True)
    assert search(searcher, kana_name="アオキ", name_mode=NameMatch.SURNAME, limit=3).has_more is False


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "conditions",
    [
        pytest.param({"kana_name": "ア", "name_mode": NameMatch.PREFIX}, id="one-kana"),
        pytest.param({"kana_name": "あ"}, id="one-kana-exact"),
        pytest.param({"sex": "male"}, id="sex-only"),
        pytest.param({"birth_date": "昭和35年"}, id="year-only"),
        pytest.param({"birth_date": "1960", "sex": "female"}, id="year-and-sex"),
        pytest.param({"kana_name": "ア", "birth_date": "1960"}, id="one-kana-and-year"),
        pytest.param({"address": "長崎県"}, id="address-text-only"),
        pytest.param({}, id="nothing"),
    ],
)
def test_too_broad_queries_are_refused_and_not_run(
    enter: Callable[..., str], searcher: User, conditions: dict[str, Any]
) -> None:
    enter(person())
    before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as caught:
        search(searcher, **conditions)
    assert caught.value.code in {"search.too_broad", "search.no_criteria"}
    assert caught.value.remedy
    assert AuditEntry.objects.count() == before


def test_a_full_birth_date_or_address_code_alone_is_enough(enter: Callable[..., str], searcher: User) -> None:
    atena = enter(person())
    assert found(searcher, birth_date="昭和35年4月1日") == {atena}
    assert found(searcher, address_code=ADDRESS_CODE, sex="male") == {atena}


def _valid_mynumber() -> str:
    return "12345678901" + mynumber_check_digit("12345678901")


def test_individual_number_search_needs_the_access_permission_and_is_audited(
    enter: Callable[..., str], make_clerk: Callable[..., User], searcher: User
) -> None:
    atena = enter(person())
    snapshot = Resident.objects.get(atena_number=atena).current
    assert snapshot is not None
    snapshot.set_individual_number(_valid_mynumber())
    snapshot.save(update_fields=["individual_number", "individual_number_index"])

    before = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    with pytest.raises(AccessRefused):
        search(searcher, individual_number=_valid_mynumber())
    refused = list(AuditEntry.objects.filter(seq__gt=before))
    assert [(e.outcome, e.outcome_reason) for e in refused] == [("refused", "permission_missing")]
    assert _valid_mynumber() not in json.dumps([e.query_summary + e.reason for e in refused])

    holder = make_clerk("number-holder", Permission.RESIDENT_SEARCH, Permission.INDIVIDUAL_NUMBER_ACCESS)
    assert found(holder, individual_number=_valid_mynumber()) == {atena}
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    assert entry.individual_number_used
    assert entry.query_summary == "individual_number"


# --- audit -------------------------------------------------------------------------------------


def test_one_audit_entry_per_search_lists_the_hits(enter: Callable[..., str], searcher: User) -> None:
    first = enter(person())
    second = enter(person(given_name="花子", given_name_kana="ハナコ", sex=Sex.FEMALE))
    before = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    result = search(searcher, kana_name="アオキ", name_mode=NameMatch.SURNAME, birth_date="S35.4.1")
    entries = list(AuditEntry.objects.filter(seq__gt=before))
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.action, entry.outcome, entry.actor_id) == ("resident:record:list", "done", searcher.pk)
    assert entry.query_summary == "kana_name_surname+birth_date"
    assert entry.result_count == 2
    listed = AuditResultSubject.objects.filter(entry=entry).order_by("position")
    assert [s.subject_id for s in listed] == [hit.atena_number for hit in result.hits]
    assert {s.subject_id for s in listed} == {first, second}
    assert "アオキ" not in entry.query_summary + entry.reason


def test_without_the_search_permission_the_search_is_refused_and_audited(
    make_clerk: Callable[..., User],
) -> None:
    outsider = make_clerk("outsider")
    with pytest.raises(AccessRefused):
        search(outsider, kana_name="アオキタロウ")
    assert AuditEntry.objects.get().outcome == "refused"


# --- importer ----------------------------------------------------------------------------------


def test_imported_residents_are_searchable(
    tmp_path: Path, make_clerk: Callable[..., User], searcher: User
) -> None:
    path = tmp_path / "pop.jsonl"
    with path.open("w", encoding="utf-8") as out:
        write_population(out, 60, "422029", seed=3)
    import_population(path, actor=make_clerk("loader"))
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    living = [r for r in records if r["status"] != "removed"][:10]
    for record in living:
        kana = f"{record['surname_kana']} {record.get('given_name_kana', '')}"
        hits = found(searcher, kana_name=kana, birth_date=record["birth_date"])
        assert record["atena_number"] in hits
    removed = next(r for r in records if r["status"] == "removed")
    kana = f"{removed['surname_kana']} {removed.get('given_name_kana', '')}"
    assert removed["atena_number"] not in found(searcher, kana_name=kana, birth_date=removed["birth_date"])
    assert removed["atena_number"] in found(
        searcher, kana_name=kana, birth_date=removed["birth_date"], include_removed=True
    )
    assert ResidentSearchKey.objects.filter(kind="name", is_current_name=True).count() == len(records)


# --- API and screen ----------------------------------------------------------------------------


def test_the_search_api_follows_the_permission_triple(make_staff: Callable[..., Any]) -> None:
    body = {"purpose": PURPOSE, "criteria": {"kana_name": "アオキタロウ"}}
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/search",
        Permission.RESIDENT_SEARCH,
        data=json.dumps(body),
        content_type="application/json",
        success_status=(200,),
    )


def test_the_search_api_returns_hits_and_typed_errors(enter: Callable[..., str], searcher: User) -> None:
    atena = enter(person())
    client = logged_in(searcher)
    body = {"purpose": PURPOSE, "criteria": {"kana_name": "あおき ﾀﾛｳ", "birth_date": "1960-04-01"}}
    response = client.post("/api/registry/search", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert [hit["atena_number"] for hit in data["hits"]] == [atena]
    assert data["has_more"] is False
    broad = {"purpose": PURPOSE, "criteria": {"sex": "male"}}
    response = client.post("/api/registry/search", data=json.dumps(broad), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "search.too_broad"


def test_the_search_screen_follows_the_permission_triple(make_staff: Callable[..., Any]) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        reverse("registry:search"),
        Permission.RESIDENT_SEARCH,
        data={"purpose": PURPOSE, "kana_name": "アオキタロウ", "name_mode": "exact"},
    )


def test_the_search_screen_lists_hits_with_a_post_form_to_the_lookup(
    enter: Callable[..., str], searcher: User
) -> None:
    atena = enter(person())
    response = logged_in(searcher).post(
        reverse("registry:search"),
        {"purpose": PURPOSE, "kana_name": "アオキ", "name_mode": "surname", "include_past_names": "on"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "検索結果 1件" in body
    assert f'name="atena_number" value="{atena}"' in body
    assert f'action="{reverse("registry:lookup")}"' in body
    assert atena not in response.request.get("QUERY_STRING", "")
    refused = logged_in(searcher).post(
        reverse("registry:search"), {"purpose": PURPOSE, "sex": "male", "name_mode": "exact"}
    )
    assert "検索条件が広すぎます" in refused.content.decode()


# --- properties (issue 5 item 7) ----------------------------------------------------------------

_FIRST = (
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ"
    "ガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポヴ"
)
_REST = _FIRST + "ンァィゥェォッャュョー"

kana_part = st.builds(
    lambda head, tail: head + tail,
    st.sampled_from(_FIRST),
    st.text(alphabet=_REST, min_size=1, max_size=4),
)
births = st.dates(min_value=date(1930, 1, 1), max_value=date(2020, 12, 31))


def _hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


_HALF = {unicodedata.normalize("NFKC", chr(c)): chr(c) for c in range(0xFF66, 0xFF9E)}
_HALF["ー"] = "ｰ"


def _half_width(text: str) -> str:
    out = []
    for char in text:
        base = unicodedata.normalize("NFD", char)
        marks = {"\u3099": "ﾞ", "\u309a": "ﾟ"}
        if len(base) == 2 and base[1] in marks and base[0] in _HALF:
            out.append(_HALF[base[0]] + marks[base[1]])
        elif char == "ヴ":
            out.append("ｳﾞ")
        else:
            out.append(_HALF.get(char, char))
    return "".join(out)


FOLDINGS: list[Callable[[str, str], str]] = [
    lambda s, g: f"{s} {g}",
    lambda s, g: f"{s}{g}",
    lambda s, g: f"{s}\u3000{g}",
    lambda s, g: _hiragana(f"{s} {g}"),
    lambda s, g: _half_width(f"{s} {g}"),
    lambda s, g: "".join(f"{c}ー" for c in s) + " " + g,
    lambda s, g: f"{s}{g}".replace("ー", ""),
    lambda s, g: " ".join(f"{s}{g}"),
]


class _Rollback(Exception):  # noqa: N818 (control flow)
    pass


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    people=st.lists(
        st.tuples(kana_part, kana_part, births, st.sampled_from([Sex.MALE, Sex.FEMALE]), st.integers(0, 2)),
        min_size=1,
        max_size=3,
    ),
    pair=st.sampled_from(
        [
            ("name", "birth"),
            ("name", "sex"),
            ("name", "address"),
            ("birth", "sex"),
            ("birth", "address"),
            ("sex", "address"),
        ]
    ),
    fold=st.sampled_from(range(len(FOLDINGS))),
)
def test_any_two_of_the_four_items_and_any_folded_kana_find_the_person(
    enter: Callable[..., str],
    searcher: User,
    people: list[tuple[str, str, date, Sex, int]],
    pair: tuple[str, str],
    fold: int,
) -> None:
    try:
        with transaction.atomic():
            entered = []
            for surname_kana, given_kana, born, sex, place in people:
                code = f"4220214{place:01d}000"
                facts = person(surname_kana=surname_kana, given_name_kana=given_kana, born=born, sex=sex)
                entered.append((enter(facts, address_code=code), surname_kana, given_kana, born, sex, code))
            for atena, surname_kana, given_kana, born, sex, code in entered:
                items = {
                    "name": {"kana_name": f"{surname_kana} {given_kana}"},
                    "birth": {"birth_date": born.isoformat()},
                    "sex": {"sex": str(sex)},
                    "address": {"address_code": code},
                }
                conditions = {**items[pair[0]], **items[pair[1]]}
                assert atena in found(searcher, **conditions, limit=1000)
                query = FOLDINGS[fold](surname_kana, given_kana)
                assert atena in found(searcher, kana_name=query)
            raise _Rollback
    except _Rollback:
        pass


def test_the_p2_benchmark_runs_on_a_small_population(tmp_path: Path, make_clerk: Callable[..., User]) -> None:
    from jumin.registry.bench_search import measure_search

    path = tmp_path / "pop.jsonl"
    with path.open("w", encoding="utf-8") as out:
        write_population(out, 80, "422029", seed=5)
    import_population(path, actor=make_clerk("loader"))
    result = measure_search(40, warmup=5, minimum=40)
    assert result["count"] == 40
    assert result["p95_ms"] > 0
    assert result["raw_p95_ms"] > 0
    assert set(result) >= {"what", "p50_ms", "p99_ms", "ratio", "index_sizes_mib", "target", "met"}
    assert result["index_sizes_mib"]
