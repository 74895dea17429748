"""特例転出 and 特例転入 through the registry and the CS of both municipalities (system.md F02, F03).

All nodes share one test database, so one test runs the registry of one municipality only: the
転出地 test drives 佐世保市's registry with 長崎市's CS; the 転入地 test drives 長崎市's registry with
佐世保市's CS (tests/jukinet/cs/test_special_move_in.py covers the CS services alone).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.domain.resident import ResidentKind
from jumin.jukinet.common.move_out_certificate import MoveOutCertificate
from jumin.jukinet.cs import cards, services, special_move_in, special_move_out
from jumin.jukinet.cs.models import (
    CertificateRequest,
    CsIdentity,
    HeldCertificate,
    ReceivedMoveInNotice,
    SentMoveInNotice,
)
from jumin.jukinet.national.models import CardEvent as NationalCardEvent
from jumin.messaging.envelope import NodeRef
from jumin.messaging.testing import TestFederation
from jumin.registry.cards import CardEventInput, CardEventKind, record_card_event
from jumin.registry.models import ResidentSnapshot
from jumin.registry.numbering import load_code_pool
from jumin.registry.services import Address, MoveIn, commit_change, record_move_in
from jumin.registry.workflows.move_out import MoveOut, record_move_out
from jumin.registry.workflows.special_moves import (
    import_move_in_notices,
    record_special_move_in,
    special_move_in_start,
)
from tests.jukinet.cs.factories import individual_number, resident_code, then, update
from tests.jukinet.test_move_out_certificate_schema import foreign_items
from tests.registry.conftest import PURPOSE, current, family_move_in, logged_in, person

pytestmark = pytest.mark.django_db

SASEBO = NodeRef("municipality", "422029")
NAGASAKI = NodeRef("municipality", "422011")
NEW_ADDRESS = "長崎県長崎市江戸町2番13号"
UNREPORTED_ADDRESS = "福岡県福岡市中央区天神1丁目1番1号"  # synthetic
PIN = "1234"


@pytest.fixture
def counter_clerk(make_clerk: Callable[..., User]) -> User:
    """A clerk who enters moves, records card events and operates the 統合端末 card check."""
    return make_clerk(
        "special01",
        Permission.RESIDENT_RECORD,
        Permission.RESIDENT_VIEW,
        Permission.INDIVIDUAL_NUMBER_ACCESS,
        Permission.RESIDENT_CARD_RECORD,
        Permission.CS_IDENTITY_CHECK,
        Permission.CS_CARD,
    )


def committed(federation: TestFederation, node: NodeRef, reviewer: User, change_id: int) -> None:
    with federation.acting_as(node):
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=change_id)
    federation.pump()


# --- 転出地: 佐世保市's registry ------------------------------------------------------------------


def test_a_card_holders_move_out_sends_the_certificate_and_the_move_in_notice_confirms_it(
    federation: TestFederation, counter_clerk: User, reviewer: User
) -> None:
    today = timezone.localdate()
    with federation.acting_as(SASEBO):
        load_code_pool([resident_code(n) for n in range(300, 320)])
        move_in = family_move_in(
            members=family_move_in().members[:2], individual_numbers=(individual_number(300), "")
        )
        draft = record_move_in(actor=counter_clerk, purpose=PURPOSE, move_in=move_in)
    committed(federation, SASEBO, reviewer, draft.change_id)
    head, wife = draft.atena_numbers
    code = current(head).juminhyo_code
    with federation.acting_as(SASEBO):
        card = cards.issue_card(actor=counter_clerk, purpose="cs_operator", resident_code=code, pin=PIN)
        record_card_event(
            actor=counter_clerk,
            purpose=PURPOSE,
            entry=CardEventInput(
                atena_number=head,
                event=CardEventKind.ISSUED,
                event_date=today,
                expiry_date=today + timedelta(days=3650),
            ),
        )
        move_out = record_move_out(
            actor=counter_clerk,
            purpose=PURPOSE,
            move_out=MoveOut(
                atena_numbers=[head, wife],
                planned_date=today + timedelta(days=3),
                destination=NEW_ADDRESS,
                notification_date=today,
                destination_municipality_code=NAGASAKI.code,
            ),
        )
    committed(federation, SASEBO, reviewer, move_out.change_id)
    assert (current(head).special_move_out, current(wife).special_move_out) == (True, False)

    # Only the card holder's 転出証明書情報 reached 長崎市's CS, 個人番号 encrypted.
    held = HeldCertificate.objects.get()
    assert (held.resident_code, held.sender_code, held.state) == (code, SASEBO.code, "held")
    assert held.items["destination"] == NEW_ADDRESS
    assert held.items["household_head"] == held.items["name"]
    assert held.erase_on == today + timedelta(days=33)

    with federation.acting_as(NAGASAKI):
        special_move_in.check_card(actor=counter_clerk, purpose="cs_operator", card_json=card, pin=PIN)
        with transaction.atomic():  # what 長崎市's 転入 commit does (see the 転入地 test)
            special_move_in.complete(
                special_move_in.MoveInDone(
                    resident_code=code, move_in_date=today, notice_date=today, new_address=NEW_ADDRESS
                ),
                actor=counter_clerk,
            )
    federation.pump()
    assert ReceivedMoveInNotice.objects.get().imported_at is None

    with federation.acting_as(SASEBO):
        result = import_move_in_notices(actor=counter_clerk, purpose=PURPOSE)
    assert result.left == ()
    assert result.drafts[0].atena_numbers == (head,)
    assert ReceivedMoveInNotice.objects.get().change_id == result.drafts[0].change_id
    committed(federation, SASEBO, reviewer, result.drafts[0].change_id)
    confirmed = current(head)
    assert (confirmed.confirmed_destination, confirmed.move_in_notice_date) == (NEW_ADDRESS, today)
    assert confirmed.planned_destination == NEW_ADDRESS  # the 予定 value is kept beside it
    assert AuditEntry.objects.filter(action="resident:move_in_notice:record").count() == 1

    # Once confirmed, a 送信依頼 for the person is answered with the reason instead of the data.
    with federation.acting_as(NAGASAKI):
        special_move_in.request_resend(
            actor=counter_clerk, purpose="cs_operator", resident_code=code, from_municipality=SASEBO.code
        )
    federation.pump()
    assert CertificateRequest.objects.get().state == "refused"


def test_a_move_out_names_a_valid_destination_code(clerk: User, family: Any) -> None:
    body = {
        "purpose": PURPOSE,
        "atena_numbers": list(family.atena_numbers),
        "planned_date": timezone.localdate().isoformat(),
        "destination": NEW_ADDRESS,
        "notification_date": timezone.localdate().isoformat(),
        "destination_municipality_code": "422012",  # wrong check digit (長崎市 is 422011)
    }
    url = "/api/registry/events/move-out"
    client = logged_in(clerk)
    refused = client.post(url, json.dumps(body), content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["field"] == "destination_municipality_code"
    abroad = {**body, "destination_municipality_code": NAGASAKI.code, "reason": "国外転出"}
    assert client.post(url, json.dumps(abroad), content_type="application/json").json()["field"] == (
        "destination_municipality_code"
    )
    accepted = client.post(
        url,
        json.dumps({**body, "destination_municipality_code": NAGASAKI.code}),
        content_type="application/json",
    )
    assert accepted.status_code == 201
    draft = ResidentSnapshot.objects.filter(change_id=accepted.json()["change_id"])
    # No card was issued to this family: an ordinary 転出 with the code kept for the record.
    assert {(row.planned_destination_code, row.special_move_out) for row in draft} == {(NAGASAKI.code, False)}


# --- 転入地: 長崎市's registry --------------------------------------------------------------------


def card_holder_sent_over(
    federation: TestFederation,
    operator: User,
    name: str = "試験\u3000太郎",
    foreign: dict[str, str] | None = None,
) -> tuple[Any, dict[str, Any]]:
    """A 佐世保市 card holder who moved out by 特例転出; 佐世保市's CS sent the certificate to 長崎市.
    ``foreign``: a foreign resident's 30条の45 items and 通称 (no 本籍 then)."""
    request = update()
    today = timezone.localdate()
    with federation.acting_as(SASEBO):
        services.accept_update(request, actor=None)
        federation.pump()
        card = cards.issue_card(
            actor=operator, purpose="cs_operator", resident_code=request.resident_code, pin=PIN
        )
        services.accept_update(then(request, change_reason="国内転出", removed=True), actor=None)
        with transaction.atomic():
            special_move_out.send_certificate(
                MoveOutCertificate(
                    control_number=special_move_out.new_control_number(),
                    resident_code=request.resident_code,
                    individual_number=request.individual_number,
                    name=name,
                    name_kana="シケン\u3000タロウ",
                    birth_date="19800401",
                    sex="male",
                    address=request.address,
                    municipality_code=SASEBO.code,
                    household_head="試験\u3000太郎",
                    relationship="世帯主",
                    honseki="" if foreign else "長崎県佐世保市八幡町1番地",
                    hittousha="" if foreign else "試験\u3000太郎",
                    destination=NEW_ADDRESS,
                    destination_municipality_code=NAGASAKI.code,
                    planned_date=today.isoformat(),
                    notification_date=today.isoformat(),
                    operator_id="clerk01",
                    terminal_id="T-01",
                    foreign=foreign,
                ),
                actor=None,
            )
    federation.pump()
    return request, card


def test_a_special_move_in_starts_from_the_held_data_and_its_commit_notifies_everyone(
    federation: TestFederation, counter_clerk: User, reviewer: User
) -> None:
    request, card = card_holder_sent_over(federation, counter_clerk)
    today = timezone.localdate()
    with federation.acting_as(NAGASAKI):
        with pytest.raises(DomainError) as unchecked:
            special_move_in_start(actor=counter_clerk, purpose=PURPOSE, resident_code=request.resident_code)
        assert "送信依頼" in unchecked.value.remedy
        special_move_in.check_card(actor=counter_clerk, purpose="cs_operator", card_json=card, pin=PIN)
        start = special_move_in_start(
            actor=counter_clerk, purpose=PURPOSE, resident_code=request.resident_code
        )
        assert (start.facts.surname, start.facts.given_name, start.facts.juminhyo_code) == (
            "試験",
            "太郎",
            request.resident_code,
        )
        assert start.previous_address == request.address
        assert start.individual_number not in repr(start)
        # The starting data is editable (std 4.1.1.3-a): the clerk corrects the 筆頭者 as told.
        facts = dataclasses.replace(start.facts, hittousha="試験\u3000一郎")
        draft = record_special_move_in(
            actor=counter_clerk,
            purpose=PURPOSE,
            move_in=MoveIn(
                members=[facts],
                address=Address(address=NEW_ADDRESS),
                move_in_date=today,
                notification_date=today,
                previous_address=start.previous_address,
            ),
        )
    row = ResidentSnapshot.objects.get(change_id=draft.change_id)
    assert (row.special_move_in, row.hittousha, row.juminhyo_code) == (
        True,
        "試験\u3000一郎",
        request.resident_code,
    )
    assert row.get_individual_number() == request.individual_number
    assert HeldCertificate.objects.get().state == "held"  # nothing leaves before the commit

    committed(federation, NAGASAKI, reviewer, draft.change_id)
    held = HeldCertificate.objects.get()
    assert (held.state, held.items, held.individual_number) == ("used", {}, None)
    notice = ReceivedMoveInNotice.objects.get()  # exactly one: the ordinary path sends none
    sent_notice = SentMoveInNotice.objects.get()  # the 特例転入's own, kept as sent
    assert (sent_notice.items["special"], sent_notice.send_count) == (True, 1)
    assert current(draft.atena_numbers[0]).previous_municipality_code == SASEBO.code
    assert (notice.sender_code, notice.items["new_address"], notice.items["special"]) == (
        NAGASAKI.code,
        NEW_ADDRESS,
        True,
    )
    assert "individual_number" not in notice.items
    continued = NationalCardEvent.objects.get(event="continue_use")
    assert (continued.outcome, continued.municipality_code) == ("applied", NAGASAKI.code)
    identity = CsIdentity.objects.select_related("current").get(resident_code=request.resident_code)
    assert (identity.current.municipality_code, identity.current.change_reason) == (NAGASAKI.code, "国内転入")
    assert AuditEntry.objects.filter(
        action="cs:move_out_certificate:use", individual_number_used=True
    ).exists()


def test_a_special_move_in_without_a_card_check_is_refused(
    federation: TestFederation, counter_clerk: User
) -> None:
    request, _card = card_holder_sent_over(federation, counter_clerk)
    facts = dataclasses.replace(family_move_in().members[0], juminhyo_code=request.resident_code)
    with federation.acting_as(NAGASAKI), pytest.raises(DomainError) as refused:
        record_special_move_in(
            actor=counter_clerk,
            purpose=PURPOSE,
            move_in=MoveIn(
                members=[facts],
                address=Address(address=NEW_ADDRESS),
                move_in_date=timezone.localdate(),
                notification_date=timezone.localdate(),
                previous_address=request.address,
            ),
        )
    assert refused.value.field == "members"
    assert not ResidentSnapshot.objects.exists()


@pytest.mark.parametrize("unreported", [False, True], ids=["reported", "unreported"])
def test_the_special_move_in_api_gives_the_starting_data_and_records_the_draft(
    federation: TestFederation, counter_clerk: User, reviewer: User, unreported: bool
) -> None:
    request, card = card_holder_sent_over(federation, counter_clerk)
    client = logged_in(counter_clerk)
    with federation.acting_as(NAGASAKI):
        special_move_in.check_card(actor=counter_clerk, purpose="cs_operator", card_json=card, pin=PIN)
        begun = client.post(
            "/api/registry/special-moves/start",
            json.dumps({"purpose": PURPOSE, "resident_code": request.resident_code}),
            content_type="application/json",
        )
        assert begun.status_code == 200, begun.content
        start = begun.json()
        assert request.individual_number not in begun.content.decode()
        assert (start["surname"], start["birth_date"], start["previous_address"]) == (
            "試験",
            "1980-04-01",
            request.address,
        )
        assert (start["returning_atena_number"], start["alerts"]) == ("", [])  # a first 転入 here
        member = {
            key: start[key]
            for key in (
                "surname",
                "given_name",
                "surname_kana",
                "given_name_kana",
                "kana_confirmed",
                "birth_date",
                "sex",
                "relationship",
                "honseki",
                "hittousha",
                "juminhyo_code",
            )
        }
        recorded = client.post(
            "/api/registry/special-moves/move-ins",
            json.dumps(
                {
                    "purpose": PURPOSE,
                    "members": [member],
                    "address": {"address": NEW_ADDRESS},
                    "move_in_date": timezone.localdate().isoformat(),
                    "notification_date": timezone.localdate().isoformat(),
                    "previous_address": start["previous_address"],
                    # 未届転入 (4.1.1.4-a): lived unreported in 福岡市 after leaving the 転出地.
                    "unreported": {"address": UNREPORTED_ADDRESS} if unreported else None,
                }
            ),
            content_type="application/json",
        )
        assert recorded.status_code == 201, recorded.content
    committed(federation, NAGASAKI, reviewer, recorded.json()["change_id"])
    row = ResidentSnapshot.objects.get(change_id=recorded.json()["change_id"])
    assert row.special_move_in
    assert row.get_individual_number() == request.individual_number
    assert ReceivedMoveInNotice.objects.count() == 1
    if unreported:
        assert row.previous_address == UNREPORTED_ADDRESS + "（未届）"
        assert (row.unreported_address, row.last_registered_address) == (UNREPORTED_ADDRESS, request.address)
    else:
        assert (row.previous_address, row.unreported_address) == (request.address, "")


def test_the_import_api_takes_no_notice_in_when_none_arrived(counter_clerk: User) -> None:
    response = logged_in(counter_clerk).post(
        "/api/registry/special-moves/move-in-notices/import",
        json.dumps({"purpose": PURPOSE}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json() == {"change_ids": [], "left": [], "duplicates": []}


def lived_here_before(
    federation: TestFederation, clerk: User, reviewer: User, code: str, surname: str, given_name: str
) -> str:
    """A 長崎市 resident with this 住民票コード who moved away (their 除票 stays): the 宛名番号."""
    with federation.acting_as(NAGASAKI):
        facts = dataclasses.replace(
            family_move_in().members[0],
            surname=surname,
            given_name=given_name,
            juminhyo_code=code,
            honseki="東京都千代田区千代田1番",  # since changed: the CS data's 本籍 must win
        )
        first = family_move_in(members=[facts], former_municipality_unknown=True)  # 転入通知 not the point
        draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=first)
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
        today = timezone.localdate()
        away = record_move_out(
            actor=clerk,
            purpose=PURPOSE,
            move_out=MoveOut(
                atena_numbers=list(draft.atena_numbers),
                planned_date=today,
                destination="長崎県佐世保市",
                notification_date=today,
            ),
        )
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=away.change_id)
    return draft.atena_numbers[0]


@pytest.mark.parametrize(
    ("former", "sent", "offered", "alert"),
    [
        # The same name: the former record's glyphs (髙) win over the network's (高); std 4.1.1.2-b.
        (("髙橋", "太郎"), "高橋\u3000太郎", ("髙橋", "太郎"), "registry.special_move.returning_name_kept"),
        # Married while away: the CS data's (newer) name stays, and the clerk is told to confirm it.
        (
            ("山田", "花子"),
            "高橋\u3000花子",
            ("高橋", "花子"),
            "registry.special_move.returning_name_changed",
        ),
    ],
)
def test_a_returning_person_keeps_the_former_atena_number_and_the_cs_data_wins_but_the_name(
    federation: TestFederation,
    counter_clerk: User,
    reviewer: User,
    former: tuple[str, str],
    sent: str,
    offered: tuple[str, str],
    alert: str,
) -> None:
    request, card = card_holder_sent_over(federation, counter_clerk, name=sent)
    atena = lived_here_before(federation, counter_clerk, reviewer, request.resident_code, *former)
    with federation.acting_as(NAGASAKI):
        special_move_in.check_card(actor=counter_clerk, purpose="cs_operator", card_json=card, pin=PIN)
        start = special_move_in_start(
            actor=counter_clerk, purpose=PURPOSE, resident_code=request.resident_code
        )
        assert (start.facts.surname, start.facts.given_name) == offered
        # C-10: the clerk holds no 本籍 grant, so the starting data leaves it out (kept at the 仮登録).
        assert (start.facts.honseki, start.honseki_hidden) == ("", True)
        assert (start.returning_atena_number, [a.code for a in start.alerts]) == (atena, [alert])
        viewed = AuditEntry.objects.get(action="resident:record:view", subject_id=atena)
        assert (viewed.actor_id, viewed.reason) == (counter_clerk.pk, "特例転入（再転入）の開始データ")
        draft = record_special_move_in(
            actor=counter_clerk,
            purpose=PURPOSE,
            move_in=MoveIn(
                members=[start.facts],
                address=Address(address=NEW_ADDRESS),
                move_in_date=timezone.localdate(),
                notification_date=timezone.localdate(),
                previous_address=start.previous_address,
            ),
        )
    assert draft.atena_numbers == (atena,)
    row = ResidentSnapshot.objects.get(change_id=draft.change_id)
    assert (row.surname, row.given_name, row.special_move_in) == (*offered, True)
    assert row.honseki == "長崎県佐世保市八幡町1番地"  # the CS data's, not the former record's
    assert AuditEntry.objects.filter(action="resident:record:view", subject_id=atena).count() == 1

    # The API gives the clerk the same: the former 宛名番号 and the alert with its message.
    with federation.acting_as(NAGASAKI):
        begun = logged_in(counter_clerk).post(
            "/api/registry/special-moves/start",
            json.dumps({"purpose": PURPOSE, "resident_code": request.resident_code}),
            content_type="application/json",
        )
    answer = begun.json()
    assert (answer["surname"], answer["returning_atena_number"]) == (offered[0], atena)
    assert [(a["field"], a["code"]) for a in answer["alerts"]] == [("surname", alert)]
    assert "再転入" in answer["alerts"][0]["message"]


def test_a_first_special_move_in_has_no_former_record_and_no_alert(
    federation: TestFederation, counter_clerk: User
) -> None:
    request, card = card_holder_sent_over(federation, counter_clerk)
    with federation.acting_as(NAGASAKI):
        special_move_in.check_card(actor=counter_clerk, purpose="cs_operator", card_json=card, pin=PIN)
        start = special_move_in_start(
            actor=counter_clerk, purpose=PURPOSE, resident_code=request.resident_code
        )
    assert (start.returning_atena_number, start.alerts) == ("", ())
    assert not AuditEntry.objects.filter(action="resident:record:view").exists()


# The 30条の45 items of the synthetic 中長期在留者 the certificate schema tests use, without the 通称.
STATUS_ITEMS = ("residence_status", "period_of_stay", "stay_expiry_date")  # hidden without their grant
FOREIGN_ITEMS = {k: v for k, v in foreign_items().items() if k not in ("alias", "alias_kana")}


def test_a_foreign_card_holders_certificate_carries_the_30条の45_items_and_the_alias(
    federation: TestFederation, counter_clerk: User, reviewer: User
) -> None:
    today = timezone.localdate()
    with federation.acting_as(SASEBO):
        load_code_pool([resident_code(n) for n in range(300, 320)])
        member = person(
            "NGUYEN", "VAN AN", "グエン", "ヴァンアン", kind=ResidentKind.FOREIGN, born=date(1990, 4, 1),
            alias="阮\u3000安", alias_kana="グエン\u3000アン",
        )  # fmt: skip
        move_in = family_move_in(members=[member], individual_numbers=(individual_number(300),))
        draft = record_move_in(actor=counter_clerk, purpose=PURPOSE, move_in=move_in)
    committed(federation, SASEBO, reviewer, draft.change_id)
    (atena,) = draft.atena_numbers
    code = current(atena).juminhyo_code
    with federation.acting_as(SASEBO):
        cards.issue_card(actor=counter_clerk, purpose="cs_operator", resident_code=code, pin=PIN)
        record_card_event(
            actor=counter_clerk,
            purpose=PURPOSE,
            entry=CardEventInput(
                atena_number=atena, event=CardEventKind.ISSUED, event_date=today,
                expiry_date=today + timedelta(days=3650),
            ),
        )  # fmt: skip
        move_out = record_move_out(
            actor=counter_clerk,
            purpose=PURPOSE,
            move_out=MoveOut(
                atena_numbers=[atena], planned_date=today + timedelta(days=3), destination=NEW_ADDRESS,
                notification_date=today, destination_municipality_code=NAGASAKI.code,
            ),
        )  # fmt: skip
    committed(federation, SASEBO, reviewer, move_out.change_id)
    held = HeldCertificate.objects.get()
    assert held.items["foreign"] == {**FOREIGN_ITEMS, "alias": "阮\u3000安", "alias_kana": "グエン\u3000アン"}
    assert (held.items["honseki"], held.items["hittousha"]) == ("", "")


def test_a_foreign_residents_special_move_in_starts_from_the_items_and_records_them(
    federation: TestFederation, counter_clerk: User, reviewer: User
) -> None:
    foreign = {**FOREIGN_ITEMS, "alias": "阮\u3000安", "alias_kana": "グエン\u3000アン"}
    request, card = card_holder_sent_over(
        federation, counter_clerk, name="NGUYEN\u3000VAN AN", foreign=foreign
    )
    with federation.acting_as(NAGASAKI):
        special_move_in.check_card(actor=counter_clerk, purpose="cs_operator", card_json=card, pin=PIN)
        start = special_move_in_start(
            actor=counter_clerk, purpose=PURPOSE, resident_code=request.resident_code
        )
        facts = start.facts
        assert (facts.kind, facts.surname, facts.given_name, facts.honseki) == (
            ResidentKind.FOREIGN,
            "NGUYEN",
            "VAN AN",
            "",
        )
        # C-10: the clerk holds no 在留資格 grant: the starting data leaves those items out …
        assert dataclasses.asdict(facts.foreign) == {**FOREIGN_ITEMS, **dict.fromkeys(STATUS_ITEMS, "")}
        assert start.residence_status_hidden
        assert (facts.alias, facts.alias_kana) == ("阮\u3000安", "グエン\u3000アン")
        draft = record_special_move_in(
            actor=counter_clerk,
            purpose=PURPOSE,
            move_in=MoveIn(
                members=[facts],
                address=Address(address=NEW_ADDRESS),
                move_in_date=timezone.localdate(),
                notification_date=timezone.localdate(),
                previous_address=start.previous_address,
            ),
        )
    row = ResidentSnapshot.objects.get(change_id=draft.change_id)
    assert (row.kind, row.special_move_in, row.honseki, row.alias) == ("F", True, "", "阮\u3000安")
    assert row.foreign["residence_card_number"] == "AB12345678CD"
    # … and the draft keeps them as the 転出証明書情報 has them.
    assert {item: row.foreign[item] for item in STATUS_ITEMS} == {
        item: FOREIGN_ITEMS[item] for item in STATUS_ITEMS
    }
    assert row.get_individual_number() == request.individual_number
