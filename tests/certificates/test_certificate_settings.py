"""The municipality's certificate settings (standard 5.1-a, 5.1-b, 5.6-b): 記載事項の既定値 per kind,
each foreign item on its own with the 通称 history, the seal kinds and the fixed phrases.

Content is read from the issued, signed PDF with poppler's pdftotext.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates import certificate_settings as settings_service
from jumin.certificates.card_forms import print_card_face
from jumin.certificates.models import CertificateOptionDefault, OfficialSeal
from jumin.certificates.seals import synthetic_seal
from jumin.domain.card_face import CardFaceKind
from jumin.domain.certificate_settings import (
    BUILTIN_DEFAULTS,
    OptionDefaults,
    SealKind,
    check_phrases,
    check_seal_color,
)
from jumin.domain.certificates import DEFAULT_FOREIGN_ITEMS, CertificateKind, ForeignItem, Layout
from jumin.domain.errors import DomainError
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.names import AliasOperation, record_alias_application
from tests.certificates.conftest import CERT_PURPOSE
from tests.certificates.helpers import first_page_image, flat, pdf_pages
from tests.certificates.test_card_forms import _move as move_within
from tests.certificates.test_card_forms import printer  # noqa: F401 (a fixture)
from tests.certificates.test_issuance import issue
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE
from tests.registry.test_names import alias
from tests.registry.test_naturalisation import foreign_move_in

pytestmark = pytest.mark.django_db

RED_SEAL = synthetic_seal("券面印", ink=(200, 0, 0))


@pytest.fixture
def manager(make_clerk: Callable[..., User]) -> User:
    return make_clerk("cert-settings", Permission.CERTIFICATE_SETTINGS_MANAGE)


def set_defaults(actor: User, kind: str = "copy", **values: Any) -> OptionDefaults:
    confirmed = values.pop("individual_number_confirmed", False)
    return settings_service.set_option_defaults(
        actor=actor,
        kind=kind,
        defaults=OptionDefaults(**values),
        individual_number_confirmed=confirmed,
        reason="窓口の運用変更",
    )


def api_issue(client: Any, family: DraftRecorded, **options: Any) -> str:
    body = {
        "purpose": CERT_PURPOSE,
        "request": {"requester_class": "self", "identity_check": "drivers_license"},
        "options": {"atena_numbers": [family.atena_numbers[0]], **options},
    }
    response = client.post("/api/certificates/issue", data=body, content_type="application/json")
    assert response.status_code == 200, response.content
    return flat(pdf_pages(base64.b64decode(response.json()["pdf_base64"]))[0])


# --- 5.1-a: 記載事項の既定値 -----------------------------------------------------------------------


def test_defaults_fill_in_only_what_the_request_leaves_out() -> None:
    defaults = OptionDefaults(layout=Layout.PERSONAL, show_juminhyo_code=True, with_history=True)
    options = defaults.options(CertificateKind.COPY, with_history=False, show_honseki=None)
    assert (options.layout, options.show_juminhyo_code) == (Layout.PERSONAL, True)
    assert options.with_history is False  # the request wins
    assert options.show_honseki is False
    assert options.show_individual_number is False
    assert BUILTIN_DEFAULTS.options(CertificateKind.COPY).foreign_items == DEFAULT_FOREIGN_ITEMS


def test_a_setting_is_appended_with_who_and_when_and_audited_with_old_and_new(manager: User) -> None:
    assert settings_service.option_defaults(CertificateKind.COPY) == BUILTIN_DEFAULTS
    set_defaults(manager, show_juminhyo_code=True)
    set_defaults(manager, show_juminhyo_code=True, show_honseki=True)
    rows = list(CertificateOptionDefault.objects.order_by("id"))
    assert [r.values["show_honseki"] for r in rows] == [False, True], "the earlier setting stays"
    assert {(r.set_by_id, r.reason) for r in rows} == {(manager.pk, "窓口の運用変更")}
    assert settings_service.option_defaults(CertificateKind.COPY).show_honseki is True
    assert settings_service.option_defaults(CertificateKind.REMOVED_COPY) == BUILTIN_DEFAULTS
    entry = AuditEntry.objects.filter(action="certificate:settings:change").order_by("-seq").first()
    assert entry is not None
    assert entry.outcome == "done"
    assert "before=household/whole_household,show_head_and_relationship,show_juminhyo_code/" in entry.reason
    assert "after=household/whole_household,show_head_and_relationship,show_honseki," in entry.reason
    with pytest.raises(ValueError, match="新しい設定を追加"):
        rows[0].save()
    with pytest.raises(ValueError, match="削除できません"):
        rows[0].delete()


@pytest.mark.parametrize(
    ("kind", "values", "code"),
    [
        ("move_out", {}, "certificates.defaults_kind"),
        ("copy", {"show_individual_number": True}, "certificates.defaults_individual_number_unconfirmed"),
    ],
)
def test_refused_defaults_change_nothing(manager: User, kind: str, values: dict[str, Any], code: str) -> None:
    with pytest.raises(DomainError) as caught:
        set_defaults(manager, kind, **values)
    assert caught.value.code == code
    assert not CertificateOptionDefault.objects.exists()


def test_the_individual_number_is_printed_by_default_only_after_an_explicit_confirmation(
    manager: User,
) -> None:
    assert settings_service.option_defaults(CertificateKind.COPY).show_individual_number is False
    set_defaults(manager, show_individual_number=True, individual_number_confirmed=True)
    assert settings_service.option_defaults(CertificateKind.COPY).show_individual_number is True


def test_without_the_permission_a_setting_is_refused_and_audited(issuer: User) -> None:
    with pytest.raises(AccessRefused):
        set_defaults(issuer, show_honseki=True)
    assert not CertificateOptionDefault.objects.exists()
    refused = AuditEntry.objects.get(action="certificate:settings:change")
    assert refused.outcome == "refused"


def test_the_api_prints_the_kinds_defaults_and_a_request_overrides_them(
    manager: User, family: DraftRecorded, make_staff: Callable[..., Any], certifier: Any
) -> None:
    client = make_staff(permissions=[Permission.CERTIFICATE_ISSUE])
    code = "住民票コード"
    assert code not in api_issue(client, family)
    set_defaults(manager, show_juminhyo_code=True, show_head_and_relationship=False)
    by_default = api_issue(client, family)
    assert code in by_default
    assert "続柄" not in by_default
    overridden = api_issue(client, family, show_juminhyo_code=False, show_head_and_relationship=True)
    assert code not in overridden
    assert "続柄" in overridden


def test_the_issue_screen_opens_with_the_chosen_kinds_defaults(
    manager: User, make_staff: Callable[..., Any]
) -> None:
    set_defaults(manager, "removed_copy", show_honseki=True, layout=Layout.PERSONAL)
    client = make_staff(permissions=[Permission.CERTIFICATE_ISSUE])
    page = client.get(reverse("certificates:issue") + "?kind=removed_copy").content.decode()
    assert 'name="show_honseki" id="id_show_honseki" checked' in page
    assert '<option value="personal" selected>' in page
    plain = client.get(reverse("certificates:issue")).content.decode()
    assert 'name="show_honseki" id="id_show_honseki" checked' not in plain


# --- 5.1-b: each foreign item on its own; the 通称 history ---------------------------------------


@pytest.fixture
def foreigner(clerk: User, reviewer: User, code_pool: list[str]) -> str:
    """A committed foreign resident whose 通称 was recorded and deleted, then another recorded."""
    atena = record_move_in(actor=clerk, purpose=PURPOSE, move_in=foreign_move_in())
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=atena.change_id)
    number = atena.atena_numbers[0]
    for operation, name in (
        (AliasOperation.RECORD, "中村 安"),
        (AliasOperation.DELETE, ""),
        (AliasOperation.RECORD, "中村 康"),
    ):
        application = alias(number, operation, name, "ナカムラヤスシ" if name else "")
        draft = record_alias_application(actor=clerk, purpose=PURPOSE, application=application)
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    return number


def test_each_foreign_item_is_printed_or_omitted_on_its_own(
    foreigner: str, issuer: User, certifier: Any
) -> None:
    every = flat(pdf_pages(issue(issuer, [foreigner]).pdf)[0])
    assert "国籍・地域" in every
    assert "在留資格" in every
    assert "通称の履歴" not in every
    only = frozenset({ForeignItem.NATIONALITY, ForeignItem.CARD_NUMBER})
    text = flat(pdf_pages(issue(issuer, [foreigner], foreign_items=only).pdf)[0])
    assert "国籍・地域" in text
    assert "在留カード等の番号" in text
    for omitted in ("在留資格", "在留期間等", "在留期間の満了の日", "法第30条の45に規定する区分"):
        assert omitted not in text


def test_the_alias_history_is_printed_when_chosen(foreigner: str, issuer: User, certifier: Any) -> None:
    chosen = DEFAULT_FOREIGN_ITEMS | {ForeignItem.ALIAS_HISTORY}
    text = flat(pdf_pages(issue(issuer, [foreigner], foreign_items=chosen).pdf)[0])
    assert "通称の履歴中村安（ナカムラヤスシ）記載令和" in text
    assert text.count("通称の履歴") == 2
    first = text.index("通称の履歴中村安")
    assert "削除令和" in text[first : text.index("通称の履歴中村康")]
    assert "佐世保市" in text[first:]


def test_a_defaults_setting_chooses_the_foreign_items(
    manager: User, foreigner: str, make_staff: Callable[..., Any], certifier: Any
) -> None:
    set_defaults(manager, foreign_items=frozenset({ForeignItem.ALIAS_HISTORY}))
    client = make_staff(permissions=[Permission.CERTIFICATE_ISSUE])
    body = {
        "purpose": CERT_PURPOSE,
        "request": {"requester_class": "self", "identity_check": "residence_card"},
        "options": {"atena_numbers": [foreigner]},
    }
    response = client.post("/api/certificates/issue", data=body, content_type="application/json")
    assert response.status_code == 200, response.content
    text = flat(pdf_pages(base64.b64decode(response.json()["pdf_base64"]))[0])
    assert "通称の履歴" in text
    assert "在留資格" not in text


# --- 5.6-b: seal kinds and fixed phrases ----------------------------------------------------------


def test_only_the_card_face_seal_may_be_red() -> None:
    assert check_seal_color(SealKind.CARD_FACE, "red").value == "red"
    with pytest.raises(DomainError) as caught:
        check_seal_color(SealKind.CERTIFICATE_ONLY, "red")
    assert caught.value.code == "certificates.seal_color"


def test_a_certificate_only_seal_replaces_the_certifiers_and_can_be_withdrawn(
    manager: User, certifier: Any
) -> None:
    own = synthetic_seal("証明専用印")
    settings_service.register_seal(
        actor=manager, kind="certificate_only", color="black", png=own, size_mm="20"
    )
    signer = settings_service.certificate_signer(certifier, CertificateKind.COPY)
    assert (signer.seal_png, signer.seal_size_mm) == (own, 20.0)
    settings_service.withdraw_seal(actor=manager, kind="certificate_only")
    assert settings_service.certificate_signer(certifier, CertificateKind.COPY).seal_png == bytes(
        certifier.seal_png
    )
    assert OfficialSeal.objects.count() == 2, "the withdrawal is a new row; the seal stays in the history"


def _red_pixels(pdf: bytes) -> int:
    """Strongly red pixels on the first page as pdftoppm draws it (what the card-face printer prints)."""
    data = first_page_image(pdf).tobytes()
    pixels = (data[i : i + 3] for i in range(0, len(data), 3))
    return sum(1 for red, green, blue in pixels if red > 150 and green < 90 and blue < 90)


def test_the_card_face_seal_may_be_red_and_prints_on_the_card(
    manager: User,
    certifier: Any,
    family: DraftRecorded,
    clerk: User,
    reviewer: User,
    printer: User,  # noqa: F811 (the imported fixture)
) -> None:
    change_id = move_within(clerk, reviewer, list(family.atena_numbers))

    def card_face() -> bytes:
        return print_card_face(
            actor=printer,
            purpose=PURPOSE,
            atena_number=family.atena_numbers[0],
            change_id=change_id,
            card_kind=CardFaceKind.INDIVIDUAL_NUMBER,
        )

    assert settings_service.card_face_seal(certifier) == bytes(certifier.seal_png)
    assert _red_pixels(card_face()) == 0
    settings_service.register_seal(actor=manager, kind="card_face", color="red", png=RED_SEAL, size_mm="8")
    assert settings_service.card_face_seal(certifier) == RED_SEAL
    assert _red_pixels(card_face()) > 50, "the red card-face seal is on the printed card"


@pytest.mark.parametrize(
    ("kind", "color", "png", "size", "code"),
    [
        ("certificate_only", "red", RED_SEAL, "20", "certificates.seal_color"),
        ("certificate_only", "black", RED_SEAL, "20", "certificates.seal_not_black"),
        ("card_face", "red", synthetic_seal("黒印"), "8", "certificates.seal_not_red"),
        ("card_face", "black", synthetic_seal("黒印"), "25.5", "certificates.seal_too_large"),
        ("certifier", "black", synthetic_seal("黒印"), "20", "certificates.seal_kind"),
    ],
)
def test_a_wrong_seal_is_refused_and_nothing_is_registered(
    manager: User, kind: str, color: str, png: bytes, size: str, code: str
) -> None:
    with pytest.raises(DomainError) as caught:
        settings_service.register_seal(actor=manager, kind=kind, color=color, png=png, size_mm=size)
    assert caught.value.code == code
    assert not OfficialSeal.objects.exists()


def test_the_database_refuses_a_red_certificate_only_seal() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        OfficialSeal.objects.create(kind="certificate_only", color="red", png=RED_SEAL, size_mm=20)


def test_fixed_phrases_are_configured_per_kind_and_printed_beside_the_seal(
    manager: User, family: DraftRecorded, issuer: User, certifier: Any
) -> None:
    assert "この印は黒色です。" in flat(pdf_pages(issue(issuer, family.atena_numbers[:1]).pdf)[-1])
    settings_service.set_phrases(
        actor=manager, kind="copy", lines=["公印省略", "", "この証明書は電子署名付きです。"]
    )
    text = flat(pdf_pages(issue(issuer, family.atena_numbers[:1]).pdf)[-1])
    assert "公印省略" in text
    assert "この証明書は電子署名付きです。" in text
    assert "この印は黒色です。" not in text
    stated = issue(issuer, family.atena_numbers[:1], kind=CertificateKind.STATED_ITEMS)
    assert "この印は黒色です。" in flat(pdf_pages(stated.pdf)[-1]), "other kinds keep their phrases"


@pytest.mark.parametrize("lines", [[], ["一", "二", "三", "四", "五"], ["長" * 41], ["改\x07行"]])
def test_bad_phrases_are_refused(lines: list[str]) -> None:
    with pytest.raises(DomainError):
        check_phrases(lines)


# --- screen and API ---------------------------------------------------------------------------------


def test_the_settings_screen_and_api_need_the_permission(make_staff: Callable[..., Any]) -> None:
    permission = Permission.CERTIFICATE_SETTINGS_MANAGE
    assert_permission_triple(make_staff, "get", reverse("certificates:settings"), permission)
    assert_permission_triple(make_staff, "get", "/api/certificates/settings", permission)
    assert_permission_triple(
        make_staff,
        "post",
        "/api/certificates/settings/option-defaults",
        permission,
        data={"kind": "stated_items", "show_honseki": True},
        content_type="application/json",
    )
    assert_permission_triple(
        make_staff,
        "post",
        "/api/certificates/settings/phrases",
        permission,
        data={"kind": "copy", "phrases": ["公印省略"]},
        content_type="application/json",
    )
    seal = base64.b64encode(RED_SEAL).decode("ascii")
    assert_permission_triple(
        make_staff,
        "post",
        "/api/certificates/settings/seals",
        permission,
        data={"kind": "card_face", "color": "red", "png_base64": seal, "size_mm": "8"},
        content_type="application/json",
    )


def test_the_settings_screen_records_a_change_and_shows_the_history(make_staff: Callable[..., Any]) -> None:
    client = make_staff(permissions=[Permission.CERTIFICATE_SETTINGS_MANAGE])
    data = {
        "section": "defaults",
        "kind": "stated_items",
        "layout": "personal",
        "whole_household": "0",
        "show_juminhyo_code": "on",
        "foreign_items": ["nationality"],
        "reason": "記載事項証明書は個人票で",
    }
    response = client.post(reverse("certificates:settings"), data=data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "設定を登録しました" in page
    assert "記載事項証明書は個人票で" in page
    assert settings_service.option_defaults(CertificateKind.STATED_ITEMS) == OptionDefaults(
        layout=Layout.PERSONAL,
        whole_household=False,
        show_head_and_relationship=False,
        show_juminhyo_code=True,
        foreign_items=frozenset({ForeignItem.NATIONALITY}),
    )
    refused = client.post(reverse("certificates:settings"), data={**data, "show_individual_number": "on"})
    assert refused.status_code == 400
    assert "確認が必要です" in refused.content.decode()
    api = client.get("/api/certificates/settings").json()
    assert api["option_defaults"]["stated_items"]["layout"] == "personal"
    assert [row["kind"] for row in api["history"]] == ["option_defaults:stated_items"]
