"""Input aids of the entry screens (standard 1.3.3-d, 1.3.6-a; issue 5 item 5)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoDbBlocker

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.masters.loading import load_masters
from jumin.registry.forms import MemberForm
from jumin.registry.input_help import (
    expand_wareki_shortcut,
    glyph_choices,
    kana_address_suggestions,
    postal_address_suggestions,
    preview_date,
)
from tests.masters.conftest import clear_masters
from tests.registry.conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def nagasaki(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """The address dictionary of 長崎県 only, committed; removed afterwards."""
    with django_db_blocker.unblock():
        load_masters(["42"])
    yield
    with django_db_blocker.unblock():
        clear_masters()


@pytest.fixture
def staff(make_clerk: Callable[..., User]) -> User:
    return make_clerk("counter")  # no permission needed: the aids read no personal data


def test_a_postal_code_fills_in_the_address(nagasaki: None) -> None:
    (suggestion,) = postal_address_suggestions("〒８５７－００４４")
    assert (suggestion.address, suggestion.postal_code) == ("長崎県佐世保市相生町", "8570044")
    assert len(suggestion.address_code) == 11
    assert postal_address_suggestions("8579999") == []


def test_a_malformed_postal_code_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        postal_address_suggestions("85700")
    assert (caught.value.field, caught.value.code) == ("postal_code", "input_help.postal_code")


def test_kana_prefixes_offer_the_addresses(nagasaki: None) -> None:
    assert [s.address for s in kana_address_suggestions("ナガサキ サセボ")] == ["長崎県佐世保市"]
    towns = {s.address for s in kana_address_suggestions("ながさき　ｻｾﾎﾞ あいおい")}
    assert "長崎県佐世保市相生町" in towns
    assert all(s.address.startswith("長崎県佐世保市") for s in kana_address_suggestions("ナ サセボ ア"))


@pytest.mark.parametrize(
    ("text", "code"), [("  ", "input_help.kana_empty"), ("ナ サ ア イ", "input_help.kana_levels")]
)
def test_bad_kana_input_is_refused_with_the_remedy(text: str, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        kana_address_suggestions(text)
    assert caught.value.code == code
    assert "ナガサキ サセボ" in caught.value.remedy


@pytest.mark.parametrize(
    ("typed", "expanded"),
    [
        ("3350401", "S35.4.1"),
        ("５０８１１０１", "R8.11.1"),
        ("s350401", "S35.4.1"),
        ("H310430", "H31.4.30"),
        ("S35.4.1", "S35.4.1"),
        ("1960-04-01", "1960-04-01"),
    ],
)
def test_wareki_shortcuts_expand_to_a_parsable_date(typed: str, expanded: str) -> None:
    assert expand_wareki_shortcut(typed) == expanded


def test_the_date_preview_shows_both_calendars() -> None:
    preview = preview_date("3350401")
    assert (preview.wareki, preview.gregorian) == ("昭和35年4月1日", "1960年4月1日")
    assert preview_date("20260401").wareki == "令和8年4月1日"


@pytest.mark.parametrize(("typed", "field"), [("9350401", "date"), ("3351301", "date"), ("昭和", "date")])
def test_malformed_dates_get_the_domain_error(typed: str, field: str) -> None:
    with pytest.raises(DomainError) as caught:
        preview_date(typed)
    assert caught.value.field == field
    assert caught.value.remedy


def test_the_aids_answer_htmx_with_a_fragment_and_forms_with_a_page(nagasaki: None, staff: User) -> None:
    client = logged_in(staff)
    fragment = client.post(
        reverse("registry:input_help_kana"), {"address_kana": "ナガサキ サセボ"}, HTTP_HX_REQUEST="true"
    )
    body = fragment.content.decode()
    assert "長崎県佐世保市" in body
    assert "<html" not in body
    page = client.post(reverse("registry:input_help_postal"), {"postal_code": "857-0044"}).content.decode()
    assert "<html" in page
    assert "長崎県佐世保市相生町" in page
    date = client.post(reverse("registry:input_help_date"), {"date_text": "3350401"}, HTTP_HX_REQUEST="true")
    assert "昭和35年4月1日" in date.content.decode()
    bad = client.post(reverse("registry:input_help_date"), {"date_text": "9999999"}, HTTP_HX_REQUEST="true")
    assert 'role="alert"' in bad.content.decode()
    assert client.get(reverse("registry:input_help_kana")).status_code == 405  # POST only
    assert client.get(reverse("registry:input_help")).status_code == 200


def test_the_aids_are_for_logged_in_staff_only() -> None:
    response = Client().post(reverse("registry:input_help_postal"), {"postal_code": "8570044"})
    assert response.status_code in (302, 401, 403)
    assert "長崎県" not in response.content.decode()


@pytest.fixture
def searcher(make_clerk: Callable[..., User]) -> User:
    return make_clerk("searcher", Permission.RESIDENT_SEARCH)


def test_a_typed_kanji_offers_its_variants_and_a_code_point_its_glyph() -> None:
    (takahashi, hashi) = glyph_choices("高橋")
    assert (takahashi.glyph.text, takahashi.glyph.code_points) == ("高", ("U+9AD8",))
    assert "髙" in [variant.text for variant in takahashi.variants]
    assert hashi.glyph.text == "橋"
    (tsuji,) = glyph_choices("U+8FBB U+E0100")
    assert (tsuji.glyph.text, tsuji.glyph.selector, tsuji.glyph.is_ivs) == ("辻\U000e0100", "VS17", True)
    with pytest.raises(DomainError) as caught:
        glyph_choices("U+D800")
    assert (caught.value.field, caught.value.code) == ("glyph_entry", "glyph_entry.surrogate")
    with pytest.raises(DomainError) as caught:
        glyph_choices("")
    assert caught.value.code == "glyph_entry.empty"
    with pytest.raises(DomainError) as caught:
        glyph_choices("一二三四五六七八九十百")
    assert caught.value.code == "glyph_entry.too_long"


def test_the_glyph_aid_answers_htmx_with_buttons_that_fill_the_named_field(searcher: User) -> None:
    client = logged_in(searcher)
    url = reverse("registry:input_help_glyph")
    fragment = client.post(url, {"glyph_entry": "高", "target": "id_kanji_name"}, HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert fragment.status_code == 200
    assert "<html" not in body
    assert 'data-glyph="髙"' in body
    assert 'data-glyph-target="id_kanji_name"' in body
    assert "U+9AD9" in body
    ivs = client.post(
        url, {"glyph_entry": "U+8FBB U+E0100", "target": "id_kanji_name"}, HTTP_HX_REQUEST="true"
    )
    assert "VS17" in ivs.content.decode()
    bad = client.post(url, {"glyph_entry": "U+E0100", "target": "id_kanji_name"}, HTTP_HX_REQUEST="true")
    assert 'role="alert"' in bad.content.decode()
    assert "異体字セレクタだけでは文字になりません" in bad.content.decode()
    page = client.post(url, {"glyph_entry": "9AD9"}).content.decode()  # without scripts: the whole page
    assert "<html" in page
    assert "髙" in page
    assert "data-glyph-target" not in page  # nothing to fill in: shown for reading
    assert client.get(url).status_code == 405
    tampered = client.post(url, {"glyph_entry": "高", "target": '"><script>'}, HTTP_HX_REQUEST="true")
    assert "<script>" not in tampered.content.decode()
    assert "data-glyph" not in tampered.content.decode()


def test_the_glyph_aid_needs_the_search_or_entry_permission_and_writes_no_audit_entry(
    staff: User, searcher: User, make_clerk: Callable[..., User]
) -> None:
    url = reverse("registry:input_help_glyph")
    assert Client().post(url, {"glyph_entry": "高"}).status_code in (302, 401, 403)
    before = AuditEntry.objects.count()
    assert logged_in(staff).post(url, {"glyph_entry": "高"}, HTTP_HX_REQUEST="true").status_code == 403
    assert logged_in(searcher).post(url, {"glyph_entry": "高"}, HTTP_HX_REQUEST="true").status_code == 200
    entering = make_clerk("entering", Permission.RESIDENT_RECORD)  # the 転入/出生 screens carry the aid too
    assert logged_in(entering).post(url, {"glyph_entry": "高"}, HTTP_HX_REQUEST="true").status_code == 200
    assert not AuditEntry.objects.filter(seq__gt=before, action__startswith="resident:").exists()


def test_the_name_fields_of_the_search_and_entry_screens_carry_the_glyph_aid(searcher: User) -> None:
    page = logged_in(searcher).get(reverse("registry:search")).content.decode()
    assert 'id="id_kanji_name_glyph"' in page
    assert 'form="glyph-aid-detached"' in page  # never posted with the search conditions
    assert 'hx-params="csrfmiddlewaretoken,glyph_entry,target"' in page
    assert 'id="glyph-aid-detached"' not in page
    member = MemberForm(prefix="members-0").as_p()
    assert 'id="id_members-0-surname_glyph"' in member
    assert 'id="id_members-0-given_name_glyph"' in member
