"""The CS's internal id of each person it exchanges data about (issue 8 item 7, docs/jukinet.md).

Every CS exchange that concerns a person is audited with ``concerning=person_ids(codes)``; the
本人確認情報の提供状況 (``jukinet.cs.exchanges``) reads them back for one 住民票コード. The audit log
holds the internal id, never the 住民票コード (C-54: opaque internal ids only).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Q

from jumin.jukinet.cs.models import ExchangePerson

#: The audit subject type of a person at the CS.
PERSON_SUBJECT_TYPE = "cs_person"

_RESIDENT_CODE = re.compile(r"\d{11}")
# A person's codes form a short chain (a change is rare); the lookup follows at most this many links.
_MAX_LINKS = 10


def _new_person(code: str) -> ExchangePerson:
    """A first sighting: the row's own pk becomes the person's id (one savepoint for a racing twin)."""
    try:
        with transaction.atomic():
            row = ExchangePerson.objects.create(resident_code=code)
            row.person_id = row.pk
            row.save(update_fields=["person_id"])
            return row
    except IntegrityError:
        return ExchangePerson.objects.get(resident_code=code)


def person_ids(resident_codes: Iterable[str]) -> list[str]:
    """The person ids of these 住民票コード, in order and without repeats, created at first sighting.

    Text that is not an 11-digit code (a refused request's malformed input) names nobody.
    """
    codes = list(
        dict.fromkeys(code.strip() for code in resident_codes if _RESIDENT_CODE.fullmatch(code.strip()))
    )
    if not codes:
        return []
    known = dict(
        ExchangePerson.objects.filter(resident_code__in=codes).values_list("resident_code", "person_id")
    )
    ids: list[str] = []
    for code in codes:
        person_id = known.get(code) or _new_person(code).person_id
        ids.append(str(person_id))
    return list(dict.fromkeys(ids))


def link_former_code(former_code: str, resident_code: str) -> None:
    """After a 住民票コード change: the new code names the same person as the 旧住民票コード.

    The new code's row gets the old code's person id, or, if the new code was already seen on its
    own (an exchange that arrived before the change), its empty 旧住民票コード is filled: nothing
    already written is rewritten, and ``ids_for_lookup`` reads both ids together.
    """
    if not (_RESIDENT_CODE.fullmatch(former_code) and _RESIDENT_CODE.fullmatch(resident_code)):
        return
    (former_id,) = person_ids([former_code])
    try:
        with transaction.atomic():
            ExchangePerson.objects.create(
                resident_code=resident_code, person_id=int(former_id), former_resident_code=former_code
            )
    except IntegrityError:
        ExchangePerson.objects.filter(resident_code=resident_code, former_resident_code="").update(
            former_resident_code=former_code
        )


def ids_for_lookup(resident_code: str) -> list[str]:
    """Every person id the 提供状況 of this 住民票コード reads: its own, and those of the codes linked
    to it by 住民票コード changes (older or newer). Creates nothing; [] for an unknown code."""
    codes = {resident_code.strip()}
    ids: set[int] = set()
    for _ in range(_MAX_LINKS):
        rows = ExchangePerson.objects.filter(
            Q(resident_code__in=codes) | Q(former_resident_code__in=codes) | Q(person_id__in=ids)
        ).values_list("resident_code", "former_resident_code", "person_id")
        found = {code for row in rows for code in row[:2] if code} | codes
        found_ids = {row[2] for row in rows if row[2] is not None}
        if found == codes and found_ids == ids:
            break
        codes, ids = found, found_ids
    return [str(person_id) for person_id in sorted(ids)]


def codes_of(person_ids: list[str]) -> set[str]:
    """Every 住民票コード the CS knows these person ids by (old and new codes alike)."""
    rows = ExchangePerson.objects.filter(person_id__in=[int(person_id) for person_id in person_ids])
    return set(rows.values_list("resident_code", flat=True))


__all__ = ["PERSON_SUBJECT_TYPE", "codes_of", "ids_for_lookup", "link_former_code", "person_ids"]
