"""続柄 (relationship to the head of household): vocabulary, parsing and categories.

The grammar is algorithms.md D.1 (standard 1.1.11-a..d)::

    BASE   = 夫 | 妻 | 夫（未届） | 妻（未届） | 子 | 父 | 母 | 兄 | 姉 | 弟 | 妹
    CHAIN  = BASE ("の" BASE){0,3}
    続柄   = 世帯主 | CHAIN | 子（子の夫） | 子（子の妻） | 縁故者 | 同居人

Any other term (孫, 祖父, おじ, 家事使用人, 準世帯主 …) must not be built (standard 1.1.11-d); the
parser refuses it and names the standard form to use instead.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from jumin.domain.errors import DomainError

FIELD = "relationship"

HEAD_TEXT = "世帯主"
ENKOSHA_TEXT = "縁故者"
LODGER_TEXT = "同居人"
CONNECTOR = "の"
DE_FACTO_HEAD_LABEL = "事実上の世帯主"


def de_facto_head_remark(name: str) -> str:
    """The type-C remark (備考) of a household's 事実上の世帯主 (standard 4.1.4.3-a); "" if none."""
    return f"{DE_FACTO_HEAD_LABEL}\u3000{name}" if name else ""


HUSBAND = "夫"
WIFE = "妻"
HUSBAND_UNREGISTERED = "夫（未届）"
WIFE_UNREGISTERED = "妻（未届）"
CHILD = "子"
FATHER = "父"
MOTHER = "母"
ELDER_BROTHER = "兄"
ELDER_SISTER = "姉"
YOUNGER_BROTHER = "弟"
YOUNGER_SISTER = "妹"

BASE_TERMS: tuple[str, ...] = (
    HUSBAND,
    WIFE,
    HUSBAND_UNREGISTERED,
    WIFE_UNREGISTERED,
    CHILD,
    FATHER,
    MOTHER,
    ELDER_BROTHER,
    ELDER_SISTER,
    YOUNGER_BROTHER,
    YOUNGER_SISTER,
)
SPOUSE_TERMS: frozenset[str] = frozenset({HUSBAND, WIFE, HUSBAND_UNREGISTERED, WIFE_UNREGISTERED})
PARENT_TERMS: frozenset[str] = frozenset({FATHER, MOTHER})
SIBLING_TERMS: frozenset[str] = frozenset({ELDER_BROTHER, ELDER_SISTER, YOUNGER_BROTHER, YOUNGER_SISTER})

MAX_CHAIN_TERMS = 4
"""Longest chain allowed; a relation needing 5 or more terms is recorded as 縁故者 (standard 1.1.11-b)."""

# Half-width parentheses are accepted on input; the standard writes the full-width forms.
_PAREN_NORMALISATION = str.maketrans({"(": "（", ")": "）"})

_SPOUSE_OF_CHILD_FORMS: dict[str, tuple[str, ...]] = {
    "子（子の夫）": (CHILD, HUSBAND),
    "子（子の妻）": (CHILD, WIFE),
}

_F, _M = FATHER, MOTHER
# Terms outside the vocabulary (standard 1.1.11-d) that people commonly type, with the standard
# chains that replace them. They are spliced into the surrounding chain so that 妻の祖父 suggests
# 「妻の父の父」 and 「妻の母の父」.
_X_TERM_EXPANSIONS: dict[str, tuple[tuple[str, ...], ...]] = {
    "孫": ((CHILD, CHILD),),
    "曾孫": ((CHILD, CHILD, CHILD),),
    "曽孫": ((CHILD, CHILD, CHILD),),
    "ひ孫": ((CHILD, CHILD, CHILD),),
    "玄孫": ((CHILD, CHILD, CHILD, CHILD),),
    "祖父": ((_F, _F), (_M, _F)),
    "祖母": ((_F, _M), (_M, _M)),
    "曾祖父": ((_F, _F, _F), (_F, _M, _F), (_M, _F, _F), (_M, _M, _F)),
    "曽祖父": ((_F, _F, _F), (_F, _M, _F), (_M, _F, _F), (_M, _M, _F)),
    "曾祖母": ((_F, _F, _M), (_F, _M, _M), (_M, _F, _M), (_M, _M, _M)),
    "曽祖母": ((_F, _F, _M), (_F, _M, _M), (_M, _F, _M), (_M, _M, _M)),
    "甥": tuple(
        (sibling, CHILD) for sibling in (ELDER_BROTHER, ELDER_SISTER, YOUNGER_BROTHER, YOUNGER_SISTER)
    ),
    "姪": tuple(
        (sibling, CHILD) for sibling in (ELDER_BROTHER, ELDER_SISTER, YOUNGER_BROTHER, YOUNGER_SISTER)
    ),
    "おじ": ((_F, ELDER_BROTHER), (_F, YOUNGER_BROTHER), (_M, ELDER_BROTHER), (_M, YOUNGER_BROTHER)),
    "伯父": ((_F, ELDER_BROTHER), (_M, ELDER_BROTHER)),
    "叔父": ((_F, YOUNGER_BROTHER), (_M, YOUNGER_BROTHER)),
    "おば": ((_F, ELDER_SISTER), (_F, YOUNGER_SISTER), (_M, ELDER_SISTER), (_M, YOUNGER_SISTER)),
    "伯母": ((_F, ELDER_SISTER), (_M, ELDER_SISTER)),
    "叔母": ((_F, YOUNGER_SISTER), (_M, YOUNGER_SISTER)),
    "義父": ((WIFE, _F), (HUSBAND, _F)),
    "義母": ((WIFE, _M), (HUSBAND, _M)),
    "嫁": ((CHILD, WIFE),),
    "婿": ((CHILD, HUSBAND),),
    "兄弟": ((ELDER_BROTHER,), (YOUNGER_BROTHER,)),
    "姉妹": ((ELDER_SISTER,), (YOUNGER_SISTER,)),
    # 戸籍 wording for children; the 住民票 uses 子 for every child, adopted or not.
    **dict.fromkeys(
        ("長男", "長女", "二男", "次男", "二女", "次女", "三男", "三女", "養子", "養女"), ((CHILD,),)
    ),
}

# Terms with no chain equivalent: migration maps them to the true relation, or to 同居人 when the
# person is unrelated (algorithms.md D.1 ZK-9, to be confirmed).
_X_TERMS_WITHOUT_CHAIN: frozenset[str] = frozenset({"家事使用人", "準世帯主", "使用人", "同居者"})


class RelationshipKind(StrEnum):
    """The shape of a 続柄 in the D.1 grammar."""

    HEAD = "head"  # 世帯主
    CHAIN = "chain"  # 1 to 4 BASE terms joined by の
    CHILD_AND_CHILD_SPOUSE = "child_and_child_spouse"  # 子（子の夫） / 子（子の妻）
    ENKOSHA = "enkosha"  # 縁故者
    LODGER = "lodger"  # 同居人


class RelationshipCategory(StrEnum):
    """What a 続柄 denotes, as far as member ordering (algorithms.md D.2) needs to know."""

    HEAD = "head"
    SPOUSE = "spouse"
    CHILD = "child"
    CHILD_SPOUSE = "child_spouse"
    GRANDCHILD = "grandchild"
    PARENT = "parent"
    SIBLING = "sibling"
    GRANDPARENT = "grandparent"
    SPOUSE_PARENT = "spouse_parent"
    SPOUSE_SIBLING = "spouse_sibling"
    SPOUSE_GRANDPARENT = "spouse_grandparent"
    OTHER_RELATIVE = "other_relative"
    ENKOSHA = "enkosha"
    LODGER = "lodger"


@dataclass(frozen=True)
class Relationship:
    """A valid 続柄 (algorithms.md D.1).

    ``terms`` holds the BASE terms of a chain; for 子（子の夫） / 子（子の妻） it holds the chain in the
    parentheses (``("子", "夫")``); it is empty for 世帯主, 縁故者 and 同居人.
    """

    kind: RelationshipKind
    terms: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind is RelationshipKind.CHAIN:
            if not 1 <= len(self.terms) <= MAX_CHAIN_TERMS or any(t not in BASE_TERMS for t in self.terms):
                raise _unknown_term_error()
        elif self.kind is RelationshipKind.CHILD_AND_CHILD_SPOUSE:
            if self.terms not in _SPOUSE_OF_CHILD_FORMS.values():
                raise _unknown_term_error()
        elif self.terms:
            raise _unknown_term_error()

    @property
    def text(self) -> str:
        """The standard display form, e.g. 「子の妻（未届）」."""
        if self.kind is RelationshipKind.HEAD:
            return HEAD_TEXT
        if self.kind is RelationshipKind.ENKOSHA:
            return ENKOSHA_TEXT
        if self.kind is RelationshipKind.LODGER:
            return LODGER_TEXT
        chain = CONNECTOR.join(self.terms)
        if self.kind is RelationshipKind.CHILD_AND_CHILD_SPOUSE:
            return f"{CHILD}（{chain}）"
        return chain

    @property
    def category(self) -> RelationshipCategory:
        """What the 続柄 denotes (see :func:`categorize`)."""
        return categorize(self)

    def __str__(self) -> str:
        return self.text


HEAD = Relationship(RelationshipKind.HEAD)
ENKOSHA = Relationship(RelationshipKind.ENKOSHA)
LODGER = Relationship(RelationshipKind.LODGER)


def normalize_relationship_text(text: str) -> str:
    """Drop all whitespace and turn half-width parentheses into full-width ones (algorithms.md D.1)."""
    return "".join(text.split()).translate(_PAREN_NORMALISATION)


def parse_relationship(text: str, *, field: str = FIELD) -> Relationship:
    """Parse and validate a 続柄 per the D.1 grammar (algorithms.md D.1, standard 1.1.11-a/d).

    Raises :class:`DomainError` for terms outside the vocabulary (code ``relationship.x_term``, the
    remedy names the standard chain), chains of 5 or more terms (``relationship.chain_too_long``,
    remedy 縁故者, standard 1.1.11-b), unknown words and blank input.
    """
    normalized = normalize_relationship_text(text)
    if not normalized:
        raise DomainError(
            field=field,
            reason="続柄が入力されていません。",
            remedy="続柄を入力してください。",
            code="relationship.blank",
        )
    if normalized == HEAD_TEXT:
        return HEAD
    if normalized == ENKOSHA_TEXT:
        return ENKOSHA
    if normalized == LODGER_TEXT:
        return LODGER
    if normalized in _SPOUSE_OF_CHILD_FORMS:
        return Relationship(RelationshipKind.CHILD_AND_CHILD_SPOUSE, _SPOUSE_OF_CHILD_FORMS[normalized])
    if normalized in _X_TERMS_WITHOUT_CHAIN:
        raise DomainError(
            field=field,
            reason=f"「{normalized}」は続柄として使用できません。",
            remedy="本人との実際の続柄を入力してください。親族関係がない場合は「同居人」と入力してください。",
            code="relationship.x_term",
        )
    tokens = normalized.split(CONNECTOR)
    if any(token not in BASE_TERMS and token not in _X_TERM_EXPANSIONS for token in tokens):
        raise _unknown_term_error(field)
    x_terms = [token for token in tokens if token in _X_TERM_EXPANSIONS]
    if x_terms:
        raise _x_term_error(tokens, x_terms, field)
    if len(tokens) > MAX_CHAIN_TERMS:
        raise DomainError(
            field=field,
            reason=f"続柄は「の」でつないで{MAX_CHAIN_TERMS}語までです。",
            remedy=f"{MAX_CHAIN_TERMS}語で表せない続柄は「{ENKOSHA_TEXT}」と入力してください。",
            code="relationship.chain_too_long",
        )
    return Relationship(RelationshipKind.CHAIN, tuple(tokens))


def chain_relationship(terms: Sequence[str]) -> Relationship:
    """The 続柄 for a derived chain of BASE terms; 5 or more terms give 縁故者 (standard 1.1.11-b).

    Used where a chain is computed (e.g. after a 世帯主変更) rather than typed by a clerk.
    """
    if not terms or any(term not in BASE_TERMS for term in terms):
        raise _unknown_term_error()
    if len(terms) > MAX_CHAIN_TERMS:
        return ENKOSHA
    return Relationship(RelationshipKind.CHAIN, tuple(terms))


def categorize(relationship: Relationship) -> RelationshipCategory:
    """What a 続柄 denotes: head, spouse, child, child's spouse, grandchild, parent, sibling, grandparent,
    spouse's parent / sibling / grandparent, other relative, 縁故者 or 同居人 (algorithms.md D.2).

    Spouses include the 未届 forms. 子（子の夫） / 子（子の妻） count as a child's spouse: the person is
    adopted but lives as the spouse of one of the head's children, so ordering places them in that
    child's family (Jumin interpretation; the use of these forms is to be confirmed, D.1).
    """
    kind = relationship.kind
    if kind is RelationshipKind.HEAD:
        return RelationshipCategory.HEAD
    if kind is RelationshipKind.ENKOSHA:
        return RelationshipCategory.ENKOSHA
    if kind is RelationshipKind.LODGER:
        return RelationshipCategory.LODGER
    if kind is RelationshipKind.CHILD_AND_CHILD_SPOUSE:
        return RelationshipCategory.CHILD_SPOUSE
    return _categorize_chain(relationship.terms)


def _categorize_chain(terms: tuple[str, ...]) -> RelationshipCategory:
    first, rest = terms[0], terms[1:]
    if first in SPOUSE_TERMS:
        if not rest:
            return RelationshipCategory.SPOUSE
        own = _categorize_chain(rest)
        in_law = {
            RelationshipCategory.PARENT: RelationshipCategory.SPOUSE_PARENT,
            RelationshipCategory.SIBLING: RelationshipCategory.SPOUSE_SIBLING,
            RelationshipCategory.GRANDPARENT: RelationshipCategory.SPOUSE_GRANDPARENT,
        }
        return in_law.get(own, RelationshipCategory.OTHER_RELATIVE)
    if first == CHILD:
        if not rest:
            return RelationshipCategory.CHILD
        if len(rest) == 1 and rest[0] in SPOUSE_TERMS:
            return RelationshipCategory.CHILD_SPOUSE
        if rest == (CHILD,):
            return RelationshipCategory.GRANDCHILD
        return RelationshipCategory.OTHER_RELATIVE
    if first in PARENT_TERMS:
        if not rest:
            return RelationshipCategory.PARENT
        if len(rest) == 1 and rest[0] in PARENT_TERMS:
            return RelationshipCategory.GRANDPARENT
        return RelationshipCategory.OTHER_RELATIVE
    if first in SIBLING_TERMS and not rest:
        return RelationshipCategory.SIBLING
    return RelationshipCategory.OTHER_RELATIVE


def apply_foreign_resident_proof_rule(
    relationship: Relationship, *, is_foreign_resident: bool, has_documentary_proof: bool
) -> Relationship:
    """The 続柄 to record once the proof rule is applied (algorithms.md D.1, standard 1.1.11-c).

    A foreign resident's family relation needs documentary proof; without it the person is 縁故者.
    世帯主, 縁故者 and 同居人 claim no family relation, so they are returned unchanged.
    """
    claims_relation = relationship.kind in (RelationshipKind.CHAIN, RelationshipKind.CHILD_AND_CHILD_SPOUSE)
    if is_foreign_resident and claims_relation and not has_documentary_proof:
        return ENKOSHA
    return relationship


def _unknown_term_error(field: str = FIELD) -> DomainError:
    # The unknown text is not quoted: a mistyped field may hold a name.
    return DomainError(
        field=field,
        reason="続柄として使用できない語が含まれています。",
        remedy=(
            "世帯主、または夫・妻・夫（未届）・妻（未届）・子・父・母・兄・姉・弟・妹を「の」でつないだ"
            f"{MAX_CHAIN_TERMS}語までの続柄、または縁故者・同居人を入力してください。"
        ),
        code="relationship.unknown_term",
    )


def _x_term_error(tokens: Sequence[str], x_terms: Iterable[str], field: str) -> DomainError:
    options = [_X_TERM_EXPANSIONS.get(token, ((token,),)) for token in tokens]
    candidates: list[str] = []
    for combination in itertools.product(*options):
        chain = tuple(term for part in combination for term in part)
        text = CONNECTOR.join(chain)
        if len(chain) <= MAX_CHAIN_TERMS and text not in candidates:
            candidates.append(text)
    quoted = "」「".join(dict.fromkeys(x_terms))
    if candidates:
        remedy = f"{_join_alternatives(candidates)}と入力してください。"
    else:
        remedy = f"{MAX_CHAIN_TERMS}語で表せない続柄のため、「{ENKOSHA_TEXT}」と入力してください。"
    return DomainError(
        field=field,
        reason=f"「{quoted}」は続柄として使用できません。",
        remedy=remedy,
        code="relationship.x_term",
    )


def _join_alternatives(texts: Sequence[str]) -> str:
    quoted = [f"「{text}」" for text in texts]
    if len(quoted) == 1:
        return quoted[0]
    return "、".join(quoted[:-1]) + "または" + quoted[-1]
