"""The 留意事項 (type B, standard 1.1.14-a/b) on the entries beyond 転入・転出・転居: each screen offers the
presets of its own 異動事由, 「定型文を入れる」 puts the chosen one into the editable note without recording
anything, 仮登録 keeps the edited note on the change (shown on the 確認 screen before 本登録 and kept in
history), and each API takes ``attention_note``; a bad note is refused and nothing is written."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts.models import User
from jumin.registry.combined_notes import combined_notes
from jumin.registry.models import Change
from jumin.registry.models_notes import PresetNote
from jumin.registry.selectors_review import confirmation
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from tests.registry import (
    test_birth,
    test_death,
    test_disappearance,
    test_ex_officio,
    test_foreign_registration,
    test_household_change,
    test_names,
    test_naturalisation,
)
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_combined_notes import printed_notes

pytestmark = pytest.mark.django_db

PRESET = "戸籍の届書を確認済み（合成）"
EDITED = "戸籍の届書を確認済み（合成・編集）"


# A committed foreign resident with a 通称 and a 個人番号, for 帰化.
foreigner = test_naturalisation.foreigner


@pytest.fixture
def foreigner_without_alias(clerk: User, code_pool: list[str], commit: Callable[..., DraftRecorded]) -> str:
    """A committed foreign resident without a 通称, for 通称の記載."""
    move_in = test_naturalisation.foreign_move_in()
    return commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=move_in)).atena_numbers[0]


@dataclass(frozen=True)
class Entry:
    """One entry screen and its API: the 異動事由 its presets belong to, and valid input for the
    ``subject`` fixture's people (the committed ``family`` unless said otherwise)."""

    reason: str
    screen: str
    api: str
    screen_data: Callable[[Any], dict[str, str]]
    api_body: Callable[[Any], dict[str, object]]
    subject: str = "family"


ENTRIES = [
    Entry(
        "世帯変更",
        "registry:household_change",
        "/api/registry/household/change",
        test_household_change._form,
        lambda family: json.loads(test_household_change._api_body(family)),
    ),
    Entry(
        "出生",
        "registry:birth",
        "/api/registry/events/birth",
        lambda family: test_birth.screen_data(family.household_number),
        lambda family: test_birth.api_body(family.household_number),
    ),
    Entry(
        "死亡",
        "registry:death",
        "/api/registry/events/death",
        lambda family: test_death.screen_data(family.atena_numbers[1]),
        lambda family: test_death.api_body(family.atena_numbers[1]),
    ),
    Entry(  # 失踪: a 職権消除 whose 消除事由 is 失踪宣告, so it offers the 職権消除 presets
        "職権消除",
        "registry:disappearance",
        "/api/registry/notices/disappearance",
        lambda family: test_disappearance.screen_data(family.atena_numbers[2]),
        lambda family: test_disappearance.api_body(family.atena_numbers[2]),
    ),
    Entry(
        "職権消除",
        "registry:ex_officio_removal",
        "/api/registry/corrections/ex-officio/removal",
        lambda family: test_ex_officio._book_form(
            atena_numbers=family.atena_numbers[2], removal_date=test_ex_officio.today().isoformat()
        ),
        lambda family: {
            "purpose": PURPOSE,
            "atena_numbers": [family.atena_numbers[2]],
            "removal_date": test_ex_officio.today().isoformat(),
            "record": test_ex_officio._book_json(),
        },
    ),
    Entry(
        "職権修正",
        "registry:ex_officio_correction",
        "/api/registry/corrections/ex-officio/correction",
        lambda family: test_ex_officio._book_form(
            action="職権修正",
            atena_numbers=family.atena_numbers[0],
            items="名 太朗",
            change_date=test_ex_officio.today().isoformat(),
        ),
        lambda family: {
            "purpose": PURPOSE,
            "action": "職権修正",
            "atena_numbers": [family.atena_numbers[0]],
            "items": {"given_name": "太朗"},
            "change_date": test_ex_officio.today().isoformat(),
            "record": test_ex_officio._book_json(),
        },
    ),
    Entry(
        "職権記載",
        "registry:ex_officio_recording",
        "/api/registry/corrections/ex-officio/recording",
        lambda family: test_ex_officio.recording_screen_data(),
        lambda family: test_ex_officio.recording_api_body(),
    ),
    Entry(
        "職権記載(帰化等)",
        "registry:naturalisation",
        "/api/registry/foreign/naturalisation",
        test_naturalisation._screen_data,
        lambda atena: json.loads(test_naturalisation._naturalisation_json(atena)),
        subject="foreigner",
    ),
    Entry(
        "職権記載(国籍喪失)",
        "registry:loss_of_nationality",
        "/api/registry/foreign/loss-of-nationality",
        lambda family: test_naturalisation.loss_screen_data(family.atena_numbers[0]),
        lambda family: test_naturalisation.loss_api_body(family.atena_numbers[0]),
    ),
    Entry(
        "旧氏の記載",
        "registry:former_surname",
        "/api/registry/foreign/former-surname",
        lambda family: test_names.former_surname_data(family.atena_numbers[1]),
        lambda family: test_names.former_surname_data(family.atena_numbers[1]),
    ),
    Entry(
        "通称の記載",
        "registry:alias",
        "/api/registry/foreign/alias",
        test_names.alias_data,
        test_names.alias_data,
        subject="foreigner_without_alias",
    ),
    Entry(  # 法30条の46・47: recorded as a 国外転入等
        "国外転入等",
        "registry:foreign_registration",
        "/api/registry/foreign/registration",
        lambda family: test_foreign_registration._form(
            acknowledged_alerts="registry.late_foreign_registration"
        ),
        lambda family: {
            "purpose": PURPOSE,
            "basis": "法30条の46",
            "members": [test_foreign_registration._member_json()],
            "address": {"address": "長崎県佐世保市島瀬町2番3号"},
            "address_set_date": test_foreign_registration.today().isoformat(),
            "notification_date": test_foreign_registration.today().isoformat(),
        },
    ),
]


@pytest.fixture
def presets() -> None:
    """One municipality text per 異動事由 under test; each screen must offer its own only."""
    for order, reason in enumerate(dict.fromkeys(entry.reason for entry in ENTRIES), start=1):
        PresetNote.objects.create(reason=reason, text=_preset(reason), sort_order=order)


def _preset(reason: str) -> str:
    return f"{PRESET}「{reason}」"  # quoted: 職権記載 is a prefix of 職権記載(帰化等)


def _new_change(reason: str) -> Change:
    return Change.objects.get(reason=reason)  # the family fixture's own change is a 国内転入


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.screen.removeprefix("registry:"))
def test_the_screen_offers_its_presets_inserts_one_and_records_the_edited_note(
    entry: Entry, presets: None, request: pytest.FixtureRequest, clerk: User, reviewer: User
) -> None:
    subject = request.getfixturevalue(entry.subject)
    client = logged_in(clerk)
    url = reverse(entry.screen)
    shown = client.get(url).content.decode()
    assert f"{entry.reason}：{_preset(entry.reason)}" in shown
    others = [e.reason for e in ENTRIES if e.reason != entry.reason]
    assert not any(_preset(other) in shown for other in others)  # another 異動事由's texts are not offered

    inserted = client.post(
        url, entry.screen_data(subject) | {"preset_note": _preset(entry.reason), "insert_preset": "1"}
    ).content.decode()
    assert f">\n{_preset(entry.reason)}</textarea>" in inserted
    assert not Change.objects.filter(reason=entry.reason).exists()  # inserting records nothing

    done = client.post(url, entry.screen_data(subject) | {"attention_note": EDITED})
    assert "仮登録しました" in done.content.decode()
    change = _new_change(entry.reason)
    assert change.attention_note == EDITED
    [preview] = confirmation(actor=reviewer, purpose=PURPOSE, change_ids=[change.pk])
    assert preview.attention_note == EDITED  # the reviewer sees it before 本登録

    commit_change(actor=reviewer, purpose=PURPOSE, change_id=change.pk)
    snapshot = change.snapshots.select_related("resident").first()
    assert snapshot is not None
    atena = snapshot.resident.atena_number
    notes = combined_notes(actor=reviewer, purpose=PURPOSE, atena_number=atena)
    assert EDITED in [line.text for line in notes.attention_notes]  # kept in history (統合記載欄 type B)
    # Printed with the history, as the 転入・転出・転居 notes are.
    assert any(line.endswith(EDITED) for line in printed_notes(atena, with_history=True))


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.screen.removeprefix("registry:"))
def test_the_api_records_the_note_and_a_bad_one_writes_nothing(
    entry: Entry, request: pytest.FixtureRequest, clerk: User
) -> None:
    subject = request.getfixturevalue(entry.subject)
    client = logged_in(clerk)
    refused = client.post(
        entry.api,
        json.dumps(entry.api_body(subject) | {"attention_note": "留意\x07"}),
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert (refused.json()["field"], refused.json()["code"]) == (
        "attention_note",
        "registry.attention_note_control_character",
    )
    assert not Change.objects.filter(reason=entry.reason).exists()
    done = client.post(
        entry.api,
        json.dumps(entry.api_body(subject) | {"attention_note": EDITED}),
        content_type="application/json",
    )
    assert done.status_code == 201, done.content
    assert _new_change(entry.reason).attention_note == EDITED
