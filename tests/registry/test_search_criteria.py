"""Issue 5 search criteria beyond names and 4情報 (standard 2.1.3-a/c/d, 2.2.4-a; docs/search.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from jumin.accounts import clock
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.domain.resident import ForeignResidentItems, ResidentKind, ResidentStatus
from jumin.registry.models import Resident, ResidentSearchKey
from jumin.registry.restrictions import RestrictedProcess, RestrictionLevel
from jumin.registry.search import EmptyField, NameMatch
from jumin.registry.search_keys import rebuild_all
from jumin.registry.services import Address, MoveIn, commit_change, record_move_in
from jumin.registry.services_restrictions import (
    SupportApplication,
    SuppressionReason,
    SuppressionRequest,
    SuppressionScope,
    create_support_measure,
    set_suppression,
)
from tests.registry.conftest import PURPOSE, logged_in, person
from tests.registry.test_search import ADDRESS_CODE, amend, enter, found, search, searcher

pytestmark = pytest.mark.django_db
__all__ = ["amend", "enter", "searcher"]  # fixtures, imported for use here

SURNAME = {"kana_name": "アオキ", "name_mode": NameMatch.SURNAME}


@pytest.fixture
def household(clerk: User, reviewer: User, code_pool: list[str]) -> Callable[..., list[str]]:
    """Enter and commit a household of several members; returns their 宛名番号 in order."""

    def enter_household(*members: Any, katagaki: str = "") -> list[str]:
        draft = record_move_in(
            actor=clerk,
            purpose=PURPOSE,
            move_in=MoveIn(
                members=list(members),
                address=Address(
                    address="長崎県佐世保市相生町1番1号",
                    katagaki=katagaki,
                    postal_code="8570044",
                    address_code=ADDRESS_CODE,
                ),
                move_in_date=date(2026, 11, 1),
                notification_date=date(2026, 11, 5),
                previous_address="東京都日野市神明1丁目1番1号",
            ),
        )
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
        return list(draft.atena_numbers)

    return enter_household


def test_relationship_narrows_a_name_search(household: Callable[..., list[str]], searcher: User) -> None:
    head, child = household(person(), person(given_name="花子", given_name_kana="ハナコ", relationship="子"))
    assert found(searcher, **SURNAME) == {head, child}
    assert found(searcher, **SURNAME, relationship="子") == {child}
    assert found(searcher, **SURNAME, relationship=" 世帯主 ") == {head}
    assert [hit.relationship for hit in search(searcher, **SURNAME, relationship="子").hits] == ["子"]


def test_an_invalid_relationship_gets_the_domain_error(searcher: User) -> None:
    with pytest.raises(DomainError) as caught:
        search(searcher, **SURNAME, relationship="祖父")
    assert caught.value.field == "relationship"
    assert caught.value.remedy


def test_katagaki_is_matched_inside_the_item(household: Callable[..., list[str]], searcher: User) -> None:
    (in_building,) = household(person(), katagaki="サセボハイツ101号")
    (elsewhere,) = household(person(given_name="次郎", given_name_kana="ジロウ"))
    assert found(searcher, address_code=ADDRESS_CODE, katagaki="101") == {in_building}
    assert found(searcher, address_code=ADDRESS_CODE, katagaki="202") == set()
    # An address and a building name together are narrow enough without a name.
    assert found(searcher, address="長崎県佐世保市相生町", katagaki="サセボハイツ") == {in_building}
    assert elsewhere in found(searcher, address_code=ADDRESS_CODE)


def test_removal_reason_searches_removed_people_and_flags_them(
    enter: Callable[..., str], amend: Callable[..., None], searcher: User
) -> None:
    moved = enter(person())
    died = enter(person(given_name="次郎", given_name_kana="ジロウ"))
    enter(person(given_name="三郎", given_name_kana="サブロウ"))
    amend(moved, status=ResidentStatus.REMOVED, removal_reason="国内転出", removal_date=date(2026, 12, 1))
    amend(died, status=ResidentStatus.REMOVED, removal_reason="死亡", removal_date=date(2026, 12, 1))
    result = search(searcher, **SURNAME, removal_reason="国内転出")
    assert [(hit.atena_number, hit.is_removed, hit.removal_reason) for hit in result.hits] == [
        (moved, True, "国内転出")
    ]
    assert found(searcher, **SURNAME, include_removed=True) >= {moved, died}
    assert not found(searcher, **SURNAME) & {moved, died}


def test_an_unknown_removal_reason_is_refused(searcher: User) -> None:
    with pytest.raises(DomainError) as caught:
        search(searcher, **SURNAME, removal_reason="転居")
    assert (caught.value.field, caught.value.code) == ("removal_reason", "search.removal_reason")


def _foreigner(**items: str) -> Any:
    values = {"nationality_code": "410", "category": "中長期在留者", "alphabet_name": "KIM MINSU"}
    values.update(items)
    return person(
        surname="KIM",
        given_name="MINSU",
        surname_kana="キム",
        given_name_kana="ミンス",
        kind=ResidentKind.FOREIGN,
        born=date(1990, 5, 1),
        foreign=ForeignResidentItems(**values),  # type: ignore[arg-type]
    )


def test_card_numbers_are_exact_identifiers(enter: Callable[..., str], searcher: User) -> None:
    resident = enter(
        _foreigner(
            residence_status="留学",
            period_of_stay="2年",
            stay_expiry_date="2028-03-31",
            residence_card_number="AB12345678CD",
        )
    )
    special = enter(_foreigner(category="特別永住者", special_permanent_resident_number="XY98765432ZW"))
    assert found(searcher, residence_card_number="AB12345678CD") == {resident}
    assert found(searcher, residence_card_number="ａｂ１２３４５６７８ｃｄ") == {resident}
    assert found(searcher, special_permanent_resident_number="XY98765432ZW") == {special}
    assert found(searcher, residence_card_number="XY98765432ZW") == set()


@pytest.mark.parametrize(
    ("field_name", "value"),
    [
        ("residence_card_number", "AB1234"),
        ("special_permanent_resident_number", "1234567890AB"),
        ("address_code", "4220"),
        ("juminhyo_code", "abc"),
        ("atena_number", "12-34"),
    ],
)
def test_malformed_codes_get_typed_errors_without_the_value(
    searcher: User, field_name: str, value: str
) -> None:
    with pytest.raises(DomainError) as caught:
        search(searcher, **{field_name: value})
    assert caught.value.field == field_name
    assert caught.value.code == f"search.{field_name}_format"
    assert value not in caught.value.reason + caught.value.remedy


def test_empty_items_can_be_searched(
    enter: Callable[..., str], household: Callable[..., list[str]], searcher: User
) -> None:
    unconfirmed = enter(person())
    confirmed = enter(person(given_name="次郎", given_name_kana="ジロウ", kana_confirmed=True))
    (with_katagaki,) = household(person(given_name="三郎", given_name_kana="サブロウ"), katagaki="101号")
    no_code = enter(person(given_name="四郎", given_name_kana="シロウ"), address_code="")
    everyone = {unconfirmed, confirmed, with_katagaki, no_code}
    assert found(searcher, **SURNAME) == everyone
    unconfirmed_only = found(searcher, **SURNAME, empty_fields=(EmptyField.KANA_UNCONFIRMED,))
    assert unconfirmed_only == everyone - {confirmed}
    assert found(searcher, **SURNAME, empty_fields=(EmptyField.KATAGAKI,)) == everyone - {with_katagaki}
    assert found(searcher, **SURNAME, empty_fields=(EmptyField.ADDRESS_CODE,)) == {no_code}
    both = (EmptyField.ADDRESS_CODE, EmptyField.KANA_UNCONFIRMED)
    assert found(searcher, **SURNAME, empty_fields=both) == {no_code}


def test_empty_item_conditions_alone_are_too_broad(searcher: User) -> None:
    before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as caught:
        search(searcher, empty_fields=(EmptyField.ADDRESS_CODE,), relationship="子", removal_reason="死亡")
    assert caught.value.code == "search.too_broad"
    assert "加えて" in caught.value.remedy
    assert AuditEntry.objects.count() == before


def test_an_unknown_empty_item_is_refused(searcher: User) -> None:
    with pytest.raises(DomainError) as caught:
        search(searcher, **SURNAME, empty_fields=("honseki",))
    assert caught.value.field == "empty_fields"


def test_past_addresses_from_history_are_searched(
    enter: Callable[..., str], amend: Callable[..., None], searcher: User
) -> None:
    atena = enter(person())
    amend(atena, address="長崎県佐世保市八幡町2番2号", address_code="42202999000", katagaki="")
    now = search(searcher, address_code="42202999000")
    assert [(hit.atena_number, hit.matched_on, hit.address) for hit in now.hits] == [
        (atena, ("name",), "長崎県佐世保市八幡町2番2号")
    ]
    before = search(searcher, address_code=ADDRESS_CODE)
    assert [(hit.atena_number, hit.matched_on) for hit in before.hits] == [(atena, ("past_address",))]
    assert before.hits[0].address == "長崎県佐世保市八幡町2番2号"  # hits always show the current record
    assert found(searcher, address_code=ADDRESS_CODE, include_past_addresses=False) == set()
    assert found(searcher, **SURNAME, address="長崎県佐世保市相生町") == {atena}
    # Non-address conditions look at the current rows only: one hit, not one per past address.
    assert [hit.atena_number for hit in search(searcher, **SURNAME).hits] == [atena]


def test_rebuild_all_writes_the_same_rows_as_the_commit(
    enter: Callable[..., str], amend: Callable[..., None]
) -> None:
    atena = enter(person(former_surname="赤井", former_surname_kana="アカイ"))
    amend(atena, surname="緑川", surname_kana="ミドリカワ", address_code="42202999000")

    def rows() -> list[tuple[Any, ...]]:
        values = ResidentSearchKey.objects.order_by(
            "kind", "is_current_name", "is_current_address", "full_key"
        )
        return list(
            values.values_list(*[f.attname for f in ResidentSearchKey._meta.fields if f.name != "id"])
        )

    committed = rows()
    ResidentSearchKey.objects.all().delete()
    assert rebuild_all() == (1, len(committed))
    assert rows() == committed
    assert rebuild_all("999999999") == (0, 0)


def test_the_rebuild_command_is_audited(enter: Callable[..., str]) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    atena = enter(person())
    ResidentSearchKey.objects.all().delete()
    call_command("rebuild_search_keys", atena_number=atena)
    assert ResidentSearchKey.objects.filter(resident__atena_number=atena).exists()
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    assert (entry.action, entry.subject_id) == ("resident:search_keys:rebuild", atena)
    with pytest.raises(CommandError):
        call_command("rebuild_search_keys", atena_number="999999999")


# --- 抑止 and 支援措置 marks (standard 3.1-f, 2.2.4-a) --------------------------------------------


@pytest.fixture
def officer(make_clerk: Callable[..., User]) -> User:
    return make_clerk("officer", Permission.SUPPRESSION_MANAGE, Permission.SUPPORT_MEASURE_MANAGE)


def test_hits_show_suppression_and_support_measure_marks(
    enter: Callable[..., str], officer: User, searcher: User
) -> None:
    plain = enter(person())
    suppressed = enter(person(given_name="次郎", given_name_kana="ジロウ"))
    protected = enter(person(given_name="花子", given_name_kana="ハナコ"))
    set_suppression(
        actor=officer,
        purpose=PURPOSE,
        request=SuppressionRequest(
            scope=SuppressionScope.PERSON,
            target_number=suppressed,
            process=RestrictedProcess.CERTIFICATE,
            level=RestrictionLevel.ERROR,
            start_date=clock.today(),
            reason=SuppressionReason.OTHER,
            reason_text="調査中",
        ),
    )
    create_support_measure(
        actor=officer,
        purpose=PURPOSE,
        application=SupportApplication(
            applicant=protected,
            covered_services=["inspection", "copies"],
            received_on=clock.today(),
            period_start=clock.today(),
        ),
    )
    marks = {
        hit.atena_number: (hit.suppressed, hit.support_measure) for hit in search(searcher, **SURNAME).hits
    }
    assert marks == {plain: (False, False), suppressed: (True, False), protected: (False, True)}
    response = logged_in(searcher).post(
        "/api/registry/search",
        data=json.dumps({"purpose": PURPOSE, "criteria": SURNAME}),
        content_type="application/json",
    )
    api_marks = {h["atena_number"]: (h["suppressed"], h["support_measure"]) for h in response.json()["hits"]}
    assert api_marks == marks
    screen = logged_in(searcher).post(
        "/registry/search/", {"purpose": PURPOSE, "kana_name": "アオキ", "name_mode": "surname"}
    )
    body = screen.content.decode()
    assert body.count('class="mark suppressed"') == 1
    assert body.count('class="mark support"') == 1


def test_the_api_takes_the_new_criteria(household: Callable[..., list[str]], searcher: User) -> None:
    _head, child = household(person(), person(given_name="花子", given_name_kana="ハナコ", relationship="子"))
    criteria = {
        "kana_name": "アオキ",
        "name_mode": "surname",
        "relationship": "子",
        "empty_fields": ["katagaki"],
        "include_past_addresses": False,
    }
    response = logged_in(searcher).post(
        "/api/registry/search",
        data=json.dumps({"purpose": PURPOSE, "criteria": criteria}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert [hit["atena_number"] for hit in response.json()["hits"]] == [child]
    bad = {**criteria, "empty_fields": ["honseki"]}
    response = logged_in(searcher).post(
        "/api/registry/search",
        data=json.dumps({"purpose": PURPOSE, "criteria": bad}),
        content_type="application/json",
    )
    assert response.status_code in (400, 422)


def test_a_removed_person_keeps_searchable_keys_with_their_status(
    enter: Callable[..., str], amend: Callable[..., None]
) -> None:
    atena = enter(person())
    amend(atena, status=ResidentStatus.REMOVED, removal_reason="死亡", removal_date=date(2026, 12, 1))
    resident = Resident.objects.get(atena_number=atena)
    statuses = set(
        ResidentSearchKey.objects.filter(resident=resident).values_list("status", "removal_reason")
    )
    assert statuses == {(ResidentStatus.REMOVED, "死亡")}
