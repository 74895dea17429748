"""未届転入 (standard 4.1.1.4-a): 前住所 「…（未届）」, a type-B note, the registered address kept."""

from datetime import date

import pytest
from django.urls import reverse

from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.certificates.documents import printed_person
from jumin.domain.certificates import CertificateOptions
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason
from jumin.registry import certificate_sources
from jumin.registry.models import Change, ResidentSnapshot
from jumin.registry.services import commit_change, record_move_in
from jumin.registry.workflows.unreported_move_in import UnreportedMoveIn
from tests.registry.conftest import PURPOSE, current, family_move_in, logged_in
from tests.registry.test_api import MOVE_IN, post
from tests.registry.test_views import move_in_form

pytestmark = pytest.mark.django_db

REGISTERED = "東京都日野市神明1丁目1番1号"  # the 転出証明書's address (synthetic)
UNREPORTED = "神奈川県相模原市中央区中央2丁目2番2号"  # lived here without reporting it (synthetic)


def unreported_move_in(**overrides: object) -> object:
    values: dict[str, object] = {
        "previous_address": REGISTERED,
        "unreported": UnreportedMoveIn(UNREPORTED, date(2026, 6, 1)),
    }
    values.update(overrides)
    return family_move_in(**values)


def test_the_record_shows_the_unreported_address_marked_and_keeps_the_registered_one(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=unreported_move_in())  # type: ignore[arg-type]
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    for atena in draft.atena_numbers:
        row = current(atena)
        assert row.previous_address == UNREPORTED + "（未届）"
        assert row.unreported_address == UNREPORTED
        assert row.unreported_moved_on == date(2026, 6, 1)
        assert row.last_registered_address == REGISTERED
    note = Change.objects.get(pk=draft.change_id).attention_note
    assert note.startswith("未届転入。")
    assert REGISTERED in note
    assert "2026-06-01" in note


def test_an_ordinary_move_in_has_no_mark_no_note_and_no_kept_address(
    clerk: User, code_pool: list[str]
) -> None:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    row = ResidentSnapshot.objects.filter(change_id=draft.change_id).first()
    assert row is not None
    assert (row.previous_address, row.last_registered_address, row.unreported_address) == (REGISTERED, "", "")
    assert Change.objects.get(pk=draft.change_id).attention_note == ""


def test_a_later_change_keeps_the_unreported_data(clerk: User, reviewer: User, code_pool: list[str]) -> None:
    from jumin.registry.snapshots import draft_from_current

    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=unreported_move_in())  # type: ignore[arg-type]
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    resident = current(draft.atena_numbers[0]).resident
    later = Change.objects.create(
        reason="転居",
        change_date=date(2026, 12, 1),
        notification_kind="届出",
        made_by=clerk,
        made_at="2026-12-01T00:00Z",
    )
    copied = draft_from_current(resident, resident.current, later, address="長崎県佐世保市相生町2番2号")  # type: ignore[arg-type]
    assert (copied.previous_address, copied.last_registered_address) == (UNREPORTED + "（未届）", REGISTERED)


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        (
            {"unreported": UnreportedMoveIn("  ")},
            "unreported_address",
            "registry.unreported_address_required",
        ),
        ({"previous_address": " "}, "previous_address", "registry.registered_address_required"),
        (
            {"unreported": UnreportedMoveIn(REGISTERED)},
            "unreported_address",
            "registry.unreported_same_as_registered",
        ),
        (
            {"unreported": UnreportedMoveIn(UNREPORTED, date(2026, 11, 2))},
            "unreported_moved_on",
            "registry.unreported_after_move_in",
        ),
        (
            {"unreported": UnreportedMoveIn("あ" * 197)},
            "unreported_address",
            "registry.unreported_address_too_long",
        ),
    ],
)
def test_a_bad_unreported_move_in_is_refused_with_field_and_remedy_and_writes_nothing(
    clerk: User, code_pool: list[str], overrides: dict[str, object], field: str, code: str
) -> None:
    with pytest.raises(DomainError) as refused:
        record_move_in(actor=clerk, purpose=PURPOSE, move_in=unreported_move_in(**overrides))  # type: ignore[arg-type]
    assert (refused.value.field, refused.value.code) == (field, code)
    assert refused.value.remedy
    assert not Change.objects.exists()
    assert not AuditEntry.objects.filter(action="resident:move_in:record", outcome="done").exists()


def test_the_certificate_prints_the_previous_address_with_the_mark(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=unreported_move_in())  # type: ignore[arg-type]
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    atena = draft.atena_numbers[0]
    [source] = certificate_sources.people([atena])
    printed = printed_person(
        source, CertificateOptions(atena_numbers=(atena,)), issue_date=date(2026, 12, 1), country_name=str
    )
    assert ("従前の住所", UNREPORTED + "（未届）") in [(line.label, line.value) for line in printed.items]


def test_the_api_records_an_unreported_move_in_and_explains_a_missing_address(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    body = {
        **MOVE_IN,
        "previous_address": REGISTERED,
        "unreported": {"address": UNREPORTED, "moved_on": "2026-06-01"},
    }
    created = post(logged_in(clerk), "/move-ins", body)
    assert created.status_code == 201, created.content
    row = ResidentSnapshot.objects.filter(change_id=created.json()["change_id"]).first()
    assert row is not None
    assert (row.previous_address, row.last_registered_address) == (UNREPORTED + "（未届）", REGISTERED)

    refused = post(logged_in(clerk), "/move-ins", {**body, "unreported": {"address": ""}})
    assert refused.status_code == 400
    error = refused.json()
    assert error["field"] == "unreported_address"
    assert "未届" in error["reason"]
    assert Change.objects.count() == 1


def test_the_screen_records_an_unreported_move_in_and_the_record_shows_it(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    form = move_in_form(
        previous_address=REGISTERED, unreported="on", unreported_address=UNREPORTED, unreported_moved_on=""
    )
    response = logged_in(clerk).post(reverse("registry:move_in"), form)
    assert "仮登録しました" in response.content.decode()
    change = Change.objects.get()
    assert change.attention_note.startswith("未届転入。")
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=change.pk)
    atena = ResidentSnapshot.objects.filter(change=change).first().resident.atena_number  # type: ignore[union-attr]
    shown = logged_in(clerk).post(reverse("registry:lookup"), {"purpose": PURPOSE, "atena_number": atena})
    body = shown.content.decode()
    assert UNREPORTED + "（未届）" in body
    assert "最終住民登録地" in body
    assert "留意事項" in body


def test_the_screen_refuses_a_marked_move_in_without_the_unreported_address(clerk: User) -> None:
    form = move_in_form(unreported="on", unreported_address="")
    body = logged_in(clerk).post(reverse("registry:move_in"), form).content.decode()
    assert "未届転入の最後の未届住所が入力されていません" in body
    assert not Change.objects.exists()


def test_a_move_in_from_abroad_can_be_unreported_too(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    """Back from abroad, lived at an unreported address in Japan first (4.1.1.4-a): the 前住所 shows that
    address with 「（未届）」 and the country stays as the last registered 住所."""
    draft = record_move_in(
        actor=clerk,
        purpose=PURPOSE,
        move_in=unreported_move_in(  # type: ignore[arg-type]
            reason=ChangeReason.MOVE_IN_FROM_ABROAD, previous_address="アメリカ合衆国"
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    row = current(draft.atena_numbers[0])
    assert row.previous_address == UNREPORTED + "（未届）"
    assert row.last_registered_address == "アメリカ合衆国"
    assert row.change.reason == ChangeReason.MOVE_IN_FROM_ABROAD
    assert "アメリカ合衆国" in Change.objects.get(pk=draft.change_id).attention_note
