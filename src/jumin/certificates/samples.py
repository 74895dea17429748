"""Sample pages for docs/certificates.md: every kind rendered from synthetic people, no database.

``make certificate-samples`` (``jumin certificates samples``) writes one PNG per kind (pdftoppm, 60 dpi)
to docs/certificates/. Names, addresses and codes are invented; the certifier is the fictitious
「見本　太郎」 with a synthetic seal. The PDFs are not signed (signing does not change the page).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

from jumin.certificates import rendering
from jumin.certificates.card_forms import application_form, application_pdf, card_face_pdf
from jumin.certificates.documents import Line, build_document
from jumin.certificates.notices import NoticeDocument, NoticeTable, notice_pdf
from jumin.certificates.seals import synthetic_seal
from jumin.domain.card_face import CardFaceKind, PrintAdjustment, card_face_texts, layout_lines
from jumin.domain.certificates import (
    CertificateKind,
    CertificateOptions,
    IssueNumber,
    Layout,
    normalized_options,
)
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.domain.wareki import WarekiDate
from jumin.registry.certificate_sources import HistoryEntry, SourcePerson

ISSUE_DATE = date(2026, 11, 22)
MUNICIPALITY = "見本市"
SIGNER = rendering.Signer(title="見本県見本市長", name="見本　太郎", seal_png=b"", seal_size_mm=21.0)


def _person(number: str, given: str, given_kana: str, **overrides: object) -> SourcePerson:
    values: dict[str, object] = {
        "atena_number": number,
        "history_no": 1,
        "status": ResidentStatus.RESIDENT,
        "kind": "J",
        "surname": "見本",
        "given_name": given,
        "surname_kana": "ミホン",
        "given_name_kana": given_kana,
        "former_surname": "",
        "former_surname_kana": "",
        "alias": "",
        "alias_kana": "",
        "birth_date": WarekiDate("showa", 55, 4, 1),
        "sex": "male",
        "household_number": "9000001",
        "is_head": False,
        "relationship": "子",
        "member_order": 1,
        "head_name": "見本　一郎",
        "postal_code": "000-0000",
        "address": "見本県見本市本町一丁目1番1号",
        "katagaki": "見本ハイツ101号",
        "previous_address": "見本県別見本市中央二丁目2番2号",
        "became_resident_date": date(2010, 4, 1),
        "became_resident_reason": "転入",
        "address_set_date": date(2010, 4, 1),
        "address_notification_date": date(2010, 4, 5),
        "honseki": "見本県見本市本町一丁目1番地",
        "hittousha": "見本　一郎",
        "juminhyo_code": "90000000001",
        "foreign": {},
        "planned_destination": "",
        "removal_reason": "",
        "removal_date": None,
        "removal_event_date": None,
        "individual_number": None,
        "history": (),
    }
    values.update(overrides)
    return SourcePerson(**values)  # type: ignore[arg-type]


def synthetic_household() -> list[SourcePerson]:
    """A household of four, invented: 世帯主, 妻, two children."""
    return [
        _person("900000001", "一郎", "イチロウ", is_head=True, relationship="世帯主", member_order=1),
        _person(
            "900000002",
            "花子",
            "ハナコ",
            sex="female",
            relationship="妻",
            member_order=2,
            birth_date=WarekiDate("showa", 57, 8, 15),
        ),
        _person("900000003", "次郎", "ジロウ", member_order=3, birth_date=WarekiDate("heisei", 20, 5, 5)),
        _person(
            "900000004",
            "桜",
            "サクラ",
            sex="female",
            member_order=4,
            birth_date=WarekiDate("heisei", 23, 3, 3),
            juminhyo_code="90000000004",
        ),
    ]


def _moved(people: list[SourcePerson], *, late: bool, special: bool = False) -> list[SourcePerson]:
    return [
        replace(
            p,
            status=ResidentStatus.REMOVED if late else ResidentStatus.PLANNED_MOVE_OUT,
            planned_destination="見本県隣見本市緑町三丁目3番3号",
            removal_reason=ChangeReason.DOMESTIC_MOVE_OUT.value,
            removal_date=date(2026, 11, 30),
            move_out_planned_date=date(2026, 11, 30),
            move_out_notification_kind="職権" if late else "届出",
            special_move_out=special,
        )
        for p in people
    ]


def _certificate(people: list[SourcePerson], options: CertificateOptions, signer: rendering.Signer) -> bytes:
    document = build_document(
        people, options, issue_date=ISSUE_DATE, official_use=False, country_name=lambda code: code
    )
    copies = [rendering.PrintedCopy(unit=unit, serial=i + 1) for i, unit in enumerate(document.units)]
    numbers = [IssueNumber(ISSUE_DATE, MUNICIPALITY, "本庁1", "", c.serial, 1, 1).copy_number for c in copies]
    return rendering.render_pdf(
        document,
        copies,
        issue_date=ISSUE_DATE,
        municipality=MUNICIPALITY,
        terminal="本庁1",
        printer="",
        signer=signer,
        copy_numbers=numbers,
    )


def _notice(
    title: str, lead: str, items: tuple[Line, ...], tables: tuple[NoticeTable, ...] = ()
) -> NoticeDocument:
    return NoticeDocument(
        title=title,
        addressee_address="見本県見本市本町一丁目1番1号　見本ハイツ101号",
        addressee_name="見本　花子",
        lead=lead,
        items=items,
        tables=tables,
    )


def _reorganised(
    people: list[SourcePerson], closed_by: ChangeReason = ChangeReason.REORGANISATION
) -> list[SourcePerson]:
    """The household's first generation as a 改製 (or a 再製) on 令和8年11月20日 closed it (改製原住民票,
    再製原住民票)."""
    address, katagaki = "見本県見本市本町一丁目1番1号", "見本ハイツ101号"
    rows = tuple(
        HistoryEntry(number, reason, changed, notified, address, katagaki, "")
        for number, reason, changed, notified in (
            (1, "転入", date(2010, 4, 1), date(2010, 4, 5)),
            (2, "転居", date(2015, 6, 1), date(2015, 6, 3)),
        )
    )
    return [
        replace(
            p,
            history_no=2,
            status=ResidentStatus.REMOVED,
            history=tuple(replace(row, name=f"{p.surname}　{p.given_name}") for row in rows),
            removal_reason=closed_by.value,
            removal_date=date(2026, 11, 20),
        )
        for p in people
    ]


def samples(signer: rendering.Signer) -> dict[str, Callable[[], tuple[bytes, int]]]:
    """Sample name → a function returning (PDF, the page to show, 1-based; -1 = last)."""
    household = synthetic_household()
    wife = household[1]
    long = replace(wife, honseki="見本県見本市本町" + "一二三四五六七八九十" * 5)
    code = Line("住民票コード", "90000000002")

    def cert(people: list[SourcePerson], page: int = 1, **options: object) -> Callable[[], tuple[bytes, int]]:
        chosen = normalized_options(
            CertificateOptions(atena_numbers=(people[0].atena_number,), **options)  # type: ignore[arg-type]
        )
        return lambda: (_certificate(people, chosen, signer), page)

    def note(document: NoticeDocument) -> Callable[[], tuple[bytes, int]]:
        return lambda: (notice_pdf(document, issue_date=ISSUE_DATE, signer=signer), 1)

    return {
        "copy-household": cert(household),
        "copy-personal": cert([wife], layout=Layout.PERSONAL, show_honseki=True),
        "removed-copy": cert(_moved([wife], late=False), kind=CertificateKind.REMOVED_COPY),
        "stated-items": cert([wife], kind=CertificateKind.STATED_ITEMS, layout=Layout.PERSONAL),
        "removed-stated-items": cert(
            _moved([wife], late=False), kind=CertificateKind.REMOVED_STATED_ITEMS, layout=Layout.PERSONAL
        ),
        "move-out": cert(_moved(household[:2], late=False), kind=CertificateKind.MOVE_OUT),
        "move-out-substitute": cert(
            _moved(household[:2], late=True), kind=CertificateKind.MOVE_OUT_SUBSTITUTE
        ),
        "special-move-out": cert(
            _moved(household[:1], late=False, special=True), kind=CertificateKind.SPECIAL_MOVE_OUT
        ),
        "original-copy-household": cert(
            _reorganised(household), kind=CertificateKind.ORIGINAL_COPY, generation=1
        ),
        "restored-original-copy-household": cert(
            _reorganised(household, ChangeReason.RESTORATION),
            kind=CertificateKind.RESTORED_ORIGINAL_COPY,
            generation=1,
        ),
        "overflow-list": cert([long], page=-1, layout=Layout.PERSONAL, show_honseki=True),
        "juminhyo-code-notice": note(
            _notice(
                "住民票コード通知票",
                "あなたの住民票に、次のとおり住民票コードを記載しましたので通知します。",
                (code,),
            )
        ),
        "juminhyo-code-change-notice": note(
            _notice(
                "住民票コード変更通知票",
                "あなたの請求により、住民票コードを次のとおり変更しましたので通知します。",
                (Line("変更前の住民票コード", "90000000099"), code),
            )
        ),
        "juminhyo-code-correction-notice": note(
            _notice(
                "住民票コード修正通知票",
                "あなたの住民票コードを、次のとおり職権で修正しましたので通知します。",
                (Line("修正前の住民票コード", "90000000098"), code),
            )
        ),
        "ex-officio-notice": note(
            _notice(
                "職権記載等通知書",
                "住民基本台帳法の規定により、あなたの世帯の住民票を職権で次のとおり記載等しましたので通知します。",
                (Line("記載等の区分", "職権修正"), Line("根拠", "住民基本台帳法施行令第12条第2項第1号")),
                (
                    NoticeTable(
                        "記載等の内容",
                        ("氏名", "項目", "記載等の前", "記載等の後"),
                        (("見本　花子", "氏", "旧姓", "見本"),),
                    ),
                ),
            )
        ),
        "head-change-request": note(
            _notice(
                "世帯主変更依頼通知書",
                "令和8年11月22日の国内転出により、あなたの世帯の世帯主が世帯を離れました。世帯主変更の届出をしてください。",
                (),
                (
                    NoticeTable(
                        "世帯に残る方",
                        ("氏名", "続柄（変更前）"),
                        (("見本　花子", "妻"), ("見本　次郎", "子")),
                    ),
                ),
            )
        ),
        "card-application": lambda: (
            application_pdf(
                application_form(wife, reapplication=False, municipality="見本市", today=ISSUE_DATE)
            ),
            1,
        ),
        "card-face": lambda: (
            card_face_pdf(
                CardFaceKind.INDIVIDUAL_NUMBER,
                layout_lines(
                    CardFaceKind.INDIVIDUAL_NUMBER,
                    card_face_texts(
                        CardFaceKind.INDIVIDUAL_NUMBER,
                        reason="転居",
                        notified_on=ISSUE_DATE,
                        items=(("住所", "見本県見本市本町二丁目3番4号"),),
                    ),
                    start_line=1,
                    adjustment=PrintAdjustment(),
                ),
                PrintAdjustment(),
                seal_png=signer.seal_png,
            ),
            1,
        ),
        "self-notice": note(
            _notice(
                "本人通知書",
                "あなたが登録された本人通知制度に基づき、あなたの住民票の写し等を代理人または第三者に交付したことをお知らせします。",
                (
                    Line("交付年月日", "令和8年11月22日"),
                    Line("証明書の種類", "住民票の写し"),
                    Line("交付通数", "1通"),
                    Line("交付請求者の種別", "第三者"),
                ),
            )
        ),
    }


def _poppler(*arguments: str) -> str:
    """Run a poppler tool (pdfinfo, pdftoppm) from PATH on our own files; returns its output."""
    tool = shutil.which(arguments[0])
    if tool is None:
        raise RuntimeError(f"{arguments[0]} (poppler-utils) is not installed")
    done = subprocess.run([tool, *arguments[1:]], capture_output=True, text=True, check=True)  # noqa: S603
    return done.stdout


A4_WIDTH_PT = 595.0


def _scaled_dpi(dpi: int, pdfinfo: str) -> int:
    """A page narrower than A4 (the card-face print) is shown as wide as an A4 page, so it can be read."""
    size = next((line.split() for line in pdfinfo.splitlines() if line.startswith("Page size:")), [])
    width = float(size[2]) if len(size) > 2 else A4_WIDTH_PT
    return round(dpi * max(1.0, A4_WIDTH_PT / width))


def write_samples(out: Path, *, dpi: int = 60) -> list[Path]:
    """Render every sample and write ``out/<name>.png``; returns the files written."""
    signer = replace(SIGNER, seal_png=synthetic_seal("見本市長之印"))
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in samples(signer).items():
        pdf, page = make()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "sample.pdf"
            path.write_bytes(pdf)
            info = _poppler("pdfinfo", str(path))
            if page == -1:
                page = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
            target = out / name
            _poppler(
                "pdftoppm",
                "-png",
                "-r",
                str(_scaled_dpi(dpi, info)),
                "-f",
                str(page),
                "-l",
                str(page),
                "-singlefile",
                str(path),
                str(target),
            )
        written.append(target.with_suffix(".png"))
    return written
