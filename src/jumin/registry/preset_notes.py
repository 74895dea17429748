"""留意事項 (type-B notes, standard 1.1.14-b): the preset texts per 異動事由 and the clerk's note on entry.

The entry screens offer the active ``PresetNote`` texts of the event's 異動事由; the clerk inserts one
into the editable 留意事項 field and may change it before 仮登録 (the draft keeps what was entered, and
the reviewer sees it on the 確認 screen before 本登録). Without a preset the note is free text. Staff
maintain the table in Django admin (registry.admin).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from jumin.domain.errors import refusal
from jumin.registry.models_notes import PresetNote

NOTE_MAX_CHARS = 500
FIELD = "attention_note"


def preset_texts(reasons: Iterable[str]) -> list[tuple[str, str]]:
    """The active preset texts for these 異動事由, as (異動事由, text), in the table's order."""
    rows = PresetNote.objects.filter(reason__in=list(reasons), active=True).order_by(
        "reason", "sort_order", "pk"
    )
    return [(row.reason, row.text) for row in rows]


def checked_note(text: str, *, field: str = FIELD) -> str:
    """A clerk's 留意事項 as stored (NFC, one line per line, trimmed), or a refusal naming ``field``."""
    cleaned = unicodedata.normalize("NFC", text.replace("\r\n", "\n")).strip()
    if len(cleaned) > NOTE_MAX_CHARS:
        raise refusal(
            field,
            f"留意事項が{NOTE_MAX_CHARS}文字を超えています（{len(cleaned)}文字）。",
            f"{NOTE_MAX_CHARS}文字以内にしてください。",
            "registry.attention_note_too_long",
        )
    if any(unicodedata.category(c) == "Cc" and c != "\n" for c in cleaned):
        raise refusal(
            field,
            "留意事項に使えない制御文字が含まれています。",
            "改行以外の制御文字を取り除いてください。",
            "registry.attention_note_control_character",
        )
    return cleaned


def joined(*notes: str) -> str:
    """Several notes of one change (e.g. the 未届転入 note and the clerk's) as one 留意事項."""
    return "\n".join(note for note in notes if note)
