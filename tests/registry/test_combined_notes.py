"""統合記載欄 (standard 1.1.14-a/b): type-C remarks written by clerks (append-only, dated, with clerk and
reason; shown on 照会 and printed), the combined view of A + B + C, and the preset type-B texts."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates.documents import printed_person
from jumin.domain.certificates import CertificateOptions
from jumin.domain.errors import DomainError
from jumin.registry import certificate_sources
from jumin.registry.combined_notes import combined_notes
from jumin.registry.models import Change
from jumin.registry.models_notes import PresetNote, RemarkDeletionRefused, ResidentRemark
from jumin.registry.preset_notes import NOTE_MAX_CHARS, preset_texts
from jumin.registry.remarks import add_remark, withdraw_remark
from jumin.registry.selectors import resident_record
from jumin.registry.selectors_review import confirmation
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.unreported_move_in import UnreportedMoveIn
from tests.registry.conftest import PURPOSE, family_move_in, logged_in
from tests.registry.test_move_out import screen_data as move_out_form
from tests.registry.test_move_within import _form as move_within_form
from tests.registry.test_views import move_in_form

pytestmark = pytest.mark.django_db

REMARK = "外国の大使館に勤務（合成データ）"
DAY = date(2026, 11, 2)  # 令和8年11月2日
PRINTED = "令和8年11月2日\u3000外国の大使館に勤務（合成データ）"


@pytest.fixture
def writer(make_clerk: Callable[..., User]) -> User:
    return make_clerk("remark_writer", Permission.RESIDENT_RECORD, Permission.RESIDENT_VIEW)


def printed_notes(atena: str, *, with_history: bool = False) -> tuple[str, ...]:
    [source] = certificate_sources.people([atena], with_history=with_history)
    options = CertificateOptions(atena_numbers=(atena,), with_history=with_history)
    return printed_person(source, options, issue_date=date(2026, 12, 1), country_name=str).notes


def test_a_remark_is_shown_printed_and_ended_by_an_appended_withdrawal(
    family: DraftRecorded, writer: User
) -> None:
    head = family.atena_numbers[0]
    remark = add_remark(
        actor=writer,
        purpose=PURPOSE,
        atena_number=head,
        text=f" {REMARK}\n",
        reason="本人の申出",
        recorded_on=DAY,
    )
    assert resident_record(actor=writer, purpose=PURPOSE, atena_number=head).remarks == (PRINTED,)
    assert PRINTED in printed_notes(head)
    assert PRINTED not in printed_notes(family.atena_numbers[1])  # one person's remark

    withdraw_remark(actor=writer, purpose=PURPOSE, remark_id=remark, reason="転勤", withdrawn_on=DAY)
    assert PRINTED not in printed_notes(head)
    notes = combined_notes(actor=writer, purpose=PURPOSE, atena_number=head)
    [shown] = notes.remarks
    assert (shown.text, shown.reason, shown.written_by_name) == (REMARK, "本人の申出", writer.display_name)
    assert (shown.in_force, shown.withdrawn_on, shown.withdrawal_reason) == (False, DAY, "転勤")
    assert ResidentRemark.objects.count() == 2  # the remark and its withdrawal: nothing overwritten
    with pytest.raises(RemarkDeletionRefused):
        ResidentRemark.objects.all().delete()
    with pytest.raises(RemarkDeletionRefused):
        ResidentRemark.objects.filter(pk=remark).update(text="書き換え")
    writes = AuditEntry.objects.filter(subject_id=head, outcome="done", reason__startswith="備考")
    assert writes.count() == 2
    assert set(writes.values_list("action", flat=True)) == {"resident:remark:record"}
    assert all(REMARK not in (entry.reason + entry.after_digest) for entry in writes)


def test_bad_remarks_are_refused_naming_the_field_and_write_nothing(
    family: DraftRecorded, writer: User, make_clerk: Callable[..., User]
) -> None:
    head = family.atena_numbers[0]
    today = timezone.localdate()
    for values, field, code in (
        ({"text": " "}, "text", "registry.remark_empty"),
        ({"reason": ""}, "reason", "registry.remark_empty"),
        ({"text": "x" * 201}, "text", "registry.remark_too_long"),
        ({"text": "a\x07b"}, "text", "registry.remark_control_character"),
        ({"recorded_on": today + timedelta(days=1)}, "recorded_on", "registry.remark_future_date"),
    ):
        entered = {"text": REMARK, "reason": "本人の申出", "recorded_on": today, **values}
        with pytest.raises(DomainError) as refused:
            add_remark(actor=writer, purpose=PURPOSE, atena_number=head, **entered)  # type: ignore[arg-type]
        assert (refused.value.field, refused.value.code) == (field, code)
    assert not ResidentRemark.objects.exists()
    remark = add_remark(
        actor=writer, purpose=PURPOSE, atena_number=head, text=REMARK, reason="申出", recorded_on=DAY
    )
    with pytest.raises(DomainError) as early:
        withdraw_remark(
            actor=writer,
            purpose=PURPOSE,
            remark_id=remark,
            reason="誤り",
            withdrawn_on=DAY - timedelta(days=1),
        )
    assert early.value.code == "registry.remark_withdrawn_before_recorded"
    withdraw_remark(actor=writer, purpose=PURPOSE, remark_id=remark, reason="誤り", withdrawn_on=DAY)
    with pytest.raises(DomainError) as twice:
        withdraw_remark(actor=writer, purpose=PURPOSE, remark_id=remark, reason="誤り", withdrawn_on=DAY)
    assert twice.value.code == "registry.remark_withdrawn"
    viewer = make_clerk("remark_viewer", Permission.RESIDENT_VIEW)
    with pytest.raises(AccessRefused):
        add_remark(
            actor=viewer, purpose=PURPOSE, atena_number=head, text=REMARK, reason="申出", recorded_on=DAY
        )
    assert ResidentRemark.objects.count() == 2


def test_the_combined_notes_hold_history_attention_notes_remarks(
    clerk: User, reviewer: User, code_pool: list[str], writer: User
) -> None:
    unreported = UnreportedMoveIn("福岡県福岡市中央区天神1丁目1番1号", None)
    draft = record_move_in(
        actor=clerk,
        purpose=PURPOSE,
        move_in=family_move_in(unreported=unreported, attention_note="特別養子縁組"),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    head = draft.atena_numbers[0]
    add_remark(actor=writer, purpose=PURPOSE, atena_number=head, text=REMARK, reason="申出", recorded_on=DAY)

    notes = combined_notes(actor=reviewer, purpose=PURPOSE, atena_number=head)
    assert [(line.history_no, line.text) for line in notes.history] == [
        (1, "国内転入（令和8年11月10日届出）")
    ]
    [note] = notes.attention_notes
    assert note.text.startswith("未届転入。")
    assert note.text.endswith("\n特別養子縁組")
    assert [r.text for r in notes.remarks] == [REMARK]
    assert notes.removal_items == ()
    # Printed: the type-B notes with the history, the remark always.
    assert any(line.endswith("特別養子縁組") for line in printed_notes(head, with_history=True))
    assert not any("特別養子縁組" in line for line in printed_notes(head))
    assert AuditEntry.objects.filter(
        action="resident:history:view", subject_id=head, reason__contains="統合記載欄"
    ).exists()


def test_preset_type_b_texts_are_seeded_configurable_and_inserted_for_editing(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    assert ("国内転入", "特別養子縁組") in preset_texts(["国内転入"])
    assert ("転居", "同一住所への転居") in preset_texts(["転居"])
    PresetNote.objects.create(reason="国内転入", text="旧住所の転出証明書を確認（合成）", sort_order=9)
    PresetNote.objects.filter(reason="国内転入", text="特別養子縁組解消").update(active=False)
    assert preset_texts(["国内転入"]) == [
        ("国内転入", "特別養子縁組"),
        ("国内転入", "旧住所の転出証明書を確認（合成）"),
    ]
    client = logged_in(clerk)
    screen = client.get(reverse("registry:move_in")).content.decode()
    assert "国内転入：特別養子縁組" in screen
    assert "特別養子縁組解消" not in screen
    inserted = client.post(
        reverse("registry:move_in"),
        move_in_form(preset_note="特別養子縁組", attention_note="確認済み", insert_preset="1"),
    ).content.decode()
    assert "確認済み\n特別養子縁組</textarea>" in inserted
    assert not Change.objects.exists()  # inserting records nothing
    done = client.post(reverse("registry:move_in"), move_in_form(attention_note="特別養子縁組（編集）"))
    assert done.status_code == 200
    assert Change.objects.get().attention_note == "特別養子縁組（編集）"
    [preview] = confirmation(actor=reviewer, purpose=PURPOSE, change_ids=[Change.objects.get().pk])
    assert preview.attention_note == "特別養子縁組（編集）"  # the reviewer sees it before 本登録


def test_a_too_long_note_is_refused_before_anything_is_written(clerk: User, code_pool: list[str]) -> None:
    with pytest.raises(DomainError) as refused:
        record_move_in(
            actor=clerk, purpose=PURPOSE, move_in=family_move_in(attention_note="x" * (NOTE_MAX_CHARS + 1))
        )
    assert (refused.value.field, refused.value.code) == ("attention_note", "registry.attention_note_too_long")
    assert not Change.objects.exists()


def test_the_screen_and_api(family: DraftRecorded, writer: User) -> None:
    head = family.atena_numbers[0]
    client = logged_in(writer)
    screen = reverse("registry:notes")
    prefilled = client.post(screen, {"atena_number": head, "prefill": "1"}).content.decode()
    assert f'value="{head}"' in prefilled
    added = client.post(
        screen,
        {
            "purpose": PURPOSE,
            "atena_number": head,
            "action": "add",
            "text": REMARK,
            "reason": "申出",
            "recorded_on": DAY.isoformat(),
        },
    ).content.decode()
    assert "備考を追加しました" in added
    assert REMARK in added
    assert "国内転入" in added
    record = client.post(reverse("registry:lookup"), {"purpose": PURPOSE, "atena_number": head})
    assert PRINTED in record.content.decode()

    def api(path: str, body: dict[str, object]) -> object:
        return client.post(
            f"/api/registry/notes{path}", data=json.dumps(body), content_type="application/json"
        )

    viewed = api("/view", {"purpose": PURPOSE, "atena_number": head}).json()  # type: ignore[attr-defined]
    [remark] = viewed["remarks"]
    assert remark["text"] == REMARK
    withdrawn = api(f"/remarks/{remark['remark_id']}/withdraw", {"purpose": PURPOSE, "reason": "転勤"})
    assert withdrawn.json() == {"done": True}  # type: ignore[attr-defined]
    refused = api("/remarks", {"purpose": PURPOSE, "atena_number": head, "text": "", "reason": "x"})
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert refused.json()["field"] == "text"  # type: ignore[attr-defined]
    presets = client.get("/api/registry/notes/presets", {"reason": "国内転出"}).json()
    assert {"reason": "国内転出", "text": "特別養子縁組"} in presets


def test_the_move_within_and_move_out_screens_offer_their_presets_and_record_the_note(
    family: DraftRecorded, clerk: User
) -> None:
    client = logged_in(clerk)
    within = reverse("registry:move_within")
    shown = client.get(within).content.decode()
    assert "転居：同一住所への転居" in shown
    assert "特別養子縁組" not in shown  # another 異動事由's texts are not offered
    inserted = client.post(
        within, move_within_form(family, preset_note="同一住所への転居", insert_preset="1")
    ).content.decode()
    assert ">\n同一住所への転居</textarea>" in inserted
    assert not Change.objects.filter(reason="転居").exists()
    done = client.post(within, move_within_form(family, attention_note="同一住所への転居（建替え）"))
    assert "仮登録しました" in done.content.decode()
    assert Change.objects.get(reason="転居").attention_note == "同一住所への転居（建替え）"

    out = reverse("registry:move_out")
    assert "国内転出：特別養子縁組" in client.get(out).content.decode()
    refused = client.post(out, move_out_form(family.atena_numbers) | {"attention_note": "転出\x07"})
    assert "留意事項に使えない制御文字が含まれています" in refused.content.decode()
    assert not Change.objects.filter(reason="国内転出").exists()
