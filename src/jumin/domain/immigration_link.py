"""市町村通知 / 市町村伝達 to 出入国在留管理庁 (standard 4.5.7-a; system.md F10 step 4): which kind and
which class a committed change of a foreign resident's record gives.

The agency's interface spec is not in the seeds, so the rules are Jumin's reading of the law
(docs/workflows/immigration-link.md):

* a 転入 or 転居 of a 中長期在留者 or 特別永住者 is also their 住居地届出 (入管法19条の9第3項, 入管特例法
  10条5項: the 住民異動届 counts as one): a **市町村伝達** of the 届出, class **住基法・入管法**;
* a 特別永住者's change of an item the 特別永住者証明書 states besides the 住居地 (氏名, 生年月日, 性別,
  国籍・地域; 入管特例法8条2項) entered as a 職権修正 (or a change of status) is the person's 変更届出,
  which is made through the municipality (入管特例法11条1項): a **市町村伝達** of the 届出 that also
  amends the record, class **住基法・入管法**;
* a change of the 特別永住者証明書 alone, its number and the expiry the record holds (the certificate
  issued, re-issued or renewed through the municipality, 入管特例法12–14条), or its 返納 through the
  municipality (入管特例法17条), concerns the agency only: a 市町村通知 of class **入管法**;
* every other 記載・消除・記載の修正 of a foreign resident's record (入管法61条の8の2), including a
  誤記修正 or 軽微な修正 of a certificate item, a 通称 (the certificate does not state it) and a
  職権 change of the 住居地: a **市町村通知** of class **住基法**.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from jumin.domain.resident import ChangeReason
from jumin.domain.special_permanent_certificate import (
    EXPIRY_ITEM,
    NUMBER_ITEM,
    RETURNED_NUMBER_ITEM,
    RETURNED_ON_ITEM,
)


class LinkKind(StrEnum):
    """通知種別: a notice of the record change, or the transmission of a 住居地届出."""

    NOTICE = "市町村通知"
    TRANSMISSION = "市町村伝達"


class LinkClass(StrEnum):
    """The law(s) under which the item is sent (standard 4.5.7-a)."""

    BOTH = "住基法・入管法"
    IMMIGRATION = "入管法"
    REGISTRY = "住基法"


#: Categories that owe a 住居地届出 (入管法19条の7–9; 入管特例法10条).
RESIDENCE_REPORTING_CATEGORIES = frozenset({"中長期在留者", "特別永住者"})
#: Changes that give the person a new 住居地 by their own notification.
_ADDRESS_NOTIFICATIONS = frozenset(
    {ChangeReason.DOMESTIC_MOVE_IN, ChangeReason.MOVE_IN_FROM_ABROAD, ChangeReason.MOVE_WITHIN}
)
SPECIAL_PERMANENT_RESIDENT = "特別永住者"
#: The items the 特別永住者証明書 states of the holder besides the 住居地 (入管特例法8条2項), as the
#: record holds them: the notice items ``name`` and ``alphabet_name``, ``birth_date``, ``sex``,
#: ``nationality_code``.
CERTIFICATE_PERSONAL_ITEMS = frozenset({"name", "alphabet_name", "birth_date", "sex", "nationality_code"})
#: The certificate's own items: its number, and its expiry (kept by the certificate workflow,
#: domain.special_permanent_certificate; ``stay_expiry_date`` for records that held it there), and
#: its 返納 (returned through the municipality, 入管特例法17条: the agency's business alone).
CERTIFICATE_CARD_ITEMS = frozenset(
    {NUMBER_ITEM, EXPIRY_ITEM, "stay_expiry_date", RETURNED_NUMBER_ITEM, RETURNED_ON_ITEM}
)
#: Changes a 特別永住者's own 変更届出 (入管特例法11条1項) is recorded with: not a 誤記修正 or 軽微な修正
#: (the municipality's own fix) nor a 法30条の50通知 (the agency's own notice).
_CHANGE_NOTIFICATIONS = frozenset(
    {
        ChangeReason.EX_OFFICIO_AMENDMENT,
        ChangeReason.SEX_CHANGE,
        ChangeReason.SPECIAL_ADOPTION,
        ChangeReason.SPECIAL_ADOPTION_DISSOLUTION,
    }
)
#: Entries and removals are notices of the record whatever items changed.
_REMOVALS_AND_ENTRIES = frozenset(
    {
        ChangeReason.DOMESTIC_MOVE_OUT,
        ChangeReason.MOVE_OUT_ABROAD,
        ChangeReason.DEATH,
        ChangeReason.EX_OFFICIO_REMOVAL,
        ChangeReason.NATURALISATION,
        ChangeReason.BIRTH,
        ChangeReason.EX_OFFICIO_RECORDING,
        ChangeReason.LOSS_OF_NATIONALITY,
    }
)


@dataclass(frozen=True)
class LinkType:
    """The kind and class of one person's item."""

    kind: LinkKind
    link_class: LinkClass


def changed_items(before: Mapping[str, Any], after: Mapping[str, Any]) -> frozenset[str]:
    """The names of the items whose value differs between two item mappings (absent counts as blank)."""
    return frozenset(
        name for name in set(before) | set(after) if (before.get(name) or "") != (after.get(name) or "")
    )


RETURN_ITEMS = frozenset({RETURNED_NUMBER_ITEM, RETURNED_ON_ITEM})


def returned_only(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Whether a 特別永住者証明書 返納 is all that changed between two rows' items."""
    changed = changed_items(before, after)
    return bool(changed) and changed <= RETURN_ITEMS


def link_type(
    reason: str, category: str, before: Mapping[str, Any] | None, after: Mapping[str, Any]
) -> LinkType:
    """The kind and class of the item a committed change gives.

    ``before``/``after``: the person's items on the row before and on the committed row (the 30条の45
    items, and ``name``, ``alias``, ``birth_date``, ``sex``, ``address`` as the notice carries them);
    ``before`` None for a first row.
    """
    if reason in _ADDRESS_NOTIFICATIONS and category in RESIDENCE_REPORTING_CATEGORIES:
        return LinkType(LinkKind.TRANSMISSION, LinkClass.BOTH)
    if before is not None and returned_only(before, after):
        # A 返納 is the agency's business whatever the record is now (帰化 entered, another status).
        return LinkType(LinkKind.NOTICE, LinkClass.IMMIGRATION)
    if before is None or reason in _REMOVALS_AND_ENTRIES or category != SPECIAL_PERMANENT_RESIDENT:
        return LinkType(LinkKind.NOTICE, LinkClass.REGISTRY)
    changed = changed_items(before, after)
    if changed & CERTIFICATE_PERSONAL_ITEMS and reason in _CHANGE_NOTIFICATIONS:
        return LinkType(LinkKind.TRANSMISSION, LinkClass.BOTH)
    if changed and changed <= CERTIFICATE_CARD_ITEMS:
        return LinkType(LinkKind.NOTICE, LinkClass.IMMIGRATION)
    return LinkType(LinkKind.NOTICE, LinkClass.REGISTRY)
