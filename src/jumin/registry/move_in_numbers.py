"""個人番号 entered with a 転入 (from the 転出証明書; standard 4.1.1.2, 4.5.3-a; records.md §6.9).

Used by ``services.record_move_in``: check the numbers (12 digits, check digit, no duplicates),
find a returning former resident by the number (a forced match, like the 住民票コード: the old
宛名番号 is reused) and give the encrypted columns of the new snapshot. A returning resident who
brings no number keeps the one on their 除票. No function here puts a number in a message or a log.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.views.decorators.debug import sensitive_variables

from jumin.crypto.individual_number import blind_index, seal_with_index
from jumin.crypto.models import filter_by_individual_number
from jumin.domain.checkdigits import validate_mynumber
from jumin.domain.errors import refusal
from jumin.domain.resident import ResidentStatus
from jumin.registry.models import Resident, ResidentSnapshot

SNAPSHOT_PURPOSE = "registry.resident"  # the purpose of ResidentSnapshot.individual_number


def entered(numbers: Sequence[str]) -> bool:
    """Whether any 個人番号 was typed (then INDIVIDUAL_NUMBER_ACCESS is required, controls.md C-9)."""
    return any(number.strip() for number in numbers)


@sensitive_variables()
def checked(numbers: Sequence[str], member_count: int) -> list[str]:
    """One normalised number or "" per member, or a DomainError naming the member's field."""
    if numbers and len(numbers) != member_count:
        raise refusal(
            "members",
            "個人番号の数が転入する方の数と合いません。",
            "転入する方ごとに個人番号を入力するか、空欄にしてください。",
            "registry.individual_number_count",
        )
    digits = [
        validate_mynumber(number, field=f"members[{index}].individual_number") if number.strip() else ""
        for index, number in enumerate(numbers)
    ]
    given = [number for number in digits if number]
    if len(set(given)) != len(given):
        raise refusal(
            "individual_number",
            "同じ個人番号が2人以上に入力されています。",
            "転出証明書と照合し、1人に1つの個人番号を入力してください。",
            "registry.individual_number_duplicate",
        )
    return digits or [""] * member_count


@sensitive_variables()
def returning_by_number(number: str, index: int) -> Resident | None:
    """The former resident holding this 個人番号 (forced match), or None; a current one is refused."""
    if not number:
        return None
    committed = ResidentSnapshot.objects.filter(history_no__isnull=False)
    snapshot: ResidentSnapshot | None = (
        filter_by_individual_number(committed, number)
        .select_related("resident__current")
        .order_by("-history_no")
        .first()
    )
    if snapshot is None:
        return None
    resident: Resident = snapshot.resident
    current = resident.current
    if current is not None and current.status != ResidentStatus.REMOVED:
        raise refusal(
            f"members[{index}].individual_number",
            "この個人番号の方は既に住民として記録されています。",
            "転入ではなく転居または修正として処理してください。",
            "registry.move_in_of_current_resident",
        )
    return resident


@sensitive_variables()
def merge_returning(
    by_code: Resident | None, by_number: Resident | None, number: str, index: int
) -> Resident | None:
    """The returning resident found by 住民票コード and by 個人番号; two different people, or a 除票
    found by code that holds another number, are refused (a number change is not a 転入)."""
    previous = by_code.current if by_code is not None else None
    other_number = (
        number
        and by_number is None
        and previous is not None
        and previous.individual_number_index
        and previous.individual_number_index != blind_index(number)
    )
    if other_number or (by_code is not None and by_number is not None and by_code.pk != by_number.pk):
        raise refusal(
            f"members[{index}].individual_number",
            "住民票コードと個人番号が別々の方の除票に一致しました。",
            "転出証明書の住民票コードと個人番号を確認してください。",
            "registry.returning_mismatch",
        )
    return by_code or by_number


@sensitive_variables()
def number_columns(number: str, returning: Resident | None) -> dict[str, object]:
    """The encrypted 個人番号 and blind index of a new snapshot: the number entered, else the one on
    the returning resident's 除票 (copied as stored, never decrypted), else none."""
    if number:
        sealed, index = seal_with_index(number, purpose=SNAPSHOT_PURPOSE)
        return {"individual_number": sealed, "individual_number_index": index}
    previous = returning.current if returning is not None else None
    if previous is not None and previous.individual_number is not None:
        return {
            "individual_number": previous.individual_number,
            "individual_number_index": previous.individual_number_index,
        }
    return {}
