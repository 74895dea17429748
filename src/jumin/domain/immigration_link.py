"""市町村通知 / 市町村伝達 to 出入国在留管理庁 (standard 4.5.7-a; system.md F10 step 4): which kind and
which class a committed change of a foreign resident's record gives.

The agency's interface spec is not in the seeds, so the rules are Jumin's reading of the law
(docs/workflows/immigration-link.md):

* a 転入 or 転居 of a 中長期在留者 or 特別永住者 is also their 住居地届出 (入管法19条の9第3項, 入管特例法
  10条5項: the 住民異動届 counts as one): a **市町村伝達** of the 届出, class **住基法・入管法**;
* a change of the 特別永住者証明書番号 alone (the certificate issued or re-issued at the counter,
  入管特例法) concerns the agency only: a 市町村通知 of class **入管法**;
* every other 記載・消除・記載の修正 of a foreign resident's record (入管法61条の8の2): a **市町村通知**
  of class **住基法**.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from jumin.domain.resident import ChangeReason


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
_CERTIFICATE_ITEM = "special_permanent_resident_number"
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


def link_type(
    reason: str, category: str, before: Mapping[str, Any] | None, after: Mapping[str, Any]
) -> LinkType:
    """The kind and class of the item a committed change gives (``before``/``after``: the person's
    30条の45 items on the row before and on the committed row; ``before`` None for a first row)."""
    if reason in _ADDRESS_NOTIFICATIONS and category in RESIDENCE_REPORTING_CATEGORIES:
        return LinkType(LinkKind.TRANSMISSION, LinkClass.BOTH)
    if before is not None and before.get(_CERTIFICATE_ITEM) != after.get(_CERTIFICATE_ITEM):
        others = {k for k in set(before) | set(after) if before.get(k) != after.get(k)} - {_CERTIFICATE_ITEM}
        if not others and reason not in _REMOVALS_AND_ENTRIES:
            return LinkType(LinkKind.NOTICE, LinkClass.IMMIGRATION)
    return LinkType(LinkKind.NOTICE, LinkClass.REGISTRY)
