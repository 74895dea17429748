"""既存住基 → 市町村CS: 送付先情報 for a person who newly needs a 個人番号通知書 (system.md F15 steps 1–2).

``produce_for`` builds the 67 items (records.md §5) from one committed snapshot and stores them at
the CS (``jukinet.cs.sending_addresses.store_sending_address``), which sends them on to N4. Only
living residents with a 住民票コード and a 個人番号 get one (F15: living persons only).

Triggers:

* ``cs_link.forward_committed`` (inside the commit's transaction) for 出生 and for a first
  registration (国外転入等 whose 個人番号 no earlier row of this registry carries), once the
  committed row carries a 個人番号. Limitation: a number typed in at a 国外転入等 for a person this
  municipality never recorded counts as new, because only the national node knows otherwise;
* the 個人番号 change workflow calls ``produce_for(..., reason="個人番号の変更")`` (F22 step 4).

Where the items come from:

* mail-to (items 2–8): the 住所 and its 方書, addressed to the person, unless the caller passes a
  ``MailTo``: ``produce_many`` passes the person's recorded 居所 (``registry.sending_places``,
  std 7.1.1.4-a);
* municipality (9–16): the node's 市町村コード, the name from the masters, the office from the
  ``JUMIN_SENDING_ADDRESS_OFFICE`` setting (keys ``postal_code``, ``address``, ``phone``) when set;
* issuing place and card delivery (17–32): ``issuing_place`` / ``card_delivery`` of that setting
  (each a dict with ``name``, ``postal_code``, ``address``, ``phone``), else the municipality office;
* batch (33–37): persons in this commit, today, the committing clerk and terminal, 印刷区分;
* person (38–52, 62–67): as the CS record has them (the 4情報 N4 checks must be the CS's own),
  the 30条の45 区分 and 在留期間の満了の日 for a foreign resident, 旧氏, and the alphabet name as
  ローマ字氏名 where recorded. 項目長, 外字数 and 代替文字 are derived in jukinet.common.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from jumin.domain.errors import DomainError, refusal
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.jukinet.common.sending_address import (
    PRINT_CHANGED_NUMBER,
    PRINT_NEW_NUMBER,
    SendingAddress,
    make_sending_address,
)
from jumin.jukinet.cs import sending_addresses as cs_sending
from jumin.jukinet.cs import services as cs_services
from jumin.jukinet.cs.operators import BATCH_TERMINAL, operator_ids
from jumin.masters.selectors import municipality_by_code
from jumin.registry import sending_places
from jumin.registry.models import Change, ResidentSnapshot

#: Reasons that ask for a 個人番号通知書, and the 印刷区分 of each (English aliases for callers).
PRINT_CATEGORY_OF: dict[str, str] = {
    ChangeReason.BIRTH.value: PRINT_NEW_NUMBER,
    ChangeReason.MOVE_IN_FROM_ABROAD.value: PRINT_NEW_NUMBER,
    ChangeReason.INDIVIDUAL_NUMBER_CHANGE.value: PRINT_CHANGED_NUMBER,
    "birth": PRINT_NEW_NUMBER,
    "first_registration": PRINT_NEW_NUMBER,
    "number_change": PRINT_CHANGED_NUMBER,
}
#: Registry reasons after which the commit itself produces 送付先情報 (see the module docstring).
TRIGGER_REASONS = frozenset({ChangeReason.BIRTH.value, ChangeReason.MOVE_IN_FROM_ABROAD.value})
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PHONE = re.compile(r"^[0-9-]{0,20}$")


@dataclass(frozen=True)
class MailTo:
    """A mailing address other than the 住所 (a 居所 or a registered 送付先)."""

    postal_code: str
    address: str
    name: str


@dataclass(frozen=True)
class Place:
    """An office: name, postal code, address and telephone number."""

    name: str
    postal_code: str
    address: str
    phone: str


@dataclass(frozen=True)
class Offices:
    """This municipality's code, name and the three offices printed on the notice (items 9–32)."""

    municipality_code: str
    municipality_name: str
    office: Place
    issuing: Place
    delivery: Place


def _place(config: Any, default: Place) -> Place:
    if not isinstance(config, dict):
        return default
    return Place(
        name=str(config.get("name") or default.name),
        postal_code=str(config.get("postal_code", default.postal_code)),
        address=str(config.get("address") or default.address),
        phone=str(config.get("phone", default.phone)),
    )


def offices(municipality_code: str) -> tuple[str, Place, Place, Place]:
    """(市町村名, municipality office, issuing place, card delivery place) from the masters and settings."""
    config = getattr(settings, "JUMIN_SENDING_ADDRESS_OFFICE", None) or {}
    municipality = municipality_by_code(municipality_code)
    name = municipality.name if municipality is not None else "市町村"
    prefecture = municipality.prefecture.name if municipality is not None else ""
    office_name = f"{name}{'役所' if name.endswith(('市', '区')) else '役場'}"
    office = Place(
        name=office_name,
        postal_code=str(config.get("postal_code", "")),
        address=str(config.get("address") or f"{prefecture}{name}"),
        phone=str(config.get("phone", "")),
    )
    issuing = _place(config.get("issuing_place"), office)
    delivery = _place(config.get("card_delivery"), issuing)
    return name, office, issuing, delivery


def local_offices() -> Offices:
    """``offices`` of this node's municipality: look it up once per batch of notices."""
    code = cs_services.local_municipality_code()
    name, office, issuing, delivery = offices(code)
    return Offices(code, name, office, issuing, delivery)


def _foreign_items(snapshot: ResidentSnapshot) -> tuple[str, str, str]:
    """(30条の45区分, 在留期間の満了の日 YYYY-MM-DD or "", alphabet name) of a foreign resident."""
    foreign = snapshot.foreign or {}
    if not isinstance(foreign, dict):
        return "", "", ""
    expiry = str(foreign.get("stay_expiry_date") or "")
    return (
        str(foreign.get("category") or "")[:200],
        expiry if _ISO.match(expiry) else "",
        str(foreign.get("alphabet_name") or "")[:200],
    )


def build(
    snapshot: ResidentSnapshot,
    *,
    reason: str,
    operator_id: str,
    terminal_id: str,
    batch_count: int = 1,
    mail_to: MailTo | None = None,
    places: Offices | None = None,
) -> SendingAddress:
    """The 67 items of one committed snapshot (DomainError when the person cannot get one).

    ``places`` is ``local_offices()``, passed by a caller building many at once; looked up if None.
    """
    from jumin.registry.cs_link import birth_date_code  # cs_link imports this module

    print_category = PRINT_CATEGORY_OF.get(reason)
    if print_category is None:
        raise refusal(
            "reason",
            "送付先情報を作成しない異動事由です。",
            "出生・初回記載・個人番号の変更で作成してください。",
            "registry.sending_address_reason",
        )
    if snapshot.status != ResidentStatus.RESIDENT:
        raise refusal(
            "status",
            "住民でない人の送付先情報は作成できません。",
            "現存する住民について作成してください。",
            "registry.sending_address_not_resident",
        )
    number = snapshot.get_individual_number()
    if not snapshot.juminhyo_code or not number:
        raise refusal(
            "individual_number",
            "住民票コードまたは個人番号がまだありません。",
            "番号の付番後に作成してください。",
            "registry.sending_address_no_number",
        )
    places = places or local_offices()
    office, issuing, delivery = places.office, places.issuing, places.delivery
    name = f"{snapshot.surname}\u3000{snapshot.given_name}" if snapshot.given_name else snapshot.surname
    kana = (
        f"{snapshot.surname_kana}\u3000{snapshot.given_name_kana}"
        if snapshot.given_name_kana
        else snapshot.surname_kana
    )
    category, expiry, alphabet_name = _foreign_items(snapshot)
    mail = mail_to or MailTo(
        postal_code=snapshot.postal_code,
        address=f"{snapshot.address}\u3000{snapshot.katagaki}" if snapshot.katagaki else snapshot.address,
        name=name,
    )
    return make_sending_address(
        control_number=uuid.uuid4().hex,
        mail_postal_code=mail.postal_code,
        mail_address=mail.address,
        mail_name=mail.name,
        municipality_code=places.municipality_code,
        municipality_name=places.municipality_name,
        municipality_postal_code=office.postal_code,
        municipality_address=office.address,
        municipality_phone=office.phone if _PHONE.match(office.phone) else "",
        issuing_place_name=issuing.name,
        issuing_place_postal_code=issuing.postal_code,
        issuing_place_address=issuing.address,
        issuing_place_phone=issuing.phone,
        card_delivery_name=delivery.name,
        card_delivery_postal_code=delivery.postal_code,
        card_delivery_address=delivery.address,
        card_delivery_phone=delivery.phone,
        batch_count=batch_count,
        processing_date=timezone.localdate().strftime("%Y%m%d"),
        operator_id=operator_id,
        terminal_id=terminal_id,
        print_category=print_category,
        resident_code=snapshot.juminhyo_code,
        name=name,
        name_kana=kana,
        postal_code=snapshot.postal_code,
        address=snapshot.address,
        birth_date=birth_date_code(snapshot.birth_date),
        sex=snapshot.sex,
        individual_number=number,
        foreign_category=category,
        stay_expiry_date=expiry,
        former_surname=snapshot.former_surname,
        former_surname_kana=snapshot.former_surname_kana,
        former_surname_gaiji_seq=0,
        romanised_name=alphabet_name,
        romanised_former_surname="",
    )


def produce_for(
    snapshot: ResidentSnapshot,
    *,
    reason: str,
    actor: Any,
    batch_count: int = 1,
    mail_to: MailTo | None = None,
    places: Offices | None = None,
) -> str:
    """Build and store the 送付先情報 of one committed snapshot at the CS; returns the 送付先管理番号.

    ``reason`` is the registry 異動事由 (出生, 国外転入等, 個人番号の変更) or its alias (birth,
    first_registration, number_change). Refuses (DomainError, nothing stored) a person who is not a
    living resident or has no 住民票コード or 個人番号 yet. Call it inside the commit's transaction;
    the CS audits the store.
    """
    operator_id, terminal_id = operator_ids(
        actor, terminal_id=snapshot.change.terminal_id, terminal_fallback=BATCH_TERMINAL
    )
    record = build(
        snapshot,
        reason=reason,
        operator_id=operator_id,
        terminal_id=terminal_id,
        batch_count=batch_count,
        mail_to=mail_to,
        places=places,
    )
    cs_sending.store_sending_address(record, actor=actor)
    return record.control_number


def produce_many(snapshots: Sequence[ResidentSnapshot], *, reason: str, actor: Any) -> int:
    """``produce_for`` each committed snapshot of one change (one batch: ``batch_count`` is their
    number); a person the CS or the checks refuse is listed as CS未連携 and the others still go.

    Call inside the commit's transaction. Returns how many were stored.
    """
    if not snapshots:
        return 0
    places = local_offices()
    stays = sending_places.places_of(snapshot.resident_id for snapshot in snapshots)
    unlinked: list[tuple[str, str, str]] = []
    for snapshot in snapshots:
        try:
            produce_for(
                snapshot,
                reason=reason,
                actor=actor,
                batch_count=len(snapshots),
                places=places,
                mail_to=_mail_to(snapshot, stays.get(snapshot.resident_id)),
            )
        except DomainError as error:
            unlinked.append((_request_number(snapshot), error.code, error.field))
    cs_services.record_unlinked(unlinked)
    return len(snapshots) - len(unlinked)


def _mail_to(snapshot: ResidentSnapshot, stay: sending_places.Place | None) -> MailTo | None:
    """The recorded 居所 as the 送付先, addressed to the person (or to the 様方 recorded with it)."""
    if stay is None:
        return None
    name = f"{snapshot.surname}\u3000{snapshot.given_name}" if snapshot.given_name else snapshot.surname
    address = f"{stay.address}\u3000{stay.addressee}" if stay.addressee else stay.address
    return MailTo(postal_code=stay.postal_code, address=address[:200], name=name)


def _request_number(snapshot: ResidentSnapshot) -> str:
    from jumin.registry.cs_link import request_number  # cs_link imports this module

    return request_number(snapshot)


def needs_notice(change: Change, snapshot: ResidentSnapshot) -> bool:
    """Whether this commit newly gives the person a number to notify (出生, first registration)."""
    if change.reason not in TRIGGER_REASONS or snapshot.status != ResidentStatus.RESIDENT:
        return False
    if not snapshot.juminhyo_code or not snapshot.individual_number:
        return False
    if change.reason == ChangeReason.BIRTH:
        return True
    # 国外転入等: a number some earlier row of this registry already carries (a returning resident,
    # under this or an earlier 宛名番号) was notified before. The index is the row's own blind index.
    return not (
        ResidentSnapshot.objects.filter(individual_number_index=snapshot.individual_number_index)
        .exclude(change_id=change.pk)
        .exists()
    )
