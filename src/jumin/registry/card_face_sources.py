"""What a committed change writes on a person's cards (券面の追記, standard 7.1.1.3-b), as plain data.

A card in the holder's hand carries the 住所 and 氏名 of the day it was made; a later 異動 is written in
its 追記欄 (個人番号カード, 住基カード) or its 住居地記載欄 (在留カード, 特別永住者証明書) by the card-face
printer. This module answers, for one person and one committed change, which items changed and their
new values; ``certificates.card_forms`` prints them. Only committed rows are read (a 仮登録 is never
printed, controls.md C-24). No audit here: the printing use case authorises and audits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from jumin.domain.card_face import CardFaceKind
from jumin.domain.errors import refusal
from jumin.domain.resident import ResidentKind
from jumin.registry.cards import CardKind, active_card_kinds
from jumin.registry.models import ChangeState, ResidentSnapshot

# The items a card face shows and so may need a 追記, with the card-face label; in print order.
ADDRESS_ITEM = "住所"
CARD_FACE_ITEMS = (ADDRESS_ITEM, "氏名", "旧氏", "通称")


@dataclass(frozen=True)
class CardFaceSource:
    """One person's changed card-face items from one committed change (``items``: label → new value)."""

    atena_number: str
    change_id: int
    change_reason: str
    change_date: date
    notification_date: date | None
    kind: str
    items: tuple[tuple[str, str], ...]
    foreign: dict[str, Any]

    @property
    def is_foreign(self) -> bool:
        return self.kind == ResidentKind.FOREIGN


def _values(row: ResidentSnapshot | None) -> dict[str, str]:
    if row is None:
        return dict.fromkeys(CARD_FACE_ITEMS, "")
    return {
        ADDRESS_ITEM: f"{row.address}　{row.katagaki}".strip("　"),
        "氏名": f"{row.surname}　{row.given_name}".strip("　"),
        "旧氏": row.former_surname,
        "通称": row.alias,
    }


def _changed_items(row: ResidentSnapshot) -> tuple[tuple[str, str], ...]:
    """(label, new value) of each card-face item this committed row changed from the row before it."""
    assert row.history_no is not None  # committed rows only
    before = (
        ResidentSnapshot.objects.filter(
            resident_id=row.resident_id, history_no__isnull=False, history_no__lt=row.history_no
        )
        .order_by("-history_no")
        .first()
    )
    new, old = _values(row), _values(before)
    return tuple((label, new[label]) for label in CARD_FACE_ITEMS if new[label] != old[label])


@dataclass(frozen=True)
class CardFaceDue:
    """A card whose face a committed change calls to update: the person and the card (``CardFaceKind``)."""

    change_id: int
    atena_number: str
    card_kind: str
    label: str


_HELD_CARDS = {CardKind.INDIVIDUAL_NUMBER: CardFaceKind.INDIVIDUAL_NUMBER, CardKind.JUKI: CardFaceKind.JUKI}
_FOREIGN_CARDS = (
    ("residence_card_number", CardFaceKind.RESIDENCE),
    ("special_permanent_resident_number", CardFaceKind.SPECIAL_PERMANENT),
)


def card_faces_due(change_id: int) -> tuple[CardFaceDue, ...]:
    """The card-face updates a committed change calls for (system.md: for a card holder, update the card
    face), for the people whose card items it changed: a 個人番号カード or 住基カード recorded 有効 here,
    and a 在留カード or 特別永住者証明書 whose number the record holds when the 住所 changed."""
    rows = (
        ResidentSnapshot.objects.select_related("resident")
        .filter(change_id=change_id, change__state=ChangeState.COMMITTED, history_no__isnull=False)
        .order_by("member_order", "pk")
    )
    due: list[CardFaceDue] = []
    for row in rows:
        items = dict(_changed_items(row))
        if not items:
            continue
        kinds = [_HELD_CARDS[kind] for kind in active_card_kinds(row.resident)]
        if ADDRESS_ITEM in items:
            kinds += [kind for field, kind in _FOREIGN_CARDS if (row.foreign or {}).get(field)]
        due += [CardFaceDue(change_id, row.resident.atena_number, kind.value, kind.label) for kind in kinds]
    return tuple(due)


def card_face_source(change_id: int, atena_number: str) -> CardFaceSource:
    """The card-face items the committed change ``change_id`` changed for this person (new values).

    A record the change created here (転入, 国外転入等 …) has no earlier row: its 住所 is the new value.
    Refused when the change is not committed or did not include the person, and when it changed no item
    a card shows (a 世帯変更, a 続柄 correction …): there is nothing to write on the card.
    """
    row = (
        ResidentSnapshot.objects.select_related("change", "resident")
        .filter(
            change_id=change_id,
            resident__atena_number=atena_number.strip(),
            change__state=ChangeState.COMMITTED,
            history_no__isnull=False,
        )
        .first()
    )
    if row is None:
        raise refusal(
            "change_id",
            "本登録済みの異動に、この方が含まれていません。",
            "異動番号と宛名番号を確認してください（確認待ちの異動は券面に記載できません）。",
            "certificates.card_face_no_change",
        )
    items = _changed_items(row)
    if not items:
        raise refusal(
            "change_id",
            f"この異動（{row.change.reason}）では、券面に記載された事項（住所・氏名・旧氏・通称）が変わっていません。",
            "券面の追記は不要です。異動番号を確認してください。",
            "certificates.card_face_nothing_changed",
        )
    return CardFaceSource(
        atena_number=row.resident.atena_number,
        change_id=change_id,
        change_reason=row.change.reason,
        change_date=row.change.change_date,
        notification_date=row.change.notification_date,
        kind=row.kind,
        items=items,
        foreign=dict(row.foreign or {}),
    )
