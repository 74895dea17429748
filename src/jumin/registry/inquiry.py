"""Inquiry reads once a person is identified: the history timeline and the enlarged glyphs.

Standard 2.2.1-a (異動履歴 incl. 旧氏 and 通称 history, using the 1.2.1 items) and 2.2.3-a (enlarged
characters with their code points). Both are authorised (``RESIDENT_VIEW``), subject to 照会
suppressions like ``selectors.resident_record`` (standard 3.1-b: an error refuses, an alert needs
its code in ``acknowledged_alerts``), and audited in the transaction of the read; hidden fields stay masked
(controls.md C-10). Only committed rows are read.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from jumin.accounts.authorization import mask, visible_fields
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.domain import recorded_dates
from jumin.domain.eras import Calendar
from jumin.domain.glyph_entry import format_code_points
from jumin.domain.relationship_proof import proof_text
from jumin.domain.resident import ResidentKind
from jumin.domain.special_permanent_certificate import EXPIRY_ITEM, NUMBER_ITEM, return_text
from jumin.domain.wareki import format_date_ja
from jumin.registry.models import Resident, ResidentSnapshot
from jumin.registry.removed_archive import archived_history_of
from jumin.registry.selectors_common import audited_inquiry, resident_not_found

__all__ = [
    "Glyph",
    "ItemChange",
    "NameGlyphs",
    "Timeline",
    "TimelineEntry",
    "glyphs_of",
    "resident_glyphs",
    "resident_timeline",
]

NAME_HISTORY_ITEMS = frozenset({"旧氏", "旧氏フリガナ", "通称", "通称フリガナ"})
"""The items of the 旧氏・通称 history (standard 2.2.1-a)."""


@dataclass(frozen=True)
class ItemChange:
    """One item that differs from the previous committed row ("" before for the first row)."""

    label: str
    before: str
    after: str


@dataclass(frozen=True)
class TimelineEntry:
    """One committed change of the person: what, when, processed when, and which items changed."""

    history_no: int
    change_reason: str
    change_date: str
    notification_date: str
    processed_at: str
    status: str
    changes: tuple[ItemChange, ...]
    input_place: str = ""  # 入力場所 (standard 1.2.1-a)

    @property
    def name_changes(self) -> tuple[ItemChange, ...]:
        """The 旧氏 / 通称 items among the changes."""
        return tuple(change for change in self.changes if change.label in NAME_HISTORY_ITEMS)


@dataclass(frozen=True)
class Timeline:
    """A person's 異動履歴, oldest first, with the 旧氏・通称 history picked out."""

    atena_number: str
    entries: tuple[TimelineEntry, ...]

    @property
    def name_history(self) -> tuple[tuple[TimelineEntry, ItemChange], ...]:
        """(entry, change) for every 旧氏 / 通称 item that was recorded, changed or deleted."""
        return tuple((entry, change) for entry in self.entries for change in entry.name_changes)


def _wareki(day: Any) -> str:
    return format_date_ja(day, calendar=Calendar.WAREKI) if day is not None else ""


def _confirmation(confirmed: bool) -> str:
    # フリガナ確認 per kana item (standard 1.1.18-a): a change of confirmation is a change of the row.
    return "確認済み" if confirmed else "未確認"


def _postal(code: str, unknown: bool) -> str:
    """A stored postal code, or the flag that the address dictionary did not give it (1.1.17-a)."""
    return UNKNOWN_POSTAL_CODE if unknown and not code else code


#: Shown for a postal code the address dictionary did not give (a clerk fills it in).
UNKNOWN_POSTAL_CODE = "（住所辞書で特定できません。確認して入力してください）"


def _items(visible: frozenset[Permission]) -> list[tuple[str, Callable[[ResidentSnapshot], str]]]:
    """The compared items (standard 1.2.1-a via the full-row snapshot) with their screen spelling."""

    def hidden(value: str, permission: Permission) -> str:
        return mask(value, visible=permission in visible) if value else ""

    def birth(s: ResidentSnapshot) -> str:
        return recorded_dates.display(
            recorded_dates.from_json(s.birth_date), gregorian=s.kind == ResidentKind.FOREIGN
        )

    return [
        ("氏名", lambda s: f"{s.surname} {s.given_name}".strip()),
        ("フリガナ", lambda s: f"{s.surname_kana} {s.given_name_kana}".strip()),
        ("フリガナ確認", lambda s: _confirmation(s.kana_confirmed)),
        ("旧氏", lambda s: s.former_surname),
        ("旧氏フリガナ", lambda s: s.former_surname_kana),
        ("旧氏フリガナ確認", lambda s: _confirmation(s.former_surname_kana_confirmed)),
        ("通称", lambda s: s.alias),
        ("通称フリガナ", lambda s: s.alias_kana),
        ("通称フリガナ確認", lambda s: _confirmation(s.alias_kana_confirmed)),
        ("生年月日", birth),
        ("性別", lambda s: {"male": "男", "female": "女"}.get(s.sex, s.sex)),
        ("世帯番号", lambda s: s.household.number),
        ("続柄", lambda s: s.relationship),
        ("続柄を証する書類", lambda s: proof_text(s.relationship_proof)),
        ("事実上の世帯主", lambda s: s.de_facto_head),
        ("郵便番号", lambda s: s.postal_code),
        ("住所", lambda s: s.address),
        ("方書", lambda s: s.katagaki),
        ("住所コード", lambda s: s.address_code),
        ("転入前住所", lambda s: s.previous_address),
        (
            "転入前住所 郵便番号",
            lambda s: _postal(s.previous_address_postal_code, s.previous_address_postal_unknown),
        ),
        ("転入前住所 住所コード", lambda s: s.previous_address_code),
        ("本籍", lambda s: hidden(s.honseki, Permission.FIELD_HONSEKI_VIEW)),
        ("筆頭者", lambda s: hidden(s.hittousha, Permission.FIELD_HONSEKI_VIEW)),
        ("住民票コード", lambda s: hidden(s.juminhyo_code, Permission.FIELD_JUMINHYO_CODE_VIEW)),
        (
            "住民状態",
            lambda s: {"resident": "住民", "planned_move_out": "転出予定", "removed": "除票"}.get(
                s.status, s.status
            ),
        ),
        ("転出先（予定）", lambda s: s.planned_destination),
        (
            "転出先（予定）郵便番号",
            lambda s: _postal(s.planned_destination_postal_code, s.planned_destination_postal_unknown),
        ),
        ("転出先（予定）住所コード", lambda s: s.planned_destination_address_code),
        ("消除事由", lambda s: s.removal_reason),
        ("国籍・地域", lambda s: str((s.foreign or {}).get("nationality_code") or "")),
        ("氏名（ローマ字）", lambda s: str((s.foreign or {}).get("alphabet_name") or "")),
    ]


def _certificate_items(visible: frozenset[Permission]) -> list[tuple[str, Callable[[ResidentSnapshot], str]]]:
    """The 特別永住者証明書's number, expiry and 返納 (standard 4.5.7-b), hidden with the 在留資格 (C-10).

    Not in ``_items``: the history lists them apart, and the review screen adds them to its own items."""
    shown = Permission.FIELD_RESIDENCE_STATUS_VIEW in visible

    def hidden(read: Callable[[dict[str, Any]], str]) -> Callable[[ResidentSnapshot], str]:
        def value(s: ResidentSnapshot) -> str:
            text = read(s.foreign or {})
            return mask(text, visible=shown) if text else ""

        return value

    return [
        ("特別永住者証明書番号", hidden(lambda f: str(f.get(NUMBER_ITEM) or ""))),
        ("特別永住者証明書の有効期間の満了日", hidden(lambda f: str(f.get(EXPIRY_ITEM) or ""))),
        ("特別永住者証明書の返納", hidden(return_text)),
    ]


def committed_rows(atena_number: str) -> list[ResidentSnapshot]:
    """The person's committed snapshots oldest first (change, household and person joined), or not found.

    A person in the 除票データベース is read from the archive's copies (1.1.5-e).

    Call inside an audited 照会 of the person.
    """
    archived = archived_history_of(atena_number)
    if archived:
        return archived
    snapshots = list(
        ResidentSnapshot.objects.filter(resident__atena_number=atena_number, history_no__isnull=False)
        .select_related("household", "change", "change__input_place", "resident")
        .order_by("history_no")
    )
    if not snapshots:
        raise resident_not_found()
    return snapshots


def resident_timeline(
    *, actor: Any, purpose: str, atena_number: str, acknowledged_alerts: Collection[str] = ()
) -> Timeline:
    """The person's 異動履歴 oldest first, each change with the items that changed (2.2.1-a); audited."""
    with audited_inquiry(
        actor=actor,
        purpose=purpose,
        atena_number=atena_number,
        action=AuditAction.RESIDENT_HISTORY_VIEW,
        acknowledged_alerts=acknowledged_alerts,
        reason="timeline",
    ):
        snapshots = committed_rows(atena_number)
        visible = visible_fields(actor)
        items = [*_items(visible), *_certificate_items(visible)]
        entries: list[TimelineEntry] = []
        previous: dict[str, str] = {}
        for snapshot in snapshots:
            values = {label: read(snapshot) for label, read in items}
            changes = tuple(
                ItemChange(label, previous.get(label, ""), value)
                for label, value in values.items()
                if value != previous.get(label, "")
            )
            change = snapshot.change
            entries.append(
                TimelineEntry(
                    history_no=snapshot.history_no or 0,
                    change_reason=change.reason,
                    change_date=_wareki(change.change_date),
                    notification_date=_wareki(change.notification_date),
                    processed_at=_wareki(change.reviewed_at.date()) if change.reviewed_at else "",
                    status=values["住民状態"],
                    changes=changes,
                    input_place=change.input_place.name if change.input_place else "不明",
                )
            )
            previous = values
    return Timeline(atena_number=atena_number, entries=tuple(entries))


@dataclass(frozen=True)
class Glyph:
    """One character as written: the base character with any variation selector or combining mark.

    ``code_points`` are ``U+XXXX`` strings; ``selector`` names the variation selector if any
    (``VS17`` … ``VS256`` for an IVS at U+E0100…U+E01EF, ``VS1`` … ``VS16`` for U+FE00…U+FE0F).
    """

    text: str
    code_points: tuple[str, ...]
    selector: str
    name: str

    @property
    def is_ivs(self) -> bool:
        """Whether an ideographic variation selector (U+E0100…U+E01EF) follows the base character."""
        return self.selector.startswith("VS") and int(self.selector[2:]) >= 17


@dataclass(frozen=True)
class NameGlyphs:
    """One name item of the person (氏, 名, 旧氏, 通称 …) split into glyphs."""

    label: str
    text: str
    glyphs: tuple[Glyph, ...]


def _selector(char: str) -> str:
    code = ord(char)
    if 0xFE00 <= code <= 0xFE0F:
        return f"VS{code - 0xFE00 + 1}"
    if 0xE0100 <= code <= 0xE01EF:
        return f"VS{code - 0xE0100 + 17}"
    return ""


def glyphs_of(text: str) -> tuple[Glyph, ...]:
    """Split a name into glyphs; a variation selector or combining mark stays with its base (2.2.3-a)."""
    clusters: list[str] = []
    for char in text:
        if clusters and (_selector(char) or unicodedata.combining(char)):
            clusters[-1] += char
        else:
            clusters.append(char)
    return tuple(
        Glyph(
            text=cluster,
            code_points=format_code_points(cluster),
            selector=next((_selector(char) for char in cluster[1:] if _selector(char)), ""),
            name=unicodedata.name(cluster[0], ""),
        )
        for cluster in clusters
        if not cluster.isspace()
    )


def resident_glyphs(
    *, actor: Any, purpose: str, atena_number: str, acknowledged_alerts: Collection[str] = ()
) -> list[NameGlyphs]:
    """Every name item of the person's current record, glyph by glyph with code points (2.2.3-a); audited."""
    with audited_inquiry(
        actor=actor,
        purpose=purpose,
        atena_number=atena_number,
        action=AuditAction.RESIDENT_GLYPH_VIEW,
        acknowledged_alerts=acknowledged_alerts,
    ):
        resident = (
            Resident.objects.select_related("current")
            .filter(atena_number=atena_number, current__isnull=False)
            .first()
        )
        if resident is None or resident.current is None:
            raise resident_not_found()
        snapshot = resident.current
        alphabet = str((snapshot.foreign or {}).get("alphabet_name", ""))
        names = [
            ("氏", snapshot.surname),
            ("名", snapshot.given_name),
            ("旧氏", snapshot.former_surname),
            ("通称", snapshot.alias),
            ("英字氏名", alphabet),
            ("筆頭者", snapshot.hittousha if Permission.FIELD_HONSEKI_VIEW in visible_fields(actor) else ""),
        ]
        return [NameGlyphs(label, text, glyphs_of(text)) for label, text in names if text]
