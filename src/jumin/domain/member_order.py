"""Member order of a household on the 世帯連記式 住民票 (standard 5.2-a, algorithms.md D.2/D.3).

Sort key (algorithms.md D.2, "Jumin sort key")::

    (rank, block, family_key, role_in_family, approx birth date, 宛名番号)

* ``rank`` 1–4 and ``block`` (e.g. 1-3 = children without a family of their own) follow the D.2 table.
  Blocks are ``(major, minor)`` pairs so that rank 4's sub-groups sort inside the spec's blocks.
* ``family_key`` groups a family: ``(generation, anchor's birth date, anchor's 宛名番号)``. Rank-2
  families all have generation 0; rank-4 units use the number of terms in the anchor's 続柄.
  Members outside any family share the empty key, so only their own birth date and number count.
* ``role_in_family``: 1 the anchor, 2 the spouse, 3 the children (the rank-2 pattern); in ranks 3 and
  4 parents and grandparents use 0 for the 筆頭者 and 1 otherwise.

Birth dates are the approximate dates the caller derives from uncertain dates (algorithms.md B.5), so
年月日不詳 (9999-12-31) sorts last.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from jumin.domain.errors import DomainError
from jumin.domain.relationships import (
    CHILD,
    SPOUSE_TERMS,
    Relationship,
    RelationshipCategory,
    RelationshipKind,
)

FIELD = "member_order"

SortKey = tuple[int, tuple[int, int], tuple[int, date, str], int, date, str]

_NO_FAMILY: tuple[int, date, str] = (0, date.min, "")

_C = RelationshipCategory

# Categories that may belong to a rank-2 family, with their role in it (2-1 child, 2-2 spouse,
# 2-3 grandchild).
_RANK2_ROLES: dict[RelationshipCategory, int] = {_C.CHILD: 1, _C.CHILD_SPOUSE: 2, _C.GRANDCHILD: 3}
# Categories that can anchor or join a rank-4 family unit (D.2 "Rank-4 details").
_RANK4_UNIT_CATEGORIES: frozenset[RelationshipCategory] = frozenset({_C.OTHER_RELATIVE, _C.ENKOSHA})

# Blocks for members sorted individually; rank-2 families and rank-4 units are handled apart.
_INDIVIDUAL_BLOCKS: dict[RelationshipCategory, tuple[int, tuple[int, int]]] = {
    _C.HEAD: (1, (1, 0)),
    _C.SPOUSE: (1, (2, 0)),
    _C.CHILD: (1, (3, 0)),
    _C.PARENT: (3, (1, 0)),
    _C.SIBLING: (3, (2, 0)),
    _C.GRANDPARENT: (3, (3, 0)),
    # 4-1: the spouse's family follows the rank-3 pattern before other relatives.
    _C.SPOUSE_PARENT: (4, (1, 1)),
    _C.SPOUSE_SIBLING: (4, (1, 2)),
    _C.SPOUSE_GRANDPARENT: (4, (1, 3)),
    _C.OTHER_RELATIVE: (4, (1, 4)),
    _C.ENKOSHA: (4, (2, 1)),
    _C.LODGER: (4, (3, 0)),
}
# Rank-4 family units come after the members of their block who are sorted individually, as rank-2
# families come after the head's children without a family (Jumin interpretation, to be confirmed).
_UNIT_BLOCKS: dict[RelationshipCategory, tuple[int, tuple[int, int]]] = {
    _C.OTHER_RELATIVE: (4, (1, 5)),
    _C.ENKOSHA: (4, (2, 2)),
}
# Parents and grandparents put the 筆頭者 first (D.2 rank 3, and the rank-3 pattern inside 4-1).
_HITTOUSHA_FIRST: frozenset[RelationshipCategory] = frozenset(
    {_C.PARENT, _C.GRANDPARENT, _C.SPOUSE_PARENT, _C.SPOUSE_GRANDPARENT}
)


@dataclass(frozen=True)
class Member:
    """One household member as member ordering sees it (algorithms.md D.2).

    ``approx_birth_date`` is the exact birth date or the approx_date of an uncertain one (B.5).
    ``family_anchor`` is the 宛名番号 of the member whose family this member belongs to (for a child's
    spouse or a grandchild: the head's child; for a rank-4 unit: the relative or 縁故者 heading it).
    ``is_hittousha`` tells whether a parent or grandparent is the 筆頭者 of the 戸籍.
    """

    atena_number: str
    relationship: Relationship
    approx_birth_date: date
    family_anchor: str | None = None
    is_hittousha: bool = False


def compute_member_order(members: Iterable[Member]) -> list[str]:
    """The 宛名番号 of the members in the standard 4-rank order (standard 5.2-a, algorithms.md D.2).

    Raises :class:`DomainError` when a 宛名番号 occurs twice or more than one member is 世帯主.
    A ``family_anchor`` that is absent, unknown or of an unsuitable 続柄 is ignored: the member then
    forms a family of its own (D.2, "a grandchild whose parent is not in the household forms its own
    rank-2 family", to be confirmed).
    """
    keys = member_sort_keys(members)
    return sorted(keys, key=keys.__getitem__)


def member_sort_keys(members: Iterable[Member]) -> dict[str, SortKey]:
    """The D.2 sort key of every member, by 宛名番号 (algorithms.md D.2, "Jumin sort key")."""
    members = list(members)
    by_atena = _index(members)
    categories = {m.atena_number: m.relationship.category for m in members}

    def rank2_eligible(anchor: Member) -> bool:
        return categories[anchor.atena_number] in _RANK2_ROLES

    def rank4_eligible(anchor: Member) -> bool:
        return categories[anchor.atena_number] in _RANK4_UNIT_CATEGORIES

    roots: dict[str, Member] = {}
    for member in members:
        category = categories[member.atena_number]
        # A child always heads its own family; only the others look for the family they belong to.
        if category in (_C.CHILD_SPOUSE, _C.GRANDCHILD):
            roots[member.atena_number] = _family_root(member, by_atena, rank2_eligible)
        elif category in _RANK4_UNIT_CATEGORIES:
            roots[member.atena_number] = _family_root(member, by_atena, rank4_eligible)
        else:
            roots[member.atena_number] = member
    family_sizes: dict[str, int] = {}
    for root in roots.values():
        family_sizes[root.atena_number] = family_sizes.get(root.atena_number, 0) + 1

    keys: dict[str, SortKey] = {}
    for member in members:
        category = categories[member.atena_number]
        root = roots[member.atena_number]
        in_family = family_sizes[root.atena_number] > 1
        birth, atena = member.approx_birth_date, member.atena_number
        if category in _RANK2_ROLES and (category is not _C.CHILD or in_family):
            # Rank 2: a child with a family, and every child's spouse and grandchild; one whose anchor
            # is missing heads a family of its own.
            family_key = (0, root.approx_birth_date, root.atena_number)
            keys[atena] = (2, (0, 0), family_key, _RANK2_ROLES[category], birth, atena)
        elif category in _RANK4_UNIT_CATEGORIES and in_family:
            root_category = categories[root.atena_number]
            rank, block = _UNIT_BLOCKS[root_category]
            family_key = (len(root.relationship.terms), root.approx_birth_date, root.atena_number)
            role = _unit_role(member, root)
            keys[atena] = (rank, block, family_key, role, birth, atena)
        else:
            rank, block = _INDIVIDUAL_BLOCKS[category]
            role = 0 if category in _HITTOUSHA_FIRST and member.is_hittousha else 1
            keys[atena] = (rank, block, _NO_FAMILY, role, birth, atena)
    return keys


def append_new_members(stored_order: Sequence[str], new_atena_numbers: Iterable[str]) -> list[str]:
    """Persons joining a household go to the end of the stored order, without re-sorting
    (standard 5.2-a, algorithms.md D.2 maintenance rules, test ORD-2).

    Numbers already in the order are not added twice.
    """
    order = list(stored_order)
    present = set(order)
    for atena in new_atena_numbers:
        if atena not in present:
            order.append(atena)
            present.add(atena)
    return order


def move_member(stored_order: Sequence[str], atena_number: str, new_position: int) -> list[str]:
    """Staff's manual reorder: put one member at 1-based ``new_position`` (standard 5.2-a, ORD-3)."""
    if atena_number not in stored_order:
        raise DomainError(
            field=FIELD,
            reason="指定した宛名番号はこの世帯の構成員ではありません。",
            remedy="この世帯の構成員を選択してください。",
            code="member_order.not_a_member",
        )
    if not 1 <= new_position <= len(stored_order):
        raise DomainError(
            field=FIELD,
            reason="移動先の順番が世帯の人数の範囲外です。",
            remedy=f"1から{len(stored_order)}までの順番を指定してください。",
            code="member_order.position_out_of_range",
        )
    order = [atena for atena in stored_order if atena != atena_number]
    order.insert(new_position - 1, atena_number)
    return order


def current_member_order(stored_order: Sequence[str] | None, members: Iterable[Member]) -> list[str]:
    """The order to display: the stored order wins over the computed one (algorithms.md D.2, ORD-3).

    Members who left are dropped; members missing from the stored order are appended (ORD-2). With no
    stored order yet, the order is computed (standard 5.2-a: "computed and stored").
    """
    members = list(members)
    if stored_order is None:
        return compute_member_order(members)
    current = set(_index(members))
    kept = [atena for atena in stored_order if atena in current]
    return append_new_members(kept, [m.atena_number for m in sorted(members, key=_atena)])


def recalculate_member_order(stored_order: Sequence[str] | None, members: Iterable[Member]) -> list[str]:
    """Re-sort on staff's request, e.g. after a 世帯主変更 (algorithms.md D.2 maintenance rules).

    With no head set (standard 1.1.10-a) the 続柄 no longer refer to a member, so the stored order is
    kept as it is.
    """
    members = list(members)
    has_head = any(m.relationship.kind is RelationshipKind.HEAD for m in members)
    if not has_head and stored_order is not None:
        return current_member_order(stored_order, members)
    return compute_member_order(members)


def first_remaining_member(order_before_head_left: Sequence[str], remaining: Collection[str]) -> str | None:
    """The addressee of the 4.0.5 notices: the first remaining member in the order as it stood before
    the head left (standard 4.0.5-a, algorithms.md D.2 maintenance rules)."""
    return next((atena for atena in order_before_head_left if atena in remaining), None)


def _index(members: Sequence[Member]) -> dict[str, Member]:
    by_atena: dict[str, Member] = {}
    heads = 0
    for member in members:
        if member.atena_number in by_atena:
            raise DomainError(
                field=FIELD,
                reason="同じ宛名番号の構成員が重複しています。",
                remedy="世帯の構成員を確認してください。",
                code="member_order.duplicate_member",
            )
        by_atena[member.atena_number] = member
        heads += member.relationship.kind is RelationshipKind.HEAD
    if heads > 1:
        raise DomainError(
            field=FIELD,
            reason="世帯主が2人以上います。",
            remedy="世帯主を1人にしてください。",
            code="member_order.several_heads",
        )
    return by_atena


def _family_root(member: Member, by_atena: dict[str, Member], eligible: Callable[[Member], bool]) -> Member:
    """Follow family anchors to the member heading the family; stop at a missing, unsuitable or
    cyclic anchor so that bad data degrades to a family of one instead of failing."""
    current = member
    seen = {member.atena_number}
    while current.family_anchor is not None and current.family_anchor not in seen:
        anchor = by_atena.get(current.family_anchor)
        if anchor is None or not eligible(anchor):
            break
        seen.add(anchor.atena_number)
        current = anchor
    return current


def _unit_role(member: Member, root: Member) -> int:
    """Role inside a rank-4 unit, read from the 続柄 chains (rank-2 pattern).

    A 縁故者's spouse and children cannot be told apart by 続柄, so members whose chain does not
    extend the anchor's get role 2 and are ordered by birth date (Jumin interpretation).
    """
    if member is root:
        return 1
    anchor_terms, terms = root.relationship.terms, member.relationship.terms
    if anchor_terms and terms[: len(anchor_terms)] == anchor_terms and len(terms) > len(anchor_terms):
        next_term = terms[len(anchor_terms)]
        if next_term == CHILD:
            return 3
        if next_term in SPOUSE_TERMS:
            return 2
    return 2


def _atena(member: Member) -> str:
    return member.atena_number
