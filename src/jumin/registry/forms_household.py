"""Clerk input for the 転居 and 世帯変更 screens. Forms only parse; the services decide.

宛名番号 lists are one per line; 続柄 lines are 「宛名番号 続柄」 (e.g. 「000000000019 妻」).
"""

from __future__ import annotations

from django import forms
from django.utils import timezone

from jumin.accounts.forms import PurposeForm
from jumin.domain.relationship_proof import RELATIONSHIP_PROOF_KINDS, RelationshipProof
from jumin.domain.resident import ChangeReason
from jumin.registry.forms import AttentionNoteFields
from jumin.registry.forms_corrections import ExOfficioEventForm
from jumin.registry.widgets import KatagakiAidInput
from jumin.registry.workflows.household_change import HouseholdChangeKind

ATENA_LINES_HELP = "宛名番号を1行に1人ずつ入力してください。"
RELATIONSHIP_HELP = "1行に1人、「宛名番号 続柄」の形で入力してください（例: 000000000019 妻）。"
PROOF_HELP = (
    "外国人住民の続柄を新たに定める場合（世帯主・縁故者・同居人を除く）、1行に1人、"
    "「宛名番号 書類の種類 番号・日付」の形で入力してください（書類の種類: "
    + "、".join(RELATIONSHIP_PROOF_KINDS)
    + "）。"
)


def atena_lines(text: str) -> list[str]:
    """宛名番号, one per non-empty line, in the order typed."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def relationship_lines(text: str) -> dict[str, str]:
    """「宛名番号 続柄」 lines as a mapping; a line without a 続柄 maps to an empty text."""
    pairs: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split(maxsplit=1)
        if parts:
            pairs[parts[0]] = parts[1] if len(parts) > 1 else ""
    return pairs


def proof_lines(text: str) -> dict[str, RelationshipProof]:
    """「宛名番号 書類の種類 番号・日付」 lines as 続柄を証する書類 by 宛名番号 (standard 1.1.11-c), checked
    by the workflow (a kind or reference left out arrives blank and is refused there)."""
    proofs: dict[str, RelationshipProof] = {}
    for line in text.splitlines():
        parts = line.split(maxsplit=2)
        if parts:
            proofs[parts[0]] = RelationshipProof(*[*parts[1:], "", ""][:2])
    return proofs


def relationship_proofs_field() -> forms.CharField:
    """The 続柄を証する書類 lines of the 転居 and 世帯変更 screens."""
    return forms.CharField(
        label="続柄を証する書類（外国人住民）",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=PROOF_HELP,
    )


class MoveWithinForm(PurposeForm, AttentionNoteFields, ExOfficioEventForm):
    note_reasons = (ChangeReason.MOVE_WITHIN,)

    movers = forms.CharField(
        label="転居する方（宛名番号）", widget=forms.Textarea, help_text=ATENA_LINES_HELP
    )
    address = forms.CharField(label="転居先の住所", max_length=200)
    katagaki = forms.CharField(label="方書", max_length=200, required=False, widget=KatagakiAidInput)
    postal_code = forms.CharField(label="郵便番号（7桁）", max_length=7, required=False)
    address_code = forms.CharField(label="住所コード（11桁）", max_length=11, required=False)
    move_date = forms.DateField(label="転居日（住所を定めた年月日、例: 2026-11-15）")
    notification_date = forms.DateField(
        label="届出日（例: 2026-11-20。職権のときは記録しません）", initial=timezone.localdate, required=False
    )
    household_number = forms.CharField(
        label="加わる世帯の世帯番号（既存の世帯に加わる場合）", max_length=16, required=False
    )
    relationships = forms.CharField(
        label="続柄（世帯の一部が転居する場合）",
        widget=forms.Textarea,
        required=False,
        help_text=RELATIONSHIP_HELP,
    )
    relationship_proofs = relationship_proofs_field()


class HouseholdChangeForm(PurposeForm, AttentionNoteFields, ExOfficioEventForm):
    note_reasons = (ChangeReason.HOUSEHOLD_CHANGE,)

    kind = forms.ChoiceField(
        label="世帯変更の種類", choices=[(k.value, k.value) for k in HouseholdChangeKind]
    )
    household_number = forms.CharField(
        label="世帯番号（合併では合併する世帯、世帯変更では移る方の世帯）", max_length=16
    )
    ex_officio = forms.BooleanField(
        label="職権で世帯主を定める（世帯主のいない世帯で届出がない場合。届出日は記録しません）",
        required=False,
    )
    change_date = forms.DateField(label="異動日（例: 2026-11-15）")
    notification_date = forms.DateField(
        label="届出日（例: 2026-11-20）", initial=timezone.localdate, required=False
    )
    relationships = forms.CharField(
        label="続柄（事実上の世帯主の記録では空欄）",
        widget=forms.Textarea,
        required=False,
        help_text=RELATIONSHIP_HELP,
    )
    relationship_proofs = relationship_proofs_field()
    members = forms.CharField(
        label="移る方（宛名番号、世帯分離・世帯変更のみ）",
        widget=forms.Textarea,
        required=False,
        help_text=ATENA_LINES_HELP,
    )
    target_household_number = forms.CharField(
        label="移る先の世帯番号（世帯合併・世帯変更のみ）", max_length=16, required=False
    )
    de_facto_head = forms.CharField(
        label="事実上の世帯主の氏名（事実上の世帯主のみ、空欄で記録を消す）",
        max_length=100,
        required=False,
        help_text="住民票の備考に「事実上の世帯主　氏名」と記載されます。",
    )


class HouseholdInquiryForm(PurposeForm):
    household_number = forms.CharField(label="世帯番号", max_length=16)
