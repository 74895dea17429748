"""支援措置開始通知 (standard 3.4-i, optional): tells the 申出者 that the support they asked for has started,
for which services and for which period, and when an extension can be asked for.

Addressed to the 申出者 at the current address the registry holds, like the 期間終了通知
(``support_end_notices``); it names no 加害者 and no other protected person (the 併せて支援を求める者 are
counted, not named). One authorised (``SUPPORT_MEASURE_MANAGE``), audited use case; only committed data.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from jumin.certificates.documents import Line
from jumin.certificates.notices import NoticeDocument, render_notice
from jumin.certificates.support_end_notices import print_measure_notice
from jumin.domain import periods
from jumin.domain.wareki import to_wareki
from jumin.registry.selectors_support_end import SupportStartNotice, support_start_notice_source

TITLE = "支援措置開始通知"
AUDIT_REASON = "support_start_notice"


def _wareki(day: Any) -> str:
    return to_wareki(day).display()


def _document(source: SupportStartNotice, municipality: str) -> NoticeDocument:
    person = source.applicant
    address = f"{person.address}　{person.katagaki}".strip("　")
    items = [
        Line("対象事務", "、".join(source.covered_services)),
        Line("支援措置期間", f"{_wareki(source.period.start)}から{_wareki(source.period.end)}まで"),
        Line("延長の申出ができる日", f"{_wareki(periods.extension_window_opens(source.period.end))}から"),
    ]
    if source.co_applicants:
        items.append(Line("併せて支援を求める方", f"{source.co_applicants}名"))
    return NoticeDocument(
        title=TITLE,
        addressee_address=address,
        addressee_name=f"{person.surname}　{person.given_name}".strip("　"),
        lead=(
            "あなたから申出のあった住民基本台帳事務における支援措置について、"
            "次のとおり支援措置を開始しましたので通知します。"
        ),
        items=tuple(items),
        remarks=(
            "支援措置期間中は、加害者等からの住民票の写し等の交付等の請求を制限します。",
            "引き続き支援を希望される場合は、期間の終了前に延長の申出をしてください。"
            "住所や状況に変更があったときは、お知らせください。",
            f"お問い合わせ先：{municipality} 住民基本台帳担当",
        ),
    )


def print_support_start_notice(*, actor: Any, purpose: str, measure_id: int) -> bytes:
    """The signed PDF of one 支援措置開始通知 to the measure's 申出者.

    Refused (audited, nothing printed) for a measure that is missing, ended, still provisional, whose
    first period has run out, or whose 申出者 no longer lives here
    (``selectors_support_end.support_start_notice_source``).
    """

    def make_pdf(issue_date: date, municipality: str) -> bytes:
        source = support_start_notice_source(measure_id, on=issue_date)
        return render_notice(_document(source, municipality), issue_date=issue_date)

    return print_measure_notice(
        actor=actor, purpose=purpose, measure_id=measure_id, reason=AUDIT_REASON, make_pdf=make_pdf
    )
