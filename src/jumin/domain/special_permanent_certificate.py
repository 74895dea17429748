"""特別永住者証明書の交付・再交付・有効期間更新・返納 (入管特例法; standard 4.5.7-b;
docs/workflows/special-permanent-certificate.md): the rules that need no database.

The certificate is issued by the Minister of Justice through the municipality of the 住居地, so the
municipality learns its new number and expiry when it hands it over. The record holds the number
(住基法30条の45: 特別永住者証明書の番号) and, under its own key, the certificate's expiry (not a
30条の45 item, and not the 在留期間の満了の日 a 中長期在留者's record holds: the printed 住民票 never
shows it). A 返納 (入管特例法17条: returned through the municipality) changes no 30条の45 item: it is
kept as an event, the returned number and the day under their own keys (``check_return``); the
workflow that ends the status (帰化・国籍取得, 国外転出 …) is entered on its own.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from jumin.domain.errors import Alert, refusal

#: The 30条の45 key of the certificate's number, and the key its expiry is kept under.
NUMBER_ITEM = "special_permanent_resident_number"
EXPIRY_ITEM = "certificate_expiry_date"
#: The last 返納 the record keeps (not 30条の45 items): the returned certificate's number and the day.
RETURNED_NUMBER_ITEM = "returned_certificate_number"
RETURNED_ON_ITEM = "certificate_returned_on"
#: 国籍・地域コード: 3 digits (ISO 3166-1 numeric, 900–999 for the others).
_NATIONALITY_FORM = re.compile(r"[0-9]{3}")
#: 特別永住者証明書番号: 2 Latin capitals, 8 digits, 2 Latin capitals (the 在留カード's form).
_NUMBER_FORM = re.compile(r"[A-Z]{2}[0-9]{8}[A-Z]{2}")
#: The 有効期間 ends on the 7th birthday after issue, or on the 16th birthday for a holder under 16
#: (入管特例法): an expiry later than 8 years after issue (or than the 16th birthday) is likely a typo.
ADULT_VALIDITY_YEARS = 8
CHILD_AGE = 16
#: An 有効期間更新 is applied for from two months before the expiry.
RENEWAL_WINDOW_MONTHS = 2


class CertificateProcedure(StrEnum):
    """The procedure handed over at the counter."""

    ISSUE = "交付"
    REISSUE = "再交付"
    RENEWAL = "有効期間更新"
    RETURN = "返納"


class ReturnReason(StrEnum):
    """Why the certificate came back (入管特例法17条)."""

    STATUS_ENDED = "特別永住者でなくなったため"
    FOUND_AFTER_REISSUE = "再交付後に発見した旧証明書"
    OTHER = "その他"


@dataclass(frozen=True)
class CertificateState:
    """The certificate as the record holds it ("" when none), and the last 返納 it keeps."""

    number: str
    expiry: str
    returned_number: str = ""
    returned_on: str = ""


@dataclass(frozen=True)
class CertificateReturn:
    """The record's 返納 items (the 30条の45 items stay) and the alerts the clerk must acknowledge."""

    number: str
    returned_on: date
    alerts: tuple[Alert, ...]


@dataclass(frozen=True)
class PersonalItems:
    """国籍・地域 and 氏名（ローマ字） the new certificate states, as the record will hold them."""

    nationality_code: str
    alphabet_name: str


@dataclass(frozen=True)
class CertificateUpdate:
    """The record's new certificate items and the alerts the clerk must acknowledge."""

    number: str
    expiry: str
    issued_on: date
    alerts: tuple[Alert, ...]


def normalise_number(value: str, *, field: str = "certificate_number") -> str:
    """The certificate number in its stored form (full-width and lower case accepted), or DomainError."""
    text = unicodedata.normalize("NFKC", value).strip().upper()
    if not text:
        raise refusal(
            field,
            "特別永住者証明書番号が入力されていません。",
            "交付する証明書に記載された番号を入力してください。",
            "registry.item_required",
        )
    if not _NUMBER_FORM.fullmatch(text):
        raise refusal(
            field,
            "特別永住者証明書番号の形式が正しくありません。",
            "英字2桁・数字8桁・英字2桁の12文字で入力してください。",
            "registry.certificate_number_format",
        )
    return text


def return_text(foreign: Mapping[str, object]) -> str:
    """The last 返納 a record keeps as 「返納日 番号」, "" when none."""
    returned_on = str(foreign.get(RETURNED_ON_ITEM) or "")
    return f"{returned_on} {foreign.get(RETURNED_NUMBER_ITEM) or ''}".strip() if returned_on else ""


def _months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    for candidate in (day.day, 30, 29, 28):  # the last day of a shorter month
        try:
            return date(year, month + 1, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _iso(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def check_procedure(
    procedure: CertificateProcedure,
    current: CertificateState,
    *,
    number: str,
    issued_on: date | None,
    expiry: date | None,
    today: date,
    birth_date: date | None = None,
) -> CertificateUpdate:
    """The record's certificate items after ``procedure``, or DomainError; the person is a 特別永住者.

    Every new certificate has a new number and an expiry after its 交付日, which is not in the future.
    ``birth_date`` (None when unknown) bounds the expiry of a holder under 16 for the alert.
    """
    if procedure is CertificateProcedure.RETURN:
        raise ValueError("a 返納 is checked by check_return")
    new_number = normalise_number(number)
    if issued_on is None:
        raise refusal(
            "issued_on",
            "交付年月日が入力されていません。",
            "証明書の交付年月日を入力してください。",
            "registry.item_required",
        )
    if issued_on > today:
        raise refusal(
            "issued_on",
            "交付年月日が未来の日付です。",
            "証明書を交付した日（本日以前）を入力してください。",
            "registry.future_notification_date",
        )
    if expiry is None:
        raise refusal(
            "expiry",
            "有効期間の満了日が入力されていません。",
            "証明書に記載された有効期間の満了日を入力してください。",
            "registry.item_required",
        )
    if expiry <= issued_on:
        raise refusal(
            "expiry",
            "有効期間の満了日が交付年月日以前です。",
            "証明書に記載された有効期間の満了日（交付年月日より後の日）を入力してください。",
            "registry.certificate_expiry_before_issue",
        )
    if new_number == current.number:
        raise refusal(
            "certificate_number",
            "新しい証明書番号が現在の番号と同じです。",
            "交付・再交付・更新した証明書の新しい番号を入力してください。",
            "registry.certificate_number_unchanged",
        )
    current_expiry = _iso(current.expiry)
    if procedure is CertificateProcedure.RENEWAL and current_expiry is not None and expiry <= current_expiry:
        raise refusal(
            "expiry",
            "更新後の有効期間の満了日が現在の満了日以前です。",
            "更新した証明書に記載された満了日を入力してください。",
            "registry.certificate_expiry_not_extended",
        )
    return CertificateUpdate(
        number=new_number,
        expiry=expiry.isoformat(),
        issued_on=issued_on,
        alerts=tuple(_alerts(procedure, current, issued_on=issued_on, expiry=expiry, birth_date=birth_date)),
    )


def longest_expiry(issued_on: date, birth_date: date | None) -> date:
    """The latest expiry a certificate issued on ``issued_on`` can plausibly have."""
    if birth_date is not None:
        sixteenth = _years_after(birth_date, CHILD_AGE)
        if issued_on < sixteenth:
            return sixteenth
    return _years_after(issued_on, ADULT_VALIDITY_YEARS)


def _alerts(
    procedure: CertificateProcedure,
    current: CertificateState,
    *,
    issued_on: date,
    expiry: date,
    birth_date: date | None,
) -> list[Alert]:
    alerts = []
    if procedure is CertificateProcedure.ISSUE and current.number:
        alerts.append(
            Alert(
                field="procedure",
                message="既に証明書番号が記載されています。再交付または有効期間更新ではないか確認してください。",
                code="registry.certificate_already_recorded",
            )
        )
    current_expiry = _iso(current.expiry)
    if (
        procedure is CertificateProcedure.RENEWAL
        and current_expiry is not None
        and issued_on < _months_before(current_expiry, RENEWAL_WINDOW_MONTHS)
    ):
        alerts.append(
            Alert(
                field="issued_on",
                message="有効期間の満了日の2か月前より前の更新です。やむを得ない事情による申請か確認してください。",
                code="registry.certificate_early_renewal",
            )
        )
    if expiry > longest_expiry(issued_on, birth_date):
        alerts.append(
            Alert(
                field="expiry",
                message="有効期間が長すぎます（16歳以上は交付後7回目の誕生日、16歳未満は16歳の誕生日まで）。"
                "満了日を確認してください。",
                code="registry.certificate_long_validity",
            )
        )
    return alerts


def check_return(
    current: CertificateState,
    *,
    number: str,
    returned_on: date | None,
    reason: ReturnReason,
    today: date,
) -> CertificateReturn:
    """The 返納 of certificate ``number`` on ``returned_on``, or DomainError; no 30条の45 item changes.

    A found old certificate (``FOUND_AFTER_REISSUE``) is never the one the record names; the return
    of the current certificate is an alert: the event that ends the status is entered on its own.
    """
    returned = normalise_number(number)
    if returned_on is None:
        raise refusal(
            "returned_on",
            "返納日が入力されていません。",
            "証明書を受け取った日を入力してください。",
            "registry.item_required",
        )
    if returned_on > today:
        raise refusal(
            "returned_on",
            "返納日が未来の日付です。",
            "証明書を受け取った日（本日以前）を入力してください。",
            "registry.future_notification_date",
        )
    if (returned, returned_on.isoformat()) == (current.returned_number, current.returned_on):
        raise refusal(
            "certificate_number",
            "この証明書の返納は既に記録されています。",
            "返納日と証明書番号を確認してください。同じ返納を二度記録する必要はありません。",
            "registry.certificate_return_recorded",
        )
    is_current = returned == current.number
    if reason is ReturnReason.FOUND_AFTER_REISSUE and is_current:
        raise refusal(
            "certificate_number",
            "住民票に記載されている現在の証明書番号です。再交付後に発見した旧証明書ではありません。",
            "返納された証明書の番号を確認するか、返納事由を選び直してください。",
            "registry.certificate_return_is_current",
        )
    alerts = []
    if is_current:
        alerts.append(
            Alert(
                field="certificate_number",
                message="現在の証明書の返納です。特別永住者でなくなった場合は、帰化・国籍取得や国外転出等の"
                "入力も必要です（返納だけでは住民票の記載事項は変わりません）。",
                code="registry.certificate_current_returned",
            )
        )
    return CertificateReturn(number=returned, returned_on=returned_on, alerts=tuple(alerts))


def check_personal_items(
    current: PersonalItems, *, nationality_code: str, alphabet_name: str
) -> PersonalItems:
    """The record's 国籍・地域 and 氏名（ローマ字） after a new certificate that changed them (a 変更届出
    made with the 再交付 etc.); blank keeps the current value. DomainError for a malformed code."""
    code = unicodedata.normalize("NFKC", nationality_code).strip()
    if code and not _NATIONALITY_FORM.fullmatch(code):
        raise refusal(
            "nationality_code",
            "国籍・地域コードの形式が正しくありません。",
            "証明書に記載された国籍・地域の3桁のコードを入力してください（変更がなければ空欄）。",
            "registry.nationality_code_format",
        )
    name = " ".join(unicodedata.normalize("NFKC", alphabet_name).upper().split())
    return PersonalItems(
        nationality_code=code or current.nationality_code, alphabet_name=name or current.alphabet_name
    )
