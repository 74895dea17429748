"""Search keys derived from committed snapshots (standard 2.1.2-b/c/d, 2.1.3-a/d; algorithms.md C).

``ResidentSearchKey`` rows are derived data: ``rebuild_search_keys`` replaces a person's rows when a
change of theirs is committed (services.commit_change), and ``key_tuples`` gives the importer the
same rows for its executemany. Stored names are never changed; only keys are derived from them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from jumin.domain.errors import DomainError
from jumin.domain.kana import name_keys, variant_kanji_key
from jumin.registry.models import Resident, ResidentSearchKey, ResidentSnapshot, SearchKeyKind

__all__ = [
    "KEY_COLUMNS",
    "NameEntry",
    "PersonKeyFacts",
    "key_tuples",
    "name_entries",
    "rebuild_search_keys",
]

_SPACES = " \u3000"


@dataclass(frozen=True, slots=True)
class NameEntry:
    """One name of a person as recorded: kind, kanji (or alphabet) parts and kana parts."""

    kind: str
    surname: str
    given_name: str
    surname_kana: str
    given_name_kana: str


@dataclass(frozen=True, slots=True)
class PersonKeyFacts:
    """The current, non-name items every key row of a person repeats."""

    resident_id: int
    snapshot_id: int
    household_id: int
    birth_sort_date: date
    sex: str
    address_code: str
    address: str
    status: str
    juminhyo_code: str


KEY_COLUMNS = (
    "resident",
    "snapshot",
    "household",
    "kind",
    "is_current_name",
    "full_key",
    "surname_key",
    "given_key",
    "variant_key",
    "variant_surname_key",
    "variant_given_key",
    "birth_sort_date",
    "sex",
    "address_code",
    "address",
    "status",
    "juminhyo_code",
)
"""Columns of ``ResidentSearchKey`` in the order of ``key_tuples`` (without the id)."""


def _split(text: str) -> tuple[str, str]:
    """A 通称 is one text: its first space, if any, separates the surname-like part from the rest."""
    parts = text.strip(_SPACES).replace("\u3000", " ").split(" ", 1)
    return parts[0], (parts[1] if len(parts) > 1 else "")


def name_entries(
    *,
    surname: str,
    given_name: str,
    surname_kana: str,
    given_name_kana: str,
    former_surname: str = "",
    former_surname_kana: str = "",
    alias: str = "",
    alias_kana: str = "",
) -> list[NameEntry]:
    """The names a snapshot is found by: 氏名 always, 旧氏 (with the 名) and 通称 if recorded (2.1.3-a)."""
    entries = [NameEntry(SearchKeyKind.NAME, surname, given_name, surname_kana, given_name_kana)]
    if former_surname or former_surname_kana:
        entries.append(
            NameEntry(
                SearchKeyKind.FORMER_SURNAME, former_surname, given_name, former_surname_kana, given_name_kana
            )
        )
    if alias or alias_kana:
        (alias_surname, alias_given), (kana_surname, kana_given) = _split(alias), _split(alias_kana)
        entries.append(NameEntry(SearchKeyKind.ALIAS, alias_surname, alias_given, kana_surname, kana_given))
    return entries


def _snapshot_entries(snapshot: ResidentSnapshot) -> list[NameEntry]:
    return name_entries(
        surname=snapshot.surname,
        given_name=snapshot.given_name,
        surname_kana=snapshot.surname_kana,
        given_name_kana=snapshot.given_name_kana,
        former_surname=snapshot.former_surname,
        former_surname_kana=snapshot.former_surname_kana,
        alias=snapshot.alias,
        alias_kana=snapshot.alias_kana,
    )


def variant_name_key(text: str) -> str:
    """The variant-kanji key of a name with its spaces removed (algorithms.md C.2), as stored."""
    return variant_kanji_key(text.translate({ord(" "): None, ord("\u3000"): None}))


def _keys(entry: NameEntry) -> tuple[str, str, str, str, str, str]:
    """(full, surname, given, variant full, variant surname, variant given) of one name.

    Kana that the folding rules reject (data migrated from an older system) gives empty kana keys:
    the person stays findable by the other keys instead of failing the commit or the load.
    """
    try:
        kana = name_keys(entry.surname_kana, entry.given_name_kana or None)
        full, surname, given = kana.full, kana.surname, kana.given or ""
    except DomainError:
        full = surname = given = ""
    variant_surname, variant_given = variant_name_key(entry.surname), variant_name_key(entry.given_name)
    return full, surname, given, variant_surname + variant_given, variant_surname, variant_given


def key_tuples(
    facts: PersonKeyFacts, current: Sequence[NameEntry], past: Iterable[NameEntry] = ()
) -> list[tuple[object, ...]]:
    """Rows (in ``KEY_COLUMNS`` order) for one person: current names first, then distinct past names.

    The current 氏名 row is always written, so a search without a name condition can use it alone.
    """
    rows: list[tuple[object, ...]] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    tail = (
        facts.birth_sort_date,
        facts.sex,
        facts.address_code,
        facts.address,
        facts.status,
        facts.juminhyo_code,
    )
    for is_current, entries in ((True, current), (False, past)):
        for entry in entries:
            keys = _keys(entry)
            if (entry.kind, keys) in seen or (not any(keys) and (entry.kind, is_current) != ("name", True)):
                continue
            seen.add((entry.kind, keys))
            ids = (facts.resident_id, facts.snapshot_id, facts.household_id)
            rows.append((*ids, entry.kind, is_current, *keys, *tail))
    return rows


def rebuild_search_keys(resident: Resident, current: ResidentSnapshot) -> int:
    """Replace the person's key rows by those of ``current`` and the names of their history.

    Call inside the committing transaction, after ``current`` got its 履歴番号 (2.1.3-d). Returns
    the number of rows written.
    """
    past: list[NameEntry] = []
    earlier = (
        ResidentSnapshot.objects.filter(resident=resident, history_no__isnull=False)
        .exclude(pk=current.pk)
        .order_by("-history_no")
        .only(
            "surname",
            "given_name",
            "surname_kana",
            "given_name_kana",
            "former_surname",
            "former_surname_kana",
            "alias",
            "alias_kana",
        )
    )
    for snapshot in earlier:
        past.extend(_snapshot_entries(snapshot))
    facts = PersonKeyFacts(
        resident_id=resident.pk,
        snapshot_id=current.pk,
        household_id=current.household_id,
        birth_sort_date=current.birth_sort_date,
        sex=current.sex,
        address_code=current.address_code,
        address=current.address,
        status=current.status,
        juminhyo_code=current.juminhyo_code,
    )
    rows = key_tuples(facts, _snapshot_entries(current), past)
    ResidentSearchKey.objects.filter(resident=resident).delete()
    ResidentSearchKey.objects.bulk_create(
        [
            ResidentSearchKey(
                **{
                    (f"{name}_id" if name in {"resident", "snapshot", "household"} else name): value
                    for name, value in zip(KEY_COLUMNS, row, strict=True)
                }
            )
            for row in rows
        ]
    )
    return len(rows)
