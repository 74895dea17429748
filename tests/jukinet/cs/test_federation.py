"""The CS with its prefecture and the national node (in-process federation, real messages and queries)."""

from __future__ import annotations

import pytest

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.cs import cards, consistency, relays, services
from jumin.jukinet.cs.models import CardPinState, CsIdentity, DifferenceKind, UpdateRejection
from jumin.jukinet.cs.search import IdentitySearch, search_identity
from jumin.messaging.envelope import NodeRef
from jumin.messaging.models import OutboxMessage
from jumin.messaging.testing import TestFederation
from tests.helpers.accounts import grant_permissions, make_user
from tests.jukinet.cs.factories import then as later
from tests.jukinet.cs.factories import update

pytestmark = pytest.mark.django_db

SASEBO = NodeRef("municipality", "422029")
PIN = "1234"


@pytest.fixture
def operator(db: None) -> User:
    user = make_user(username="csop01")
    grant_permissions(
        user,
        [
            Permission.CS_SEARCH,
            Permission.CS_IDENTITY_CHECK,
            Permission.CS_CONSISTENCY,
            Permission.CS_CARD,
            Permission.FIELD_JUMINHYO_CODE_VIEW,
        ],
    )
    return user


def resident(federation: TestFederation, **overrides: object) -> str:
    """A person recorded at the CS of 佐世保市 and carried to the prefecture and the national node."""
    request = update(**overrides)
    with federation.acting_as(SASEBO):
        result = services.accept_update(request, actor=None)
    assert result.queued == 1
    federation.pump()
    return request.resident_code


def test_an_update_travels_to_the_prefecture_and_the_national_node(
    federation: TestFederation, operator: User
) -> None:
    code = resident(federation)
    search = IdentitySearch(by="resident_code", resident_code=code, reason="転入届の確認")
    with federation.acting_as(SASEBO):
        for target in ("local", "prefecture", "national"):
            outcome = search_identity(actor=operator, purpose="cs_operator", search=search, target=target)
            assert [record.resident_code for record in outcome.records] == [code], target
            assert outcome.records[0].individual_number == "＊＊＊＊"  # no 特定個人情報 access
    assert AuditEntry.objects.filter(action="cs:identity:query", outcome="done").count() == 2


def test_a_four_item_search_without_two_items_is_refused_saying_what_to_add(
    federation: TestFederation, operator: User
) -> None:
    with federation.acting_as(SASEBO), pytest.raises(DomainError) as refused:
        search_identity(
            actor=operator,
            purpose="cs_operator",
            search=IdentitySearch(by="four_items", name="試験", sex="male", reason="確認"),
        )
    assert "生年月日" in refused.value.remedy
    assert "住所" in refused.value.remedy


def test_a_refused_update_comes_back_to_the_returned_errors_list(federation: TestFederation) -> None:
    first = update()
    with federation.acting_as(SASEBO):
        services.accept_update(first, actor=None)
        # A 転入 for a person the prefecture holds as a current resident: logic check (a) refuses it.
        services.accept_update(later(first, address="長崎県佐世保市島瀬町9番9号"), actor=None)
    federation.pump()
    rejection = UpdateRejection.objects.get()
    assert rejection.identity == CsIdentity.objects.get(resident_code=first.resident_code)
    assert rejection.update_seq >= 1
    assert rejection.reason


def test_a_card_is_issued_and_checks_the_person_with_the_pin(
    federation: TestFederation, operator: User
) -> None:
    code = resident(federation)
    with federation.acting_as(SASEBO):
        card = cards.issue_card(
            actor=operator, purpose="cs_operator", resident_code=code, pin=PIN, signing_password="SIGN1357"
        )
        assert (card["format"], card["resident_code"]) == ("jumin-card/2", code)
        assert PIN not in str(card)
        assert "SIGN1357" not in str(card)
        check = cards.verify_with_card(actor=operator, purpose="cs_operator", card_json=card, pin=PIN)
    assert check.card_status == "active"
    assert check.record is not None
    assert check.record.resident_code == code
    assert check.record.individual_number == "＊＊＊＊"  # no 特定個人情報 access


@pytest.mark.parametrize(
    ("extra", "number_shown", "code_shown"),
    [
        ((Permission.INDIVIDUAL_NUMBER_ACCESS, Permission.FIELD_INDIVIDUAL_NUMBER_VIEW), True, False),
        ((Permission.INDIVIDUAL_NUMBER_ACCESS,), False, False),
        ((Permission.FIELD_INDIVIDUAL_NUMBER_VIEW, Permission.FIELD_JUMINHYO_CODE_VIEW), False, True),
    ],
)
def test_the_card_check_shows_the_number_and_code_only_with_their_field_grants(
    federation: TestFederation,
    operator: User,
    extra: tuple[Permission, ...],
    number_shown: bool,
    code_shown: bool,
) -> None:
    request = update()
    with federation.acting_as(SASEBO):
        services.accept_update(request, actor=None)
    federation.pump()
    code, number = request.resident_code, request.individual_number
    checker = make_user(username="csop02")
    grant_permissions(checker, [Permission.CS_IDENTITY_CHECK, *extra])
    with federation.acting_as(SASEBO):
        card = cards.issue_card(actor=operator, purpose="cs_operator", resident_code=code, pin=PIN)
        check = cards.verify_with_card(actor=checker, purpose="cs_operator", card_json=card, pin=PIN)
    assert check.record is not None
    assert check.record.individual_number == (number if number_shown else "＊＊＊＊")
    assert check.record.resident_code == (code if code_shown else "＊＊＊＊")
    entry = AuditEntry.objects.get(action="cs:card:verify", outcome="done")
    assert entry.individual_number_used is number_shown


def test_three_wrong_pins_lock_the_card_and_suspend_it(federation: TestFederation, operator: User) -> None:
    code = resident(federation)
    with federation.acting_as(SASEBO):
        card = cards.issue_card(actor=operator, purpose="cs_operator", resident_code=code, pin=PIN)
        for attempt in range(3):
            with pytest.raises(DomainError) as refused:
                cards.verify_with_card(actor=operator, purpose="cs_operator", card_json=card, pin="9999")
            assert refused.value.code == (
                "jukinet.cs.card_locked" if attempt == 2 else "jukinet.cs.wrong_pin"
            )
        with pytest.raises(DomainError):
            cards.verify_with_card(actor=operator, purpose="cs_operator", card_json=card, pin=PIN)
    assert CardPinState.objects.get(card_serial=card["card_serial"]).locked_at is not None
    assert OutboxMessage.objects.filter(type="jukinet.card_event").count() == 1
    assert AuditEntry.objects.filter(action="cs:card:verify", outcome_reason="wrong_pin").count() == 2
    federation.pump()


def test_a_forged_card_is_refused_by_the_national_node(federation: TestFederation, operator: User) -> None:
    code = resident(federation)
    with federation.acting_as(SASEBO):
        card = cards.issue_card(actor=operator, purpose="cs_operator", resident_code=code, pin=PIN)
        other = cards.issue_card(actor=operator, purpose="cs_operator", resident_code=code, pin=PIN)
        forged = {**other, "card_serial": card["card_serial"]}
        with pytest.raises(DomainError):
            cards.verify_with_card(actor=operator, purpose="cs_operator", card_json=forged, pin=PIN)
    assert AuditEntry.objects.filter(action="cs:card:verify", outcome="refused").exists()


def test_consistency_finds_no_difference_then_the_one_that_was_made(
    federation: TestFederation, operator: User
) -> None:
    codes = [resident(federation) for _ in range(3)]
    with federation.acting_as(SASEBO):
        (clean,) = consistency.run_consistency(
            actor=operator, purpose="cs_operator", target="prefecture", size=2
        )
        assert (clean.status, clean.records, clean.chunks, clean.differences) == ("done", 3, 2, 0)
        CsIdentity.objects.filter(resident_code=codes[1]).update(digest="A" * 22)
        runs = consistency.run_consistency(actor=operator, purpose="cs_operator", target="both")
    for run in runs:
        assert run.status == "done", run.error
        assert [(d.resident_code, d.kind) for d in run.difference_rows.all()] == [
            (codes[1], DifferenceKind.DIFFERENT)
        ]


def test_the_cs_relays_resident_codes_and_individual_numbers(
    federation: TestFederation, operator: User
) -> None:
    code = resident(federation)
    with federation.acting_as(SASEBO):
        codes = relays.fetch_resident_codes(5, actor=operator, purpose="registry_batch")
        number = relays.request_individual_number(code, change=True, actor=operator, purpose="cs_operator")
    assert len(set(codes)) == 5
    assert len(number) == 12
    assert AuditEntry.objects.filter(
        action="cs:individual_number:request", individual_number_used=True, purpose="cs_operator"
    ).exists()
    assert AuditEntry.objects.filter(action="cs:resident_code:fetch", purpose="registry_batch").exists()


def test_a_card_suspended_by_an_event_is_refused_by_the_national_node(
    federation: TestFederation, operator: User
) -> None:
    code = resident(federation)
    with federation.acting_as(SASEBO):
        card = cards.issue_card(actor=operator, purpose="cs_operator", resident_code=code, pin=PIN)
        cards.send_card_event(
            actor=operator,
            purpose="cs_operator",
            card_serial=card["card_serial"],
            resident_code=code,
            event="suspend",
            reason="紛失届",
        )
    federation.pump()
    with federation.acting_as(SASEBO), pytest.raises(DomainError):
        cards.verify_with_card(actor=operator, purpose="cs_operator", card_json=card, pin=PIN)
    assert AuditEntry.objects.filter(action="cs:card:event", reason="suspend").count() == 1
    assert AuditEntry.objects.filter(action="cs:card:verify", outcome="refused").count() == 1
