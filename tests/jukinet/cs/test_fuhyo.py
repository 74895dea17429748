"""附票本人確認情報 at the 市町村CS (docs/jukinet.md Flow 9): the 戸籍附票 system's updates are kept in
the CS 附票 file and reach the 附票都道府県サーバ and the 附票全国サーバ; refusals come back to the
返却エラー一覧; bad input changes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from jumin.accounts.models import Terminal, User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.common.catalogue import FUHYO_UPDATE
from jumin.jukinet.common.fuhyo import FUHYO_FIELDS
from jumin.jukinet.cs import worklists
from jumin.jukinet.cs.fuhyo import FuhyoBatchRefused, accept_fuhyo_updates
from jumin.jukinet.cs.models import CsFuhyo, CsFuhyoVersion, UpdateRejection
from jumin.jukinet.national.models import FuhyoHistory, FuhyoRefusal
from jumin.jukinet.national.models import FuhyoRecord as NationalFuhyo
from jumin.jukinet.national.selectors import fuhyo_for
from jumin.jukinet.prefecture.models import FuhyoRecord as PrefectureFuhyo
from jumin.jukinet.prefecture.models import FuhyoVersion as PrefectureVersion
from jumin.jukinet.prefecture.models import RefusedUpdate
from jumin.messaging import services as messaging
from jumin.messaging.envelope import NodeRef
from jumin.messaging.models import OutboxMessage
from jumin.messaging.testing import TestFederation
from tests.helpers.accounts import TERMINAL_ID, grant_permissions, make_terminal, make_user
from tests.jukinet.prefecture.helpers import fuhyo
from tests.jukinet.synthetic import resident_code

pytestmark = pytest.mark.django_db

SASEBO = NodeRef("municipality", "422029")
NAGASAKI_PREFECTURE = NodeRef("prefecture", "420000")
TOKYO = NodeRef("prefecture", "130001")
NATIONAL = NodeRef("national", "00")
CHIYODA = "131016"
PURPOSE = "cs_fuhyo"
URL = "/api/jukinet/cs/fuhyo-updates"


@pytest.fixture
def fuhyo_system(db: None) -> User:
    """The 戸籍附票 system's account (duty 附票連携)."""
    user = make_user(username="fuhyo01")
    grant_permissions(
        user, [Permission.CS_FUHYO, Permission.CS_CONSISTENCY, Permission.FIELD_JUMINHYO_CODE_VIEW]
    )
    return user


@pytest.fixture
def at_sasebo(federation: TestFederation) -> Iterator[TestFederation]:
    """Run the test body as 佐世保市's CS."""
    with federation.acting_as(SASEBO):
        yield federation


def hand_over(federation: TestFederation, actor: User, *payloads: dict[str, Any]) -> list[str]:
    """The 附票 system hands updates to 佐世保市's CS; every message is then delivered."""
    with federation.acting_as(SASEBO):
        accepted = accept_fuhyo_updates(actor=actor, purpose=PURPOSE, payloads=list(payloads))
    federation.pump()
    return accepted.message_ids


def changed(payload: dict[str, Any], **items: Any) -> dict[str, Any]:
    return {**payload, "notice_type": "change", **items}


def deleted(payload: dict[str, Any]) -> dict[str, Any]:
    return {**payload, "notice_type": "delete", "state": "deleted"}


def sent_by_sasebo() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(type=FUHYO_UPDATE, sender_code=SASEBO.code).order_by("pk"))


def test_updates_handed_to_the_cs_reach_the_prefecture_and_the_national_store(
    federation: TestFederation, fuhyo_system: User
) -> None:
    new = fuhyo()
    moved = changed(new, address="カナダ")
    first = hand_over(federation, fuhyo_system, new)
    later = hand_over(federation, fuhyo_system, moved, deleted(moved))

    at_cs = CsFuhyo.objects.get()
    history = list(CsFuhyoVersion.objects.filter(resident_code=new["resident_code"]).order_by("pk"))
    assert [v.notice_type for v in history] == ["new", "change", "delete"]
    assert [v.items for v in history] == [new, moved, deleted(moved)]
    assert (at_cs.current_id, at_cs.state) == (history[-1].pk, "deleted")
    # One subject per person, numbered in order: what the prefecture orders the person's updates by.
    sent = sent_by_sasebo()
    assert [(m.receiver_code, m.subject_key, m.seq) for m in sent] == [
        (NAGASAKI_PREFECTURE.code, f"cs-fh{at_cs.pk}", seq) for seq in (1, 2, 3)
    ]
    assert [str(m.message_id) for m in sent] == [*first, *later] == [v.message_id for v in history]
    assert PrefectureFuhyo.objects.get().items == deleted(moved)
    national = NationalFuhyo.objects.get()
    assert (national.state, national.items) == ("deleted", deleted(moved))
    assert [h.notice_type for h in FuhyoHistory.objects.order_by("pk")] == ["new", "change", "delete"]
    assert not RefusedUpdate.objects.exists()
    assert not FuhyoRefusal.objects.exists()
    done = AuditEntry.objects.filter(action="cs:fuhyo:update", outcome="done")
    assert [entry.result_count for entry in done.order_by("seq")] == [1, 2]


def test_a_prefecture_refusal_comes_back_to_the_returned_errors_list(
    federation: TestFederation, fuhyo_system: User
) -> None:
    new = fuhyo()
    hand_over(federation, fuhyo_system, new)
    # The prefecture's copy was deleted by a message the CS 附票 file never saw (an earlier system).
    with federation.acting_as(SASEBO), transaction.atomic():
        messaging.enqueue(
            message_type=FUHYO_UPDATE, receiver=NAGASAKI_PREFECTURE, subject="legacy-1", payload=deleted(new)
        )
    federation.pump()
    hand_over(federation, fuhyo_system, deleted(new))

    assert RefusedUpdate.objects.get().code == "jukinet.prefecture.fuhyo_already_deleted"
    with federation.acting_as(SASEBO):
        rejection = UpdateRejection.objects.get()
        assert (rejection.fuhyo, rejection.identity) == (CsFuhyo.objects.get(), None)
        assert rejection.update_seq == 2  # the second message of this person's subject
        [row] = worklists.worklists(actor=fuhyo_system, purpose=PURPOSE).rejections
    assert (row.kind, row.resident_code, row.code) == (
        "附票本人確認情報",
        new["resident_code"],
        "jukinet.prefecture.fuhyo_already_deleted",
    )
    assert AuditEntry.objects.filter(action="cs:rejection:receive").exists()


def test_a_national_refusal_is_relayed_to_the_cs_list(federation: TestFederation, fuhyo_system: User) -> None:
    """転籍 to 千代田区: 佐世保市's later delete is accepted by 長崎県 but refused by the national node."""
    new = fuhyo()
    hand_over(federation, fuhyo_system, new)
    moved = {**new, "fuhyo_municipality_code": CHIYODA, "change_date": "2026-06-01"}
    with federation.acting_as(TOKYO), transaction.atomic():  # as 東京都 forwards 千代田区's new 附票
        messaging.enqueue(message_type=FUHYO_UPDATE, receiver=NATIONAL, subject="pfh-tokyo", payload=moved)
    federation.pump()
    hand_over(federation, fuhyo_system, deleted(new))

    assert FuhyoRefusal.objects.get().code == "jukinet.national.fuhyo_not_kept_there"
    with federation.acting_as(SASEBO):
        rejection = UpdateRejection.objects.get()
    assert rejection.fuhyo == CsFuhyo.objects.get()
    assert rejection.code == "jukinet.national.fuhyo_not_kept_there"
    assert rejection.update_seq == 2


def test_a_code_change_rekeys_the_fuhyo_file_at_the_cs_the_prefecture_and_the_national_store(
    federation: TestFederation, fuhyo_system: User
) -> None:
    new = fuhyo()
    old_code, new_code = new["resident_code"], resident_code()
    hand_over(federation, fuhyo_system, new)
    kept = (CsFuhyo.objects.get().pk, PrefectureFuhyo.objects.get().pk, NationalFuhyo.objects.get().pk)
    # The 附票 system records the 住民票コードの変更: a change under the new code naming the old one.
    rekeyed = changed(new, resident_code=new_code, former_resident_code=old_code, change_date="2026-03-01")
    hand_over(federation, fuhyo_system, rekeyed)

    # One person on every node, now under the new code; each earlier version keeps the old code.
    stores = (CsFuhyo.objects.get(), PrefectureFuhyo.objects.get(), NationalFuhyo.objects.get())
    assert tuple(row.pk for row in stores) == kept
    assert [row.resident_code for row in stores] == [new_code] * 3
    assert [v.resident_code for v in CsFuhyoVersion.objects.order_by("pk")] == [old_code, new_code]
    assert [v.resident_code for v in PrefectureVersion.objects.order_by("pk")] == [old_code, new_code]
    assert [h.resident_code for h in FuhyoHistory.objects.order_by("pk")] == [old_code, new_code]
    assert stores[2].items == rekeyed
    # The person's stream goes on (same subject, next number), so the order holds across the change.
    assert [(m.subject_key, m.seq) for m in sent_by_sasebo()] == [
        (f"cs-fh{kept[0]}", 1),
        (f"cs-fh{kept[0]}", 2),
    ]
    assert not RefusedUpdate.objects.exists()
    assert not FuhyoRefusal.objects.exists()
    # At the 附票全国サーバ the old code still finds the person.
    national = make_user(username="n2staff")
    grant_permissions(national, [Permission.NATIONAL_FUHYO_VIEW])
    with federation.acting_as(NATIONAL):
        found = fuhyo_for(national, old_code)
    assert (found.resident_code, [h.notice_type for h in found.history]) == (new_code, ["new", "change"])


def test_a_code_change_naming_an_unknown_former_code_is_refused_and_changes_nothing(
    federation: TestFederation, fuhyo_system: User
) -> None:
    known = fuhyo()
    hand_over(federation, fuhyo_system, known)
    stray = changed(fuhyo(), former_resident_code=resident_code())
    with federation.acting_as(SASEBO), pytest.raises(FuhyoBatchRefused) as refused:
        accept_fuhyo_updates(actor=fuhyo_system, purpose=PURPOSE, payloads=[stray])
    assert refused.value.errors[0].error.code == "jukinet.cs.fuhyo_unknown_person"
    assert [row.resident_code for row in CsFuhyo.objects.all()] == [known["resident_code"]]
    assert CsFuhyoVersion.objects.count() == 1
    assert len(sent_by_sasebo()) == 1
    assert AuditEntry.objects.filter(action="cs:fuhyo:update", outcome="refused").count() == 1


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({**fuhyo(), "honseki": "長崎県佐世保市"}, "honseki", "jukinet.cs.fuhyo_undefined_item"),
        (
            {**fuhyo(), "individual_number": "123456789018"},
            "individual_number",
            "jukinet.cs.fuhyo_undefined_item",
        ),
        ({k: v for k, v in fuhyo().items() if k != "sex"}, "sex", "jukinet.cs.fuhyo_missing_item"),
        (fuhyo(sex="x"), "sex", "jukinet.fuhyo"),
        (fuhyo(change_date="2026/02/01"), "change_date", "jukinet.fuhyo"),
        (fuhyo(notice_type="change"), "notice_type", "jukinet.cs.fuhyo_unknown_person"),
        (
            fuhyo(fuhyo_municipality_code="422011"),
            "fuhyo_municipality_code",
            "jukinet.cs.fuhyo_municipality_mismatch",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(
    at_sasebo: TestFederation, fuhyo_system: User, payload: dict[str, Any], field: str, code: str
) -> None:
    with pytest.raises(FuhyoBatchRefused) as refused:
        accept_fuhyo_updates(actor=fuhyo_system, purpose=PURPOSE, payloads=[payload])

    assert refused.value.field == f"updates[1].{field}"
    assert refused.value.code == code
    assert "1件も送信していません" in refused.value.remedy
    assert not CsFuhyoVersion.objects.exists()
    assert not sent_by_sasebo()
    entry = AuditEntry.objects.get(action="cs:fuhyo:update")
    assert (entry.outcome, entry.outcome_reason) == ("refused", code)


def test_one_bad_update_refuses_the_whole_batch_listing_every_bad_one(
    at_sasebo: TestFederation, fuhyo_system: User
) -> None:
    good = fuhyo()
    batch = [
        good,
        changed(good, address="カナダ"),
        fuhyo(sex="x"),
        fuhyo(notice_type="delete", state="deleted"),
    ]
    with pytest.raises(FuhyoBatchRefused) as refused:
        accept_fuhyo_updates(actor=fuhyo_system, purpose=PURPOSE, payloads=batch)

    # The change of row 2 follows row 1's new entry in the same batch and so is fine.
    assert [(e.row, e.error.field) for e in refused.value.errors] == [(3, "sex"), (4, "notice_type")]
    assert not CsFuhyo.objects.exists()
    assert not CsFuhyoVersion.objects.exists()
    assert not sent_by_sasebo()


def test_without_the_prefecture_as_peer_nothing_is_kept(fuhyo_system: User) -> None:
    with pytest.raises(DomainError) as refused:
        accept_fuhyo_updates(actor=fuhyo_system, purpose=PURPOSE, payloads=[fuhyo()])
    assert refused.value.code == "messaging.unknown_receiver"
    assert not CsFuhyoVersion.objects.exists()


# --- the API and the CSV command ---------------------------------------------------------------------


@pytest.fixture
def cs_terminal(db: None) -> None:
    """The test terminal is an integrated terminal: biometric login only (C-4)."""
    make_terminal()
    Terminal.objects.filter(terminal_id=TERMINAL_ID).update(biometric_only=True)


def test_the_api_follows_the_permission_triple(
    at_sasebo: TestFederation, cs_terminal: None, make_staff: Callable[..., Any]
) -> None:
    """The triple of tests/helpers/permission_matrix.py, written out: the accepted call also audits the
    enqueue of its message (node:message:enqueue), so it makes two entries, not one."""

    def post(client: Any) -> Any:
        body = json.dumps({"purpose": PURPOSE, "updates": fuhyo()})
        return client.post(URL, body, content_type="application/json")

    assert post(make_staff(anonymous=True)).status_code in (302, 401)
    assert not AuditEntry.objects.filter(outcome="done").exists()

    without = make_staff([Permission.CS_CONSISTENCY])
    assert post(without).status_code == 403
    refused = AuditEntry.objects.get(action="cs:fuhyo:update")
    assert (refused.outcome, refused.actor_id) == ("refused", without.user.pk)

    holder = make_staff([Permission.CS_FUHYO])
    assert post(holder).status_code == 200
    done = AuditEntry.objects.get(action="cs:fuhyo:update", outcome="done")
    assert (done.actor_id, done.purpose, done.result_count) == (holder.user.pk, PURPOSE, 1)
    assert CsFuhyo.objects.count() == 1


def test_the_api_takes_a_list_and_explains_a_bad_update_without_echoing_it(
    at_sasebo: TestFederation, cs_terminal: None, make_staff: Callable[..., Any]
) -> None:
    client = make_staff([Permission.CS_FUHYO])
    good = fuhyo()
    answer = client.post(
        URL,
        json.dumps({"purpose": PURPOSE, "updates": [good, changed(good, address="カナダ")]}),
        content_type="application/json",
    )
    assert answer.status_code == 200
    assert answer.json()["accepted"] == 2
    bad = fuhyo(birth_date="1985-06-07")
    answer = client.post(
        URL, json.dumps({"purpose": PURPOSE, "updates": [bad]}), content_type="application/json"
    )
    assert answer.status_code == 400
    assert answer.json()["field"] == "updates[1].birth_date"
    assert bad["resident_code"] not in answer.content.decode()
    assert CsFuhyoVersion.objects.count() == 2


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    lines = [",".join(FUHYO_FIELDS)]
    for row in rows:
        values = {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in row.items()}
        lines.append(",".join(values[name] for name in FUHYO_FIELDS))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_csv_import_sends_every_row_in_order(
    at_sasebo: TestFederation, fuhyo_system: User, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = fuhyo()
    path = write_csv(tmp_path / "fuhyo.csv", [new, changed(new, address="カナダ")])
    call_command("cs_import_fuhyo", str(path), "--operator", fuhyo_system.username)

    assert "2件を都道府県サーバへ送信しました" in capsys.readouterr().out
    assert [v.items for v in CsFuhyoVersion.objects.order_by("pk")] == [new, changed(new, address="カナダ")]
    assert [m.seq for m in sent_by_sasebo()] == [1, 2]


def test_a_csv_with_a_bad_row_reports_its_line_and_sends_nothing(
    at_sasebo: TestFederation, fuhyo_system: User, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = fuhyo(name_gaiji_count="二")
    path = write_csv(tmp_path / "fuhyo.csv", [fuhyo(), bad])
    with pytest.raises(CommandError, match="1件も送信していません"):
        call_command("cs_import_fuhyo", str(path), "--operator", fuhyo_system.username)

    errors = capsys.readouterr().err
    assert "3行目 name_gaiji_count" in errors
    assert bad["resident_code"] not in errors
    assert not CsFuhyoVersion.objects.exists()
    assert not sent_by_sasebo()


def test_a_csv_with_a_family_register_column_is_refused(
    at_sasebo: TestFederation, fuhyo_system: User, tmp_path: Path
) -> None:
    path = tmp_path / "fuhyo.csv"
    path.write_text(",".join([*FUHYO_FIELDS, "honseki"]) + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match="見出し行"):
        call_command("cs_import_fuhyo", str(path), "--operator", fuhyo_system.username)
    assert not CsFuhyoVersion.objects.exists()


def test_fuhyo_updates_travel_in_unified_characters_and_an_unrepresentable_name_refuses_the_row(
    at_sasebo: TestFederation, fuhyo_system: User
) -> None:
    # 住基ネット統一文字 (std 7.1.1.1-e): ～ (Microsoft's mapping) becomes 〜; 髙 is never sent as 高.
    wave = fuhyo(address="長崎県佐世保市八幡町１\uff5e２")
    with pytest.raises(FuhyoBatchRefused) as refused:
        accept_fuhyo_updates(
            actor=fuhyo_system, purpose=PURPOSE, payloads=[wave, fuhyo(name="髙橋\u3000一郎")]
        )
    assert [(e.row, e.error.field, e.error.code) for e in refused.value.errors] == [
        (2, "name", "jukinet.not_unified_character")
    ]
    assert not CsFuhyoVersion.objects.exists()
    accept_fuhyo_updates(actor=fuhyo_system, purpose=PURPOSE, payloads=[wave])
    assert len(sent_by_sasebo()) == 1  # the stored items are the payload sent (``_apply``)
    assert CsFuhyoVersion.objects.get().items["address"] == "長崎県佐世保市八幡町１\u301c２"
