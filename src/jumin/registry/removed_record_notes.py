"""The 除票の誤記訂正 notes (standard 1.1.5-c) as the 照会 screen shows and the 除票の写し prints them.

Written by ``workflows.removed_record_note``; read here without importing any workflow, so the
selectors and the certificate sources can use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jumin.accounts.authorization import MASK, visible_fields
from jumin.accounts.permissions import Permission
from jumin.domain.wareki import to_wareki
from jumin.registry.models_removed_notes import RemovedRecordNote

# Items a note on them is masked for, as the items themselves are (controls.md C-10).
HONSEKI_ITEMS = frozenset({"honseki", "hittousha"})


def note_text(
    note: RemovedRecordNote, *, wrong_text: str | None = None, correct_text: str | None = None
) -> str:
    """The note as the record shows and prints it (texts may be passed masked)."""
    wrong = note.wrong_text if wrong_text is None else wrong_text
    correct = note.correct_text if correct_text is None else correct_text
    return (
        f"{to_wareki(note.noted_on).display()}　{note.item_label}「{wrong}」は誤記につき「{correct}」と訂正"
        f"（{note.reason}）"
    )


def note_text_for(note: RemovedRecordNote, actor: Any) -> str:
    """The note as ``actor`` may see it (本籍・筆頭者 masked without the permission, C-10)."""
    if note.item in HONSEKI_ITEMS and Permission.FIELD_HONSEKI_VIEW not in visible_fields(actor):
        return note_text(note, wrong_text=MASK, correct_text=MASK)
    return note_text(note)


def notes_of(
    resident_ids: Iterable[int], *, honseki_visible: bool, with_clerk: bool = False
) -> dict[int, tuple[str, ...]]:
    """Each person's 除票 notes, oldest first, in one read; 本籍・筆頭者 notes masked unless visible.

    ``with_clerk`` adds who wrote the note (the 照会 screen; a certificate never names the clerk).
    """
    notes: dict[int, list[str]] = {}
    query = RemovedRecordNote.objects.filter(resident_id__in=list(resident_ids)).select_related("made_by")
    for note in query.order_by("pk"):
        if note.item in HONSEKI_ITEMS and not honseki_visible:
            text = note_text(note, wrong_text=MASK, correct_text=MASK)
        else:
            text = note_text(note)
        if with_clerk:
            text += f"　記載者 {note.made_by.get_username()}"
        notes.setdefault(note.resident_id, []).append(text)
    return {resident_id: tuple(texts) for resident_id, texts in notes.items()}
