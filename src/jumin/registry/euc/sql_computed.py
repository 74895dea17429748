"""SQL for EUC conditions on computed and joined items (standard 10.1-a/b), so a run need not read
every row of its scope to test 年齢, 年齢階級, a program flag or 世帯人数 in Python.

Each translation is exact by construction: the values the item can take are finite (ages 0 … the
reference year, the 21 年齢階級, flags 0/1, household sizes up to the largest one), so the condition's
own Python test (``Condition.matches``) is asked for every one of them and SQL selects the rows whose
value is one it accepted. The job still applies every condition in Python afterwards (docs/euc.md).

年齢 and 年齢階級 become 生年月日 ranges for the rows whose 生年月日 is a full 和暦 or 西暦 day (its
``birth_sort_date`` is that day); a row with a 不詳 date (or any other stored form) is always kept, for
the Python test alone to decide with its range semantics (``recorded_dates.age_on``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.db.models import Count, Exists, Max, OuterRef, Q

from jumin.domain.resident import ResidentStatus
from jumin.domain.uncertain_dates import age_in_years
from jumin.registry.euc.catalogue import AGE, AGE_BAND, HOUSEHOLD_MEMBERS, age_band
from jumin.registry.euc.definition import Condition
from jumin.registry.models import ProgramRecord, ResidentSnapshot

# Stored 生年月日 forms whose ``birth_sort_date`` is the day itself (recorded_dates.sort_date_of).
FULL_DATE_KINDS = ("gregorian", "wareki")
_NOTHING = Q(pk__in=[])


def computed_condition(condition: Condition, path: str, reference: date | None) -> Q | None:
    """A database condition keeping every row whose computed or joined value the condition accepts
    (rows it cannot judge are kept too), or None when SQL cannot help."""
    source = condition.item.source
    if source in (AGE, AGE_BAND) and reference is not None:
        return _age_condition(condition, path, reference)
    if source.startswith("program:"):
        return _program_condition(condition, source.partition(":")[2], path)
    if source == HOUSEHOLD_MEMBERS:
        return _household_members_condition(condition, path)
    return None


def _accepted_ages(condition: Condition, reference: date) -> list[int]:
    """Every age (0 … the oldest a stored day allows) whose item value the condition accepts."""
    oldest = reference.year - 1  # born on 0001-01-01 at most
    if condition.item.source == AGE_BAND:
        return [age for age in range(oldest + 1) if condition.matches(age_band(age))]
    return [age for age in range(oldest + 1) if condition.matches(str(age))]


def _runs(numbers: list[int]) -> Iterable[tuple[int, int]]:
    """Consecutive runs of sorted numbers as (first, last)."""
    start = previous = None
    for number in numbers:
        if previous is not None and number == previous + 1:
            previous = number
            continue
        if start is not None and previous is not None:
            yield start, previous
        start = previous = number
    if start is not None and previous is not None:
        yield start, previous


def latest_birth_for_age(age: int, reference: date) -> date | None:
    """The last birth day giving at least ``age`` full years on the reference date, or None when no
    day of the calendar does (ages are monotone in the birth day: an earlier day is never younger)."""
    year = reference.year - age
    if year < 1:
        return None
    day = min(reference.day, 28) if reference.month == 2 else reference.day
    candidate = date(year, reference.month, day)
    while candidate < reference and age_in_years(candidate + timedelta(days=1), reference) >= age:
        candidate += timedelta(days=1)
    return candidate


def _age_condition(condition: Condition, path: str, reference: date) -> Q:
    """年齢・年齢階級 as 生年月日 ranges for full dates; every other stored form kept for Python."""
    born = f"{path}birth_sort_date"
    bands: list[Q] = []
    for first, last in _runs(_accepted_ages(condition, reference)):
        oldest_day = latest_birth_for_age(first, reference)
        if oldest_day is None:
            continue
        band = Q(**{f"{born}__lte": oldest_day})
        younger_than = latest_birth_for_age(last + 1, reference)
        if younger_than is not None:
            band &= Q(**{f"{born}__gt": younger_than})
        bands.append(band)
    if condition.matches(""):  # the empty age of someone not yet born on the reference date
        bands.append(Q(**{f"{born}__gt": reference}))
    kind = f"{path}birth_date__kind"
    full_date = Q(**{f"{kind}__in": FULL_DATE_KINDS})
    other_form = ~full_date | Q(**{f"{kind}__isnull": True})
    if not bands:
        return other_form
    return (full_date & _any(bands)) | other_form


def _any(parts: list[Q]) -> Q:
    either = parts[0]
    for part in parts[1:]:
        either |= part
    return either


def _program_condition(condition: Condition, program: str, path: str) -> Q | None:
    """A program flag: the person's latest ``ProgramRecord`` of it enrolled (1) or not, none 0."""
    accepted = [flag for flag in ("1", "0") if condition.matches(flag)]
    if len(accepted) != 1:
        return None if accepted else _NOTHING
    records = ProgramRecord.objects.filter(program=program)
    later = records.filter(resident_id=OuterRef("resident_id"), id__gt=OuterRef("id"))
    enrolled_now = Exists(
        records.filter(resident_id=OuterRef(f"{path}resident_id"), enrolled=True).exclude(Exists(later))
    )
    return Q(enrolled_now) if accepted == ["1"] else ~Q(enrolled_now)


def _household_members_condition(condition: Condition, path: str) -> Q | None:
    """世帯人数 as it is now (``extraction.households_now``): the 世帯 whose count the condition accepts."""
    counts = (
        ResidentSnapshot.objects.filter(current_of__isnull=False, current_of__archive_entry__isnull=True)
        .exclude(status=ResidentStatus.REMOVED)
        .values("household_id")
        .annotate(members=Count("id"))
    )
    largest = counts.aggregate(largest=Max("members"))["largest"] or 0
    accepted = [size for size in range(largest + 1) if condition.matches(str(size))]
    household = f"{path}household_id"
    if len(accepted) == largest + 1:
        return None  # every household's value is accepted (never empty: 0 without members)
    if 0 in accepted:  # 世帯 without a member now are in no count row: leave out the others
        refused = [size for size in range(1, largest + 1) if size not in accepted]
        return ~Q(**{f"{household}__in": counts.filter(members__in=refused).values("household_id")})
    return Q(**{f"{household}__in": counts.filter(members__in=accepted).values("household_id")})
