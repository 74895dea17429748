"""メモ (standard 1.1.15-a): author, time and full history kept; never printed; audited."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.urls import reverse

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.registry import certificate_sources
from jumin.registry.memos import MEMO_MAX_CHARS, add_memo, delete_memo, edit_memo, memos_of
from jumin.registry.models_memo import MemoDeletionRefused, ResidentMemo, ResidentMemoVersion
from jumin.registry.services import DraftRecorded
from tests.registry.conftest import PURPOSE, logged_in

pytestmark = pytest.mark.django_db

FIRST = "窓口で転居予定と聞いた（合成データ）"
SECOND = "転居先は未定とのこと（合成データ）"


@pytest.fixture
def writer(make_clerk: Callable[..., User]) -> User:
    return make_clerk("memo_writer", Permission.RESIDENT_RECORD, Permission.RESIDENT_VIEW)


def test_edits_and_deletions_append_versions_and_the_history_shows_them_all(
    family: DraftRecorded, writer: User
) -> None:
    head = family.atena_numbers[0]
    memo = add_memo(actor=writer, purpose=PURPOSE, atena_number=head, text=f"  {FIRST}\r\n")
    other = add_memo(actor=writer, purpose=PURPOSE, atena_number=head, text="二件目")
    edit_memo(actor=writer, purpose=PURPOSE, memo_id=memo, text=SECOND)
    delete_memo(actor=writer, purpose=PURPOSE, memo_id=other)

    current = memos_of(actor=writer, purpose=PURPOSE, atena_number=head)
    assert [(m.memo_id, m.text, m.history) for m in current] == [(memo, SECOND, ())]
    assert current[0].written_by_name == writer.display_name

    everything = {
        m.memo_id: m for m in memos_of(actor=writer, purpose=PURPOSE, atena_number=head, with_history=True)
    }
    assert [(v.version, v.text, v.deleted) for v in everything[memo].history] == [
        (1, FIRST, False),
        (2, SECOND, False),
    ]
    assert everything[other].deleted
    assert [(v.text, v.deleted) for v in everything[other].history] == [("二件目", False), ("", True)]
    assert ResidentMemoVersion.objects.count() == 4  # nothing overwritten
    with pytest.raises(MemoDeletionRefused):
        ResidentMemoVersion.objects.all().delete()
    with pytest.raises(MemoDeletionRefused):
        ResidentMemo.objects.get(pk=memo).delete()


def test_writes_and_reads_are_audited_under_the_person_without_the_text(
    family: DraftRecorded, writer: User
) -> None:
    head = family.atena_numbers[0]
    memo = add_memo(actor=writer, purpose=PURPOSE, atena_number=head, text=FIRST)
    edit_memo(actor=writer, purpose=PURPOSE, memo_id=memo, text=SECOND)
    memos_of(actor=writer, purpose=PURPOSE, atena_number=head)
    entries = list(AuditEntry.objects.filter(action__startswith="resident:memo:").order_by("seq"))
    assert [(e.action, e.subject_id, e.reason) for e in entries] == [
        ("resident:memo:write", head, f"memo={memo} version=1"),
        ("resident:memo:write", head, f"memo={memo} version=2"),
        ("resident:memo:view", head, ""),
    ]
    assert entries[1].before_digest == entries[0].after_digest != entries[1].after_digest
    for entry in entries:
        assert FIRST not in str(entry.__dict__)
        assert SECOND not in str(entry.__dict__)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("  \n ", "registry.memo_empty"),
        ("あ" * (MEMO_MAX_CHARS + 1), "registry.memo_too_long"),
        ("ベル\x07", "registry.memo_control_character"),
    ],
)
def test_bad_text_is_refused_with_the_field_and_changes_nothing(
    family: DraftRecorded, writer: User, text: str, code: str
) -> None:
    with pytest.raises(DomainError) as error:
        add_memo(actor=writer, purpose=PURPOSE, atena_number=family.atena_numbers[0], text=text)
    assert (error.value.field, error.value.code) == ("text", code)
    assert not ResidentMemo.objects.exists()


def test_unknown_deleted_or_unchanged_memos_and_missing_permissions_are_refused(
    family: DraftRecorded, writer: User, make_clerk: Callable[..., User]
) -> None:
    head = family.atena_numbers[0]
    memo = add_memo(actor=writer, purpose=PURPOSE, atena_number=head, text=FIRST)
    with pytest.raises(DomainError, match="変わっていません"):
        edit_memo(actor=writer, purpose=PURPOSE, memo_id=memo, text=FIRST)
    with pytest.raises(DomainError) as unknown:
        edit_memo(actor=writer, purpose=PURPOSE, memo_id=memo + 100, text=SECOND)
    assert unknown.value.code == "registry.memo_not_found"
    with pytest.raises(DomainError) as nobody:
        add_memo(actor=writer, purpose=PURPOSE, atena_number="9999999", text=FIRST)
    assert nobody.value.code == "registry.resident_not_found"
    delete_memo(actor=writer, purpose=PURPOSE, memo_id=memo)
    with pytest.raises(DomainError) as gone:
        edit_memo(actor=writer, purpose=PURPOSE, memo_id=memo, text=SECOND)
    assert gone.value.code == "registry.memo_deleted"
    viewer = make_clerk("memo_viewer", Permission.RESIDENT_VIEW)
    with pytest.raises(AccessRefused):
        add_memo(actor=viewer, purpose=PURPOSE, atena_number=head, text=FIRST)
    assert AuditEntry.objects.filter(action="resident:memo:write", outcome="refused").count() == 1


def test_a_memo_is_never_in_what_certificates_print(family: DraftRecorded, writer: User) -> None:
    head = family.atena_numbers[0]
    add_memo(actor=writer, purpose=PURPOSE, atena_number=head, text=FIRST)
    source = certificate_sources.household_of(head, with_history=True)
    assert FIRST not in repr(source)
    assert not any("memo" in name for name in certificate_sources.SourcePerson.__dataclass_fields__)


def test_screen_and_api(family: DraftRecorded, writer: User) -> None:
    head = family.atena_numbers[0]
    client = logged_in(writer)
    screen = reverse("registry:memos")
    prefilled = client.post(screen, {"atena_number": head, "prefill": "1"}).content.decode()
    assert f'value="{head}"' in prefilled
    added = client.post(
        screen, {"purpose": PURPOSE, "atena_number": head, "action": "add", "text": FIRST}
    ).content.decode()
    assert "メモを追加しました" in added
    assert FIRST in added
    api = client.post(
        "/api/registry/memos/list",
        data=json.dumps({"purpose": PURPOSE, "atena_number": head}),
        content_type="application/json",
    )
    assert [m["text"] for m in api.json()] == [FIRST]
    memo_id = api.json()[0]["memo_id"]
    edited = client.post(
        f"/api/registry/memos/{memo_id}/edit",
        data=json.dumps({"purpose": PURPOSE, "text": SECOND}),
        content_type="application/json",
    )
    assert edited.json() == {"done": True}
    refused = client.post(
        "/api/registry/memos",
        data=json.dumps({"purpose": PURPOSE, "atena_number": head, "text": " "}),
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused.json()["field"] == "text"
