"""The public read interface of 抑止 (suppression) and 支援措置 (support measure): standard 3.1, 3.4.

Other apps (certificates, search, messaging) and the registry's own services ask here whether a
process may go ahead for some persons. These are pure reads for use inside a caller's service: the
caller authorises and audits. Rules:

- person- and household-scope suppressions both apply; a household suppression holds whoever is a
  member of the household now (current committed record);
- a suppression is in force from its start date until staff lift it; its end date never lifts it
  (3.1-c);
- an active or provisional 支援措置 blocks 証明書発行 (incl. 閲覧 and copies) for its applicant and
  併せて支援を求める者 (3.4-a, 3.4-g), until staff end it, even after the period has run out
  (algorithms.md F rule 4);
- a 一時解除 (temporary release) covers one person and one process for one request until it expires;
  an expired one is simply ignored, so it reverts by itself (3.1-d), and so is one a request has
  consumed (``services_restrictions.consume_releases``, issue 6: "release one request").
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any

from django.db import connection
from django.db.models import OuterRef, Q, QuerySet

from jumin import fixed_sql
from jumin.accounts import clock
from jumin.registry.models import Household, Resident
from jumin.registry.models_restrictions import (
    MunicipalityRole,
    ReleaseTarget,
    SupportMeasure,
    SupportMeasurePerson,
    Suppression,
    TemporaryRelease,
)
from jumin.registry.support_roles import latest_role

SOURCE_SUPPRESSION = "suppression"
SOURCE_SUPPORT_MEASURE = "support_measure"
SOURCE_PROVISIONAL_SUPPORT_MEASURE = "provisional_support_measure"

CODE_SUPPRESSED = "registry.suppressed"
CODE_SUPPORT_MEASURE_TARGET = "registry.support_measure_target"
CODE_PROVISIONAL_SUPPORT_MEASURE_TARGET = "registry.provisional_support_measure_target"


class RestrictedProcess(StrEnum):
    """The processes a suppression can hold (standard 3.1-b)."""

    CHANGE_ENTRY = "change_entry"  # 異動入力
    CERTIFICATE = "certificate"  # 証明書発行 (incl. 閲覧 and copies)
    INQUIRY = "inquiry"  # 照会


class RestrictionLevel(StrEnum):
    """Error blocks; alert lets the clerk go on after an audited acknowledgment (standard 3.1-b)."""

    ERROR = "error"
    ALERT = "alert"


PROCESS_LABELS: dict[RestrictedProcess, str] = {
    RestrictedProcess.CHANGE_ENTRY: "異動入力",
    RestrictedProcess.CERTIFICATE: "証明書発行",
    RestrictedProcess.INQUIRY: "照会",
}


@dataclass(frozen=True)
class RestrictionFinding:
    """One reason a process is blocked or warned about for one person. ``message`` holds no personal data."""

    atena_number: str
    source: str  # "suppression" | "support_measure" | "provisional_support_measure"
    level: RestrictionLevel
    code: str
    message: str
    released: bool  # an active 一時解除 covers it
    release_id: int | None = None  # that 一時解除, which the request consumes when it goes ahead


@dataclass(frozen=True)
class RestrictionCheck:
    """Every finding for the persons asked about, for one process."""

    findings: tuple[RestrictionFinding, ...]
    # Household 抑止 not lifted, of any process and whatever their start date, on the households the
    # process puts people into (``household_numbers``): a commit sends them to whoever joins
    # (restriction_feed.members_joined) ...
    joined_household_suppressions: tuple[int, ...] = ()
    # ... and those on the households the persons asked about are members of now: a commit lifts them
    # for whoever it takes out (restriction_feed.members_left).
    left_household_suppressions: tuple[int, ...] = ()

    @property
    def blocked(self) -> bool:
        """Whether any error finding is not covered by a temporary release."""
        return any(f.level is RestrictionLevel.ERROR and not f.released for f in self.findings)

    @property
    def releases_used(self) -> tuple[int, ...]:
        """The 一時解除 the findings passed through: the request consumes each (issue 6)."""
        return tuple(sorted({f.release_id for f in self.findings if f.released and f.release_id is not None}))

    def without_releases(self, release_ids: Iterable[int]) -> RestrictionCheck:
        """This check as if these releases did not exist (another request consumed them first)."""
        lost = set(release_ids)
        findings = tuple(
            replace(f, released=False, release_id=None) if f.release_id in lost else f for f in self.findings
        )
        return replace(self, findings=findings)

    @property
    def alerts(self) -> tuple[RestrictionFinding, ...]:
        """The alert-level findings, which the clerk must acknowledge before going on."""
        return tuple(f for f in self.findings if f.level is RestrictionLevel.ALERT)

    @property
    def support_measure(self) -> bool:
        """Whether any (provisional) 支援措置 finding exists, released or not: show the 支援 pop-up."""
        return any(f.source != SOURCE_SUPPRESSION for f in self.findings)


@dataclass(frozen=True)
class RestrictionMarks:
    """What a result list shows beside a person (standard 3.1-f, 2.2.4-a)."""

    suppressed: bool  # any suppression in force, any process
    support_measure: bool  # any active or provisional 支援措置


@dataclass(frozen=True)
class KnownHouseholds:
    """Households a caller already read under its row locks, so ``check_restrictions`` reads neither.

    ``current``: each person's current household id by 宛名番号 (None for a person without a current
    row), for every person asked about who has a record; ``entered``: the ids of the households of
    ``household_numbers`` (numbered ones only).
    """

    current: Mapping[str, int | None]
    entered: frozenset[int]


def _today(on: date | None) -> date:
    return on if on is not None else clock.today()


def _households(atena_numbers: set[str]) -> dict[str, int | None]:
    """Each person's current household id, keyed by 宛名番号 (one query); None for no record."""
    rows = Resident.objects.filter(atena_number__in=atena_numbers).values_list(
        "atena_number", "current__household_id"
    )
    return dict(rows)


def _suppression_rows(atena_numbers: set[str], household_ids: set[int]) -> list[Suppression]:
    """Every suppression not lifted on these persons or households, those yet to start included.

    End date deliberately absent from the filter: passing it never lifts a suppression (3.1-c). The
    start date is left to the caller: only one in force holds the process, but a commit sends a
    household's 抑止 set ahead to whoever joins or leaves it, as the set sent it to its members.

    Most people have none: their ids come first, by a statement compiled once per number of people
    and households (fixed_sql, performance.md P3); the rows are read only when there are any.
    """
    numbers, households = sorted(atena_numbers), sorted(household_ids)

    def not_lifted() -> QuerySet[Suppression]:
        return Suppression.objects.filter(
            Q(resident__atena_number__in=numbers) | Q(household_id__in=households), lifted_at__isnull=True
        )

    found = fixed_sql.read(
        ("restrictions.suppressions", len(numbers), len(households)),
        [*numbers, *households],
        fixed_sql.reading(lambda: not_lifted().values_list("pk")),
    )
    if not found:
        return []
    return list(not_lifted().select_related("resident").order_by("pk"))


def _protected(atena_numbers: set[str]) -> dict[str, bool]:
    """For each protected person among these, whether any of their measures in force is only provisional.

    A measure is in force until staff end it; it is provisional (仮支援措置, 3.4-g) until it has a period,
    and again while this municipality is its 転出元 (3.4-h). A person protected by both a full and a
    provisional measure counts as fully protected (False).
    """
    rows = (
        SupportMeasurePerson.objects.filter(
            resident__atena_number__in=atena_numbers, measure__ended_at__isnull=True
        )
        .annotate(municipality_role=latest_role(OuterRef("measure_id")))
        .values_list("resident__atena_number", "municipality_role", "measure__periods")
        .distinct()
    )
    provisional: dict[str, bool] = {}
    for number, role, period in rows:
        # As 転出元 a measure is a 仮支援措置 again, whatever its periods (3.4-h).
        provisional[number] = provisional.get(number, True) and (
            period is None or role == MunicipalityRole.FORMER
        )
    return provisional


def _active_releases(atena_numbers: set[str], process: RestrictedProcess) -> dict[tuple[str, str], int]:
    """The unexpired, unused 一時解除 for this process (3.1-d), by (宛名番号, target).

    Of several for one pair the one granted first is used, so the others stay for later requests.
    """
    rows = (
        TemporaryRelease.objects.filter(
            resident__atena_number__in=atena_numbers,
            process=process,
            expires_at__gt=clock.now(),
            consumed_at__isnull=True,
        )
        .order_by("-pk")
        .values_list("resident__atena_number", "target", "pk")
    )
    return {(number, target): pk for number, target, pk in rows}  # the lowest id wins (last written)


def _suppression_message(process: RestrictedProcess, level: RestrictionLevel) -> str:
    label = PROCESS_LABELS[process]
    if level is RestrictionLevel.ERROR:
        return f"{label}の抑止が設定されているため、処理できません。抑止の設定内容を確認してください。"
    return f"{label}の抑止（アラート）が設定されています。内容を確認のうえ処理してください。"


def check_restrictions(
    atena_numbers: Iterable[str],
    *,
    process: RestrictedProcess,
    on: date | None = None,
    household_numbers: Iterable[str] = (),
    known: KnownHouseholds | None = None,
) -> RestrictionCheck:
    """Whether ``process`` may go ahead for these persons on ``on`` (default today); a pure read.

    Person- and household-scope suppressions both apply; end dates never lift a suppression (3.1-c).
    An active or provisional support measure blocks CERTIFICATE for its protected persons (3.4-a,
    3.4-g). ``household_numbers`` (an optional extension of the interface) adds households the process
    will touch beyond the persons' current ones (a person joining a household): their household
    suppressions apply to every person asked about, or to ``""`` when none is numbered yet.
    ``known`` replaces the two reads of households (the persons' current ones and the ids of
    ``household_numbers``) by what the caller read under its row locks (a commit, performance.md P3).
    Callers authorise and audit; findings come in a stable order (person, then source).
    """
    day = _today(on)
    numbers = {n for n in atena_numbers if n}
    if known is None:
        households = _households(numbers)
        extra_households = set(_household_ids(household_numbers))
    else:
        households = {n: h for n, h in known.current.items() if n in numbers}
        extra_households = set(known.entered)
    member_of = {h for h in households.values() if h is not None}
    household_ids = member_of | extra_households
    if not numbers and not extra_households:
        return RestrictionCheck(findings=())
    # (宛名番号, level, source) per finding; releases are looked up only when something was found.
    raw: list[tuple[str, RestrictionLevel, str]] = []
    joined: list[int] = []
    left: list[int] = []
    for row in _suppression_rows(numbers, household_ids):
        if row.resident_id is None and row.household_id in extra_households:
            joined.append(row.pk)
        if row.resident_id is None and row.household_id in member_of:
            left.append(row.pk)
        if row.process != process or row.start_date > day:
            continue
        if row.resident_id is not None:
            covered = [row.resident.atena_number] if row.resident else []
        elif row.household_id in extra_households:
            # Everyone the process touches joins or stays in this household; a person not yet
            # numbered (a new 転入者 before the draft exists) is reported with an empty 宛名番号.
            covered = sorted(numbers) or [""]
        else:
            covered = sorted(n for n, h in households.items() if h == row.household_id)
        raw += [(number, RestrictionLevel(row.level), SOURCE_SUPPRESSION) for number in covered]
    if process is RestrictedProcess.CERTIFICATE:
        for number, provisional in _protected(numbers).items():
            source = SOURCE_PROVISIONAL_SUPPORT_MEASURE if provisional else SOURCE_SUPPORT_MEASURE
            raw.append((number, RestrictionLevel.ERROR, source))
    releases = _active_releases(numbers, process) if raw else {}
    by_person: dict[str, list[RestrictionFinding]] = defaultdict(list)
    for number, level, source in raw:
        if source == SOURCE_SUPPRESSION:
            finding = RestrictionFinding(
                atena_number=number,
                source=source,
                level=level,
                code=CODE_SUPPRESSED,
                message=_suppression_message(process, level),
                released=(number, ReleaseTarget.SUPPRESSION.value) in releases,
                release_id=releases.get((number, ReleaseTarget.SUPPRESSION.value)),
            )
        else:
            finding = _support_finding(
                number, provisional=source == SOURCE_PROVISIONAL_SUPPORT_MEASURE, releases=releases
            )
        by_person[number].append(finding)
    findings = tuple(f for number in sorted(by_person) for f in by_person[number])
    return RestrictionCheck(
        findings=findings,
        joined_household_suppressions=tuple(joined),
        left_household_suppressions=tuple(left),
    )


def _household_ids(numbers: Iterable[str]) -> list[int]:
    wanted = [n for n in numbers if n]
    if not wanted:
        return []
    return list(Household.objects.filter(number__in=wanted).values_list("pk", flat=True))


def _support_finding(
    number: str, *, provisional: bool, releases: Mapping[tuple[str, str], int]
) -> RestrictionFinding:
    if provisional:
        source, code = SOURCE_PROVISIONAL_SUPPORT_MEASURE, CODE_PROVISIONAL_SUPPORT_MEASURE_TARGET
        message = "仮支援措置の対象者が含まれているため、証明書の発行・閲覧はできません。"
    else:
        source, code = SOURCE_SUPPORT_MEASURE, CODE_SUPPORT_MEASURE_TARGET
        message = "支援措置の対象者が含まれているため、証明書の発行・閲覧はできません。"
    return RestrictionFinding(
        atena_number=number,
        source=source,
        level=RestrictionLevel.ERROR,
        code=code,
        message=message + "担当者が審査のうえ一時解除した場合に限り処理できます。",
        released=(number, ReleaseTarget.SUPPORT_MEASURE.value) in releases,
        release_id=releases.get((number, ReleaseTarget.SUPPORT_MEASURE.value)),
    )


def restriction_marks(atena_numbers: Iterable[str], *, on: date | None = None) -> dict[str, RestrictionMarks]:
    """Marks for a whole result page (standard 3.1-f): three queries whatever the page size.

    Every 宛名番号 asked about gets an entry; unknown numbers are unmarked.
    """
    numbers = {n for n in atena_numbers if n}
    if not numbers:
        return {}
    rows = Resident.objects.filter(atena_number__in=numbers).values_list(
        "atena_number", "pk", "current__household_id"
    )
    people = {number: (pk, household) for number, pk, household in rows}
    marks = marks_of_people(people, on=on)
    unmarked = RestrictionMarks(suppressed=False, support_measure=False)
    return {number: marks.get(number, unmarked) for number in numbers}


def marks_columns(resident_column: str, household_column: str) -> str:
    """Two SQL columns, suppressed and support_measure, for the person named by two column expressions.

    The one rule for the marks of a result page (standard 3.1-f), shared by ``marks_of_people`` and
    the search's hit statement, which reads them in the statement that finds the people: a
    suppression in force names the person or their household; a 支援措置 is in force until staff
    end it (provisional or not, ``_protected``). The column expressions are fixed names, never input.
    The columns take ``marks_parameters`` (the day, twice).
    """
    quote = connection.ops.quote_name
    suppression = quote(Suppression._meta.db_table)
    person = quote(SupportMeasurePerson._meta.db_table)
    measure = quote(SupportMeasure._meta.db_table)
    # End date deliberately absent from the filter: passing it never lifts a suppression (3.1-c).
    in_force = "s.lifted_at IS NULL AND s.start_date <= %s"
    suppressed = f"EXISTS (SELECT 1 FROM {suppression} s WHERE s.{{column}} = {{value}} AND {in_force})"  # noqa: S608
    return (
        f"({suppressed.format(column='resident_id', value=resident_column)} "  # noqa: S608 (fixed names)
        f"OR {suppressed.format(column='household_id', value=household_column)}), "
        f"EXISTS (SELECT 1 FROM {person} p INNER JOIN {measure} m ON m.id = p.measure_id "
        f"WHERE p.resident_id = {resident_column} AND m.ended_at IS NULL)"
    )


def marks_parameters(on: date | None = None) -> list[Any]:
    """The parameters of ``marks_columns``: the day the marks are for (today unless ``on``), twice."""
    day = connection.ops.adapt_datefield_value(_today(on))
    return [day, day]


def _marks_statement(people: list[tuple[int, int | None]], on: date | None) -> tuple[str, list[Any]]:
    """One statement for both marks of a list of (resident id, household id) pairs, one row per pair."""
    columns = marks_columns("listed.resident_id", "listed.household_id")
    if connection.vendor == "postgresql":
        listed = "unnest(%s::bigint[], %s::bigint[]) AS listed (resident_id, household_id)"
        list_params: list[Any] = [[pk for pk, _ in people], [household for _, household in people]]
    else:
        listed = (
            "(SELECT json_extract(value, '$[0]') AS resident_id, json_extract(value, '$[1]') AS household_id "
            "FROM json_each(%s)) AS listed"
        )
        list_params = [json.dumps(people)]
    sql = f"SELECT listed.resident_id, listed.household_id, {columns} FROM {listed}"  # noqa: S608 (fixed names)
    return sql, [*marks_parameters(on), *list_params]


def marks_of_people(
    people: Mapping[str, tuple[int, int | None]], *, on: date | None = None
) -> dict[str, RestrictionMarks]:
    """``restriction_marks`` for people whose ids are known: {宛名番号: (resident id, current household id)}.

    One statement on ids alone whatever the page size (``marks_columns``).
    """
    if not people:
        return {}
    listed = sorted(set(people.values()), key=lambda pair: (pair[0], pair[1] or 0))
    with connection.cursor() as cursor:
        cursor.execute(*_marks_statement(listed, on))
        marks = {
            (pk, household): RestrictionMarks(suppressed=bool(suppressed), support_measure=bool(support))
            for pk, household, suppressed, support in cursor.fetchall()
        }
    return {number: marks[pair] for number, pair in people.items()}
