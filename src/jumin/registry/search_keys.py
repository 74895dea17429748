"""Search keys derived from committed snapshots (standard 2.1.2-b/c/d, 2.1.3-a/c/d; algorithms.md C).

``ResidentSearchKey`` rows are derived data: ``rebuild_search_keys`` replaces a person's rows when a
change of theirs is committed (services.commit_change), and ``key_tuples`` gives the importer the
same rows for its executemany. Stored names are never changed; only keys are derived from them.
``rebuild_all`` (command ``rebuild_search_keys``) rewrites the table after a rule change.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from jumin import fixed_sql
from jumin.bulk_insert import insert_objects
from jumin.domain.errors import DomainError
from jumin.domain.kana import name_keys, variant_kanji_key
from jumin.registry.models import Resident, ResidentSearchKey, ResidentSnapshot, SearchKeyKind
from jumin.registry.removed_archive import currently_archived, move_keys_to_archive

__all__ = [
    "KEY_COLUMNS",
    "NAME_COLUMNS",
    "AddressEntry",
    "NameEntry",
    "PersonKeyFacts",
    "facts_from_columns",
    "key_tuples",
    "name_entries",
    "name_keys_of",
    "rebuild_all",
    "rebuild_search_keys",
    "rebuild_search_keys_many",
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
class AddressEntry:
    """One address of a person as recorded: the text, its 住所コード and the 方書."""

    address: str
    address_code: str
    katagaki: str


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
    katagaki: str
    relationship: str
    kana_confirmed: bool
    removal_reason: str
    residence_card_number: str
    special_permanent_resident_number: str

    @property
    def current_address(self) -> AddressEntry:
        """The address the person's current record holds."""
        return AddressEntry(self.address, self.address_code, self.katagaki)


def _foreign_items(value: object) -> dict[str, Any]:
    """The 30条の45 items of a snapshot: a dict from the ORM, JSON text from the importer's rows."""
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, dict) else {}


def facts_from_columns(column: Callable[[str], Any]) -> PersonKeyFacts:
    """The facts of one snapshot, given a reader of its columns by model field name.

    The importer reads its row tuples this way and ``rebuild_search_keys`` reads model attributes,
    so both write the same key rows.
    """
    foreign = _foreign_items(column("foreign"))
    return PersonKeyFacts(
        resident_id=column("resident"),
        snapshot_id=column("id"),
        household_id=column("household"),
        birth_sort_date=column("birth_sort_date"),
        sex=column("sex"),
        address_code=column("address_code") or "",
        address=column("address"),
        status=column("status"),
        juminhyo_code=column("juminhyo_code") or "",
        katagaki=column("katagaki") or "",
        relationship=column("relationship") or "",
        kana_confirmed=bool(column("kana_confirmed")),
        removal_reason=column("removal_reason") or "",
        residence_card_number=str(foreign.get("residence_card_number") or ""),
        special_permanent_resident_number=str(foreign.get("special_permanent_resident_number") or ""),
    )


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
    "is_current_address",
    "katagaki",
    "relationship",
    "kana_confirmed",
    "removal_reason",
    "residence_card_number",
    "special_permanent_resident_number",
)
"""Columns of ``ResidentSearchKey`` in the order of ``key_tuples`` (without the id)."""


def _split(text: str) -> tuple[str, str]:
    """A 通称 is one text: its first space, if any, separates the surname-like part from the rest."""
    parts = text.strip(_SPACES).replace("\u3000", " ").split(" ", 1)
    return parts[0], (parts[1] if len(parts) > 1 else "")


NAME_COLUMNS = (
    "surname",
    "given_name",
    "surname_kana",
    "given_name_kana",
    "former_surname",
    "former_surname_kana",
    "alias",
    "alias_kana",
)
"""The snapshot columns a person's names are found by; ``name_entries`` takes them under these names."""


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


# Names repeat (a surname across a household, common given names): a bulk load computes each key
# once per distinct text instead of once per person (performance.md P1). Pure functions of the text.
_NAME_KEY_CACHE = 1 << 16


@functools.lru_cache(maxsize=_NAME_KEY_CACHE)
def variant_name_key(text: str) -> str:
    """The variant-kanji key of a name with its spaces removed (algorithms.md C.2), as stored."""
    return variant_kanji_key(text.translate({ord(" "): None, ord("\u3000"): None}))


@functools.lru_cache(maxsize=_NAME_KEY_CACHE)
def _kana_keys(surname_kana: str, given_name_kana: str) -> tuple[str, str, str]:
    """(full, surname, given) kana keys of one name.

    Kana that the folding rules reject (data migrated from an older system) gives empty kana keys:
    the person stays findable by the other keys instead of failing the commit or the load.
    """
    try:
        kana = name_keys(surname_kana, given_name_kana or None)
    except DomainError:
        return "", "", ""
    return kana.full, kana.surname, kana.given or ""


def _keys(entry: NameEntry) -> tuple[str, str, str, str, str, str]:
    """(full, surname, given, variant full, variant surname, variant given) of one name."""
    return name_keys_of(entry.surname, entry.given_name, entry.surname_kana, entry.given_name_kana)


@functools.lru_cache(maxsize=_NAME_KEY_CACHE)
def name_keys_of(
    surname: str, given_name: str, surname_kana: str, given_name_kana: str
) -> tuple[str, str, str, str, str, str]:
    """(full, surname, given, variant full, variant surname, variant given) of one name's four parts."""
    # Whole names repeat too (a household's 氏, common 名): one lookup instead of three per name.
    full, surname_key, given_key = _kana_keys(surname_kana, given_name_kana)
    variant_surname, variant_given = variant_name_key(surname), variant_name_key(given_name)
    return full, surname_key, given_key, variant_surname + variant_given, variant_surname, variant_given


def key_tuples(
    facts: PersonKeyFacts,
    current: Sequence[NameEntry],
    past: Iterable[NameEntry] = (),
    past_addresses: Iterable[AddressEntry] = (),
) -> list[tuple[object, ...]]:
    """Rows (in ``KEY_COLUMNS`` order) for one person (standard 2.1.3-a/d).

    Current names first, then distinct past names, all with the current address; then one row of
    the current 氏名 per distinct past address (``is_current_address`` False). The current 氏名 row
    with the current address is always written, so a search without a name condition can use it.
    """
    rows: list[tuple[object, ...]] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    ids = (facts.resident_id, facts.snapshot_id, facts.household_id)

    def tail(address: AddressEntry, is_current_address: bool) -> tuple[object, ...]:
        return (
            facts.birth_sort_date,
            facts.sex,
            address.address_code,
            address.address,
            facts.status,
            facts.juminhyo_code,
            is_current_address,
            address.katagaki,
            facts.relationship,
            facts.kana_confirmed,
            facts.removal_reason,
            facts.residence_card_number,
            facts.special_permanent_resident_number,
        )

    here = facts.current_address
    here_tail = tail(here, True)
    current_name_keys: tuple[str, ...] = ()
    for is_current, entries in ((True, current), (False, past)):
        for entry in entries:
            keys = _keys(entry)
            if (entry.kind, is_current) == (SearchKeyKind.NAME, True):
                current_name_keys = keys
            elif (entry.kind, keys) in seen or not any(keys):
                continue
            seen.add((entry.kind, keys))
            rows.append((*ids, entry.kind, is_current, *keys, *here_tail))
    for address in dict.fromkeys(past_addresses):
        if address != here and address.address:
            rows.append((*ids, SearchKeyKind.NAME, True, *current_name_keys, *tail(address, False)))
    return rows


def _snapshot_facts(current: ResidentSnapshot) -> PersonKeyFacts:
    def column(name: str) -> Any:
        if name in {"resident", "household"}:
            return getattr(current, f"{name}_id")
        return getattr(current, name)

    return facts_from_columns(column)


def rebuild_search_keys(resident: Resident, current: ResidentSnapshot) -> int:
    """Replace the person's key rows by those of ``current`` and the names and addresses of their history.

    Call inside the committing transaction, after ``current`` got its 履歴番号 (2.1.3-d). Returns
    the number of rows written.
    """
    return rebuild_search_keys_many([(resident, current)])


def rebuild_search_keys_many(
    people: Sequence[tuple[Resident, ResidentSnapshot]], *, first_rows: Collection[int] = ()
) -> int:
    """``rebuild_search_keys`` for several people at once: the same rows, in three statements in all.

    One read of everyone's earlier snapshots, one delete and one insert, instead of three statements
    per person (a 転入 of a household commits several people; performance.md P3). ``first_rows``: ids
    of people whose ``current`` is their only committed row (the caller knows: they had no current row
    before this commit); they have no earlier snapshots to read, and when everyone is such a person
    the read is left out. Returns the number of rows written.
    """
    if not people:
        return 0
    past: dict[int, list[NameEntry]] = {resident.pk: [] for resident, _ in people}
    past_addresses: dict[int, list[AddressEntry]] = {resident.pk: [] for resident, _ in people}
    with_history = [pk for pk in past if pk not in first_rows]
    earlier: Iterable[ResidentSnapshot] = (
        ResidentSnapshot.objects.filter(resident_id__in=with_history, history_no__isnull=False)
        .exclude(pk__in=[current.pk for _, current in people])
        .order_by("resident_id", "-history_no")
        .only("resident", *NAME_COLUMNS, "address", "address_code", "katagaki")
        if with_history
        else ()  # not ``none()``: an empty queryset still builds its statement before giving nothing
    )
    for snapshot in earlier:
        past[snapshot.resident_id].extend(_snapshot_entries(snapshot))
        past_addresses[snapshot.resident_id].append(
            AddressEntry(snapshot.address, snapshot.address_code, snapshot.katagaki)
        )
    rows = [
        row
        for resident, current in people
        for row in key_tuples(
            _snapshot_facts(current),
            _snapshot_entries(current),
            past[resident.pk],
            past_addresses[resident.pk],
        )
    ]
    # Nothing refers to a key row: one DELETE, its text compiled once per number of people (P3).
    resident_ids = list(past)
    replaced = fixed_sql.deletion(lambda: ResidentSearchKey.objects.filter(resident_id__in=resident_ids))
    fixed_sql.run(("search_keys.replace", len(resident_ids)), resident_ids, replaced)
    insert_objects(
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


def _residents(atena_number: str | None) -> Iterator[Resident]:
    queryset = Resident.objects.filter(current__isnull=False).only("pk").order_by("pk")
    if atena_number is not None:
        queryset = queryset.filter(atena_number=atena_number)
    yield from queryset.iterator(chunk_size=2000)


def rebuild_all(atena_number: str | None = None) -> tuple[int, int]:
    """Rewrite the key rows of every committed person, or of one 宛名番号; returns (people, rows).

    Each person is rewritten in its own transaction, so a long run holds no long lock and a person
    is never left without rows. Drafts have no rows and get none.
    """
    people = rows = 0
    for listed in _residents(atena_number):
        with transaction.atomic():
            # Locked as commit_change locks it, and re-read: a commit may have moved ``current``.
            # No join under FOR UPDATE: PostgreSQL refuses it on the nullable side of an outer join.
            resident = Resident.objects.select_for_update().get(pk=listed.pk)
            if resident.current is not None:
                rows += rebuild_search_keys(resident, resident.current)
                # A 除票 in the 除票データベース keeps its keys there, out of the live search (1.1.5-f).
                entry = currently_archived().filter(resident=resident).first()
                if entry is not None:
                    move_keys_to_archive(resident, entry)
        people += 1
    return people, rows
