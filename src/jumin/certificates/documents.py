"""From committed registry data to what a certificate prints (standard 5.1–5.4, 5.7; algorithms.md §D).

Values here are display text: dates in 和暦 as recorded (不詳 forms included; a foreign resident's birth
date in 西暦, algorithms.md B.2 rule 4), フリガナ in katakana in parentheses after the name (5.3-a),
方書 always with the address (5.4-a). Nothing is rendered here; see ``rendering``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any

from jumin.certificates.move_out_qr import QrMoveOut, QrPerson, sex_code
from jumin.domain import recorded_dates
from jumin.domain.certificates import (
    ADDRESS_LIMIT,
    ITEM_LIMIT,
    NAME_LIMIT,
    PEOPLE_PER_SHEET,
    PEOPLE_PER_SHEET_WITH_HISTORY,
    CertificateKind,
    CertificateOptions,
    Fitted,
    ForeignItem,
    Layout,
    OverflowPrint,
    certification_text,
    fit,
    split_sheets,
)
from jumin.domain.errors import refusal
from jumin.domain.kana import normalize_furigana
from jumin.domain.recorded_dates import RecordedDate
from jumin.domain.relationships import de_facto_head_remark
from jumin.domain.resident import HIDDEN_ON_PRINTED_HISTORY, ChangeReason, ResidentKind, ResidentStatus
from jumin.domain.wareki import to_wareki
from jumin.registry.certificate_sources import HistoryEntry, SourcePerson

# History lines that fit in one person's block (世帯連記式) or on one 個人票 sheet; more is an overflow
# of the layout: refused with the remedy (個人票, or without history); item boxes use the 文字超過リスト.
HISTORY_LINES_PER_BLOCK = 6
HISTORY_LINES_PER_SHEET = 12

SEX_LABELS = {"male": "男", "female": "女"}


@dataclass(frozen=True)
class Line:
    """One labelled item of a person's block; ``scale`` is its type size in percent (文字超過, 5.8-a)."""

    label: str
    value: str
    scale: int = 100
    overflow: bool = False


@dataclass(frozen=True)
class OverflowEntry:
    """One item that did not fit its box, printed in full on the 文字超過リスト sheet."""

    name: str
    label: str
    value: str


@dataclass(frozen=True)
class PrintedPerson:
    """One person's block, as printed."""

    atena_number: str
    name: str
    furigana: str
    items: tuple[Line, ...]
    notes: tuple[str, ...]
    history: tuple[str, ...]
    name_scale: int = 100
    name_overflow: bool = False

    @property
    def item_rows(self) -> tuple[tuple[Line, Line], ...]:
        """The items two to a row as printed; an odd last item is paired with an empty cell pair."""
        padded = (*self.items, Line("", "")) if len(self.items) % 2 else self.items
        return tuple((padded[index], padded[index + 1]) for index in range(0, len(padded), 2))


@dataclass(frozen=True)
class Sheet:
    """One printed page: people, a 個人票's continuation of history lines, or the 文字超過リスト."""

    people: tuple[PrintedPerson, ...]
    continued_history: tuple[str, ...] = ()
    overflow: tuple[OverflowEntry, ...] = ()


@dataclass(frozen=True)
class CertificateUnit:
    """One certificate: a 世帯連記式 copy, or one person's 個人票. Each copy of it gets its own 発行番号."""

    subjects: tuple[str, ...]
    address: str
    head_name: str
    sheets: tuple[Sheet, ...]
    certification: str
    # 転出証明書 only: the QR code's data; issuance fills in the 発行番号 and the municipality per copy.
    move_out: QrMoveOut | None = None
    address_scale: int = 100
    head_scale: int = 100


@dataclass(frozen=True)
class CertificateDocument:
    """Everything to print, apart from the 発行番号, the certifier and the date, which issuance adds."""

    kind: CertificateKind
    layout: Layout
    title: str
    official_use: bool
    units: tuple[CertificateUnit, ...]
    household_number: str
    subjects: tuple[str, ...] = field(default=())
    # 「特例による転出処理済」 on every page of the 特例転出's print (standard 4.1.3.0.4-a), or "".
    stamp: str = ""
    # 再交付 (standard 4.1.3.0.3-b): the original date and 発行番号, printed under a 「再交付」 mark; "".
    reissue_of: str = ""

    @property
    def overflow(self) -> bool:
        """Whether any copy carries a 文字超過リスト (an alert to acknowledge, standard 5.8-a)."""
        return any(sheet.overflow for unit in self.units for sheet in unit.sheets)


def _date(value: RecordedDate | None, *, gregorian: bool = False) -> str:
    if value is None:
        return ""
    return recorded_dates.display(value, gregorian=gregorian)


def _day(value: date | None) -> str:
    return to_wareki(value).display() if value is not None else ""


def _katakana(*parts: str) -> str:
    text = "　".join(normalize_furigana(p) for p in parts if p)
    return f"（{text}）" if text else ""


def is_current_on(person: SourcePerson, day: date) -> bool:
    """A resident on ``day``: recorded, or a planned mover before the removal date (algorithms.md G.1)."""
    if person.status == ResidentStatus.RESIDENT:
        return True
    if person.status == ResidentStatus.PLANNED_MOVE_OUT:
        return person.removal_date is None or day < person.removal_date
    return False


def has_removed_record(person: SourcePerson) -> bool:
    """Whether a 除票 exists: removed, or a 転出 recorded (the 除票 is made at once, standard 4.0.2)."""
    return person.status in (ResidentStatus.REMOVED, ResidentStatus.PLANNED_MOVE_OUT)


def has_move_out(person: SourcePerson) -> bool:
    """Whether a committed 国内転出 stands behind the record: what a 転出証明書 certifies. The destination
    may be blank: an adoptee under 特別養子縁組 moves out without one (standard 1.1.5-b)."""
    return (
        person.removal_reason == ChangeReason.DOMESTIC_MOVE_OUT and person.move_out_planned_date is not None
    )


def _period_of(items: Mapping[str, Any]) -> str:
    keys = ("period_of_stay", "landing_period", "provisional_stay_period")
    return next((str(items[key]) for key in keys if items.get(key)), "")


def _foreign_lines(
    person: SourcePerson, options: CertificateOptions, country_name: Callable[[str], str]
) -> list[Line]:
    """The foreign resident's items the options choose, each on its own (standard 5.1-b)."""
    items = person.foreign
    chosen = options.prints_foreign
    lines: list[Line] = []
    if chosen(ForeignItem.NATIONALITY):
        lines.append(Line("国籍・地域", country_name(str(items.get("nationality_code", "")))))
    if chosen(ForeignItem.CATEGORY):
        lines.append(Line("法第30条の45に規定する区分", str(items.get("category", ""))))
    if chosen(ForeignItem.RESIDENCE_STATUS):
        lines.append(Line("在留資格", str(items.get("residence_status", ""))))
    if chosen(ForeignItem.PERIOD):
        # 在留期間等: the 在留期間, or the 上陸期間 (一時庇護許可者) or 仮滞在期間 (仮滞在許可者), 1.1.2-b.
        lines.append(Line("在留期間等", _period_of(items)))
    expiry = str(items.get("stay_expiry_date", ""))
    if expiry and chosen(ForeignItem.EXPIRY):
        # 在留期間の満了の日 is printed in 西暦 (algorithms.md B.2 rule 4).
        lines.append(
            Line("在留期間の満了の日", recorded_dates.display(date.fromisoformat(expiry), gregorian=True))
        )
    if chosen(ForeignItem.CARD_NUMBER):
        for key, label in (
            ("residence_card_number", "在留カード等の番号"),
            ("special_permanent_resident_number", "特別永住者証明書の番号"),
        ):
            if items.get(key):
                lines.append(Line(label, str(items[key])))
    return [line for line in lines if line.value]


def _iso_day(value: object) -> str:
    return _day(date.fromisoformat(str(value))) if value else ""


def alias_history_notes(person: SourcePerson) -> list[str]:
    """「通称の履歴」 lines (5.1-b): each 通称 with the day and municipality it was recorded and deleted.

    Read from the 30条の45 items the record keeps (``registry.workflows.names``); a 通称 recorded
    before its history was kept shows no recording day.
    """
    entries = person.foreign.get("alias_history")
    notes: list[str] = []
    for entry in entries if isinstance(entries, list) else ():
        alias = f"{entry.get('alias', '')}{_katakana(str(entry.get('alias_kana', '')))}"
        recorded = " ".join(
            part for part in (_iso_day(entry.get("recorded_on")), entry.get("recorded_municipality")) if part
        )
        line = f"通称の履歴　{alias}　記載　{recorded or '不詳'}"
        if entry.get("deleted_on"):
            deleted = " ".join(
                part
                for part in (_iso_day(entry.get("deleted_on")), entry.get("deleted_municipality"))
                if part
            )
            line += f"　削除　{deleted}"
        notes.append(line)
    return notes


def _history_line(entry: HistoryEntry) -> str:
    notified = f"（{_day(entry.notification_date)}届出）" if entry.notification_date else ""
    address = f"{entry.address}　{entry.katagaki}".strip("　")
    return f"{_day(entry.change_date)}　{entry.reason}{notified}　{address}"


def printed_person(
    person: SourcePerson,
    options: CertificateOptions,
    *,
    issue_date: date,
    country_name: Callable[[str], str],
) -> PrintedPerson:
    """One person's block under the options (standard 5.1-a/b/d, 5.3-a)."""
    foreign = person.kind == ResidentKind.FOREIGN
    items = [
        Line("生年月日", _date(person.birth_date, gregorian=foreign)),
        Line("性別", SEX_LABELS.get(person.sex, person.sex)),
    ]
    if options.show_head_and_relationship:
        items.append(Line("続柄", "世帯主" if person.is_head else person.relationship))
    if person.former_surname:
        items.append(Line("旧氏", f"{person.former_surname}{_katakana(person.former_surname_kana)}"))
    if foreign and person.alias:
        items.append(Line("通称", f"{person.alias}{_katakana(person.alias_kana)}"))
    if foreign and options.show_foreign_items and person.foreign.get("alphabet_name"):
        items.append(Line("氏名（ローマ字）", str(person.foreign["alphabet_name"])))
    if not options.kind.states_items and not options.kind.is_move_out:
        # A 記載事項証明書 states the basic items and the ones asked for; a copy carries the record's dates.
        items.append(Line("住民となった年月日", _date(person.became_resident_date)))
        notified = (
            f"（{_day(person.address_notification_date)}届出）" if person.address_notification_date else ""
        )
        items.append(Line("住所を定めた年月日", f"{_date(person.address_set_date)}{notified}"))
        if person.previous_address:
            items.append(Line("従前の住所", person.previous_address))
    if options.show_honseki and not foreign:
        items.append(Line("本籍", person.honseki))
        items.append(Line("筆頭者", person.hittousha))
    if options.show_juminhyo_code:
        items.append(Line("住民票コード", person.juminhyo_code))
    if options.show_individual_number:
        items.append(Line("個人番号", person.individual_number or ""))
    if foreign:
        items.extend(_foreign_lines(person, options, country_name))
    notes: list[str] = []
    if options.show_head_and_relationship and person.de_facto_head:  # 備考 type C (4.1.4.3-a)
        notes.append(de_facto_head_remark(person.de_facto_head))
    notes.extend(person.remarks)  # 備考 type C written by clerks (1.1.14-a)
    if foreign and options.prints_foreign(ForeignItem.ALIAS_HISTORY):
        notes.extend(alias_history_notes(person))
    # 特別養子縁組 (解消) and 性別の取扱いの変更 rows are left off printed history (standard 1.1.4-c):
    # the copy shows their result in the current items only.
    printed_history = [e for e in person.history if e.reason not in HIDDEN_ON_PRINTED_HISTORY]
    if options.with_history:  # 留意事項 (type B) belong to their history rows (1.1.14-a)
        notes.extend(
            f"{_day(e.change_date)}　{e.attention_note}" for e in printed_history if e.attention_note
        )
    if options.kind.is_move_out:
        notes.append(f"転出先　{person.planned_destination}")
        notes.append(f"転出予定年月日　{_day(person.move_out_planned_date)}")
    # 5.1-d: on a 住民票の写し, the 転出 items stay off until the planned date; only a 除票 shows them.
    if options.kind.of_removed_record:
        if person.planned_destination:
            notes.append(f"転出先（予定）　{person.planned_destination}")
        if person.removal_reason:
            event = _date(person.removal_event_date) or _day(person.removal_date)
            notes.append(f"{event}　{person.removal_reason}により消除")
        # 除票の誤記訂正 (standard 1.1.5-c): the type-B notes giving each 誤記 and its correct entry.
        notes.extend(
            f"留意事項　{note.text}"
            for note in person.removed_record_notes
            if options.show_honseki or not note.honseki
        )
    history = tuple(_history_line(e) for e in printed_history) if options.with_history else ()
    return PrintedPerson(
        atena_number=person.atena_number,
        name=f"{person.surname}　{person.given_name}".strip("　"),
        furigana=_katakana(person.surname_kana, person.given_name_kana),
        items=tuple(items),
        notes=tuple(notes),
        history=history,
    )


def select_subjects(
    household: Sequence[SourcePerson], options: CertificateOptions, *, issue_date: date
) -> list[SourcePerson]:
    """The people on the certificate, in stored member order; refuses mixing or missing people (5.1-a/e)."""
    by_number = {p.atena_number: p for p in household}
    missing = [n for n in options.atena_numbers if n not in by_number]
    if missing:
        raise refusal(
            "atena_numbers",
            "同じ世帯でない方、または該当しない方が含まれています。",
            "一つの世帯の方だけを選んでください。",
            "certificates.not_same_household",
        )
    if options.kind.is_move_out:
        # Only the people of the named person's 転出, never a member who moved out earlier; a 特例転出
        # gets the stamped print only, any other 転出 a 転出証明書 (4.1.3.0.4-a).
        special = options.kind is CertificateKind.SPECIAL_MOVE_OUT
        if not special and any(by_number[n].special_move_out for n in options.atena_numbers):
            raise _special_move_out_refusal()
        change = by_number[options.atena_numbers[0]].move_out_change_id
        eligible = [
            p
            for p in household
            if has_move_out(p) and p.move_out_change_id == change and p.special_move_out == special
        ]
        wrong = (
            "「特例による転出処理済」の証明書には、特例転出が本登録された方だけを記載できます。"
            if special
            else "転出証明書には、国内転出が本登録された方だけを記載できます。"
        )
    elif not options.kind.of_removed_record:
        eligible = [p for p in household if is_current_on(p, issue_date)]
        wrong = "住民票の写し・記載事項証明書には、現に住民である方だけを記載できます（除票の方は除票で）。"
    else:
        eligible = [p for p in household if has_removed_record(p)]
        wrong = "除票の写し・除票記載事項証明書には、除票のある方だけを記載できます。"
    chosen = (
        eligible
        if options.whole_household
        else [p for p in household if p.atena_number in options.atena_numbers]
    )
    eligible_numbers = {p.atena_number for p in eligible}
    named_ineligible = any(n not in eligible_numbers for n in options.atena_numbers)
    if not chosen or named_ineligible or any(p.atena_number not in eligible_numbers for p in chosen):
        # 5.1-e (X): a removed former member never shares a 世帯連記式 copy with current members.
        raise refusal(
            "atena_numbers", wrong, "対象者と証明書の種類を確認してください。", "certificates.wrong_status"
        )
    if options.kind is CertificateKind.MOVE_OUT and any(
        p.move_out_notification_kind == "職権" for p in chosen
    ):
        # 4.1.3.0.3-a: a 転出 recorded 職権 after the 14 days gets the substitute, not a 転出証明書.
        raise refusal(
            "kind",
            "届出期間を過ぎて職権で記載した転出には、転出証明書を交付できません。",
            "転出証明書に準ずる証明書、または除票の写しを交付してください。",
            "certificates.move_out_late",
        )
    return sorted(chosen, key=lambda p: (p.member_order, p.atena_number))


def _special_move_out_refusal() -> Exception:
    return refusal(
        "kind",
        "特例転出の方の転出証明書情報は住基ネットで転入予定地に送信済みのため、転出証明書は交付しません。",
        "本人の控えが必要な場合は「転出証明書（特例による転出処理済）」を選んで印刷してください。",
        "certificates.special_move_out",
    )


def _overflow() -> Exception:
    return refusal(
        "with_history",
        "履歴が多く、証明書の記載欄に収まりません（文字超過）。",
        "個人票で交付するか、履歴を省略してください。",
        "certificates.text_overflow",
    )


def _address(person: SourcePerson, options: CertificateOptions) -> str:
    """住所 with 方書 (5.4-a), unless a 記載事項証明書's requester asked to leave the 方書 off."""
    if options.omit_katagaki:
        return person.address
    return f"{person.address}　{person.katagaki}".strip("　")


@dataclass(frozen=True)
class _FittedBlock:
    people: list[PrintedPerson]
    address: Fitted
    head_name: Fitted
    overflow: tuple[OverflowEntry, ...]


def _fit_person(person: PrintedPerson, mode: OverflowPrint) -> tuple[PrintedPerson, list[OverflowEntry]]:
    entries: list[OverflowEntry] = []
    name = fit(person.name, NAME_LIMIT, mode)
    if name.overflow:
        entries.append(OverflowEntry(person.name, "氏名", person.name))
    items = []
    for line in person.items:
        fitted = fit(line.value, ITEM_LIMIT, mode)
        if fitted.overflow:
            entries.append(OverflowEntry(person.name, line.label, line.value))
        items.append(Line(line.label, fitted.text, fitted.scale, fitted.overflow))
    printed = replace(
        person, name=name.text, name_scale=name.scale, name_overflow=name.overflow, items=tuple(items)
    )
    return printed, entries


def _fit_block(
    people: Sequence[PrintedPerson], address: str, head_name: str, mode: OverflowPrint
) -> _FittedBlock:
    """Shrink what can be shrunk; collect what overflows for the 文字超過リスト (standard 5.8-a)."""
    entries: list[OverflowEntry] = []
    fitted_address = fit(address, ADDRESS_LIMIT, mode)
    if fitted_address.overflow:
        entries.append(OverflowEntry("", "住所", address))
    fitted_head = fit(head_name, ADDRESS_LIMIT, mode)
    if fitted_head.overflow:
        entries.append(OverflowEntry("", "世帯主", head_name))
    fitted_people = []
    for person in people:
        fitted, person_entries = _fit_person(person, mode)
        fitted_people.append(fitted)
        entries.extend(person_entries)
    return _FittedBlock(fitted_people, fitted_address, fitted_head, tuple(entries))


def _overflow_sheets(block: _FittedBlock) -> list[Sheet]:
    return [Sheet(people=(), overflow=block.overflow)] if block.overflow else []


def _qr_person(person: SourcePerson, printed: PrintedPerson) -> QrPerson:
    return QrPerson(
        juminhyo_code=person.juminhyo_code,
        name=printed.name,
        furigana=printed.furigana.strip("（）"),
        birth_date=recorded_dates.sort_date_of(person.birth_date).isoformat(),
        birth_date_as_recorded=_date(person.birth_date, gregorian=person.kind == ResidentKind.FOREIGN),
        sex=sex_code(person.sex),
        relationship="世帯主" if person.is_head else person.relationship,
        honseki=person.honseki,
        hittousha=person.hittousha,
        nationality=str(person.foreign.get("nationality_code", "")),
    )


def _move_out_data(
    people: Sequence[PrintedPerson], sources: Sequence[SourcePerson], unit_address: str, head_name: str
) -> QrMoveOut:
    first = sources[0]
    planned = first.move_out_planned_date
    return QrMoveOut(
        copy_number="",
        municipality="",
        issue_date="",
        planned_date=planned.isoformat() if planned else "",
        destination=first.planned_destination,
        address=unit_address,
        head_name=head_name,
        notification_kind=first.move_out_notification_kind,
        people=tuple(_qr_person(s, p) for p, s in zip(people, sources, strict=True)),
    )


def with_copy(data: QrMoveOut, *, copy_number: str, municipality: str, issue_date: date) -> QrMoveOut:
    """The QR data of one numbered copy."""
    values = {f.name: getattr(data, f.name) for f in fields(QrMoveOut)}
    values.update(copy_number=copy_number, municipality=municipality, issue_date=issue_date.isoformat())
    return QrMoveOut(**values)


def _household_unit(
    people: list[PrintedPerson], sources: list[SourcePerson], options: CertificateOptions, mode: OverflowPrint
) -> CertificateUnit:
    if options.with_history and any(len(p.history) > HISTORY_LINES_PER_BLOCK for p in people):
        raise _overflow()
    per_sheet = PEOPLE_PER_SHEET_WITH_HISTORY if options.with_history else PEOPLE_PER_SHEET
    head = sources[0]
    address = _address(head, options)
    head_name = head.head_name if options.show_head_and_relationship else ""
    block = _fit_block(people, address, head_name, mode)
    sheets = [Sheet(people=tuple(chunk)) for chunk in split_sheets(block.people, per_sheet)]
    return CertificateUnit(
        subjects=tuple(p.atena_number for p in people),
        address=block.address.text,
        head_name=block.head_name.text,
        sheets=(*sheets, *_overflow_sheets(block)),
        certification=certification_text(
            options.kind, options.layout, whole_household=options.whole_household
        ),
        # The QR code carries the full values, never the shortened ones.
        move_out=_move_out_data(people, sources, address, head_name) if options.kind.carries_qr else None,
        address_scale=block.address.scale,
        head_scale=block.head_name.scale,
    )


def _personal_unit(
    person: PrintedPerson, source: SourcePerson, options: CertificateOptions, mode: OverflowPrint
) -> CertificateUnit:
    address = _address(source, options)
    head_name = source.head_name if options.show_head_and_relationship else ""
    block = _fit_block([person], address, head_name, mode)
    fitted = block.people[0]
    first, rest = fitted.history[:HISTORY_LINES_PER_SHEET], fitted.history[HISTORY_LINES_PER_SHEET:]
    sheets = [Sheet(people=(replace(fitted, history=first),))]
    sheets.extend(
        Sheet(people=(), continued_history=tuple(chunk))
        for chunk in split_sheets(rest, HISTORY_LINES_PER_SHEET)
        if chunk
    )
    sheets.extend(_overflow_sheets(block))
    return CertificateUnit(
        subjects=(person.atena_number,),
        address=block.address.text,
        head_name=block.head_name.text,
        sheets=tuple(sheets),
        certification=certification_text(options.kind, Layout.PERSONAL, whole_household=False),
        move_out=_move_out_data([person], [source], address, head_name) if options.kind.carries_qr else None,
        address_scale=block.address.scale,
        head_scale=block.head_name.scale,
    )


def build_document(
    subjects: list[SourcePerson],
    options: CertificateOptions,
    *,
    issue_date: date,
    official_use: bool,
    country_name: Callable[[str], str],
    overflow_print: OverflowPrint = OverflowPrint.TRUNCATE,
) -> CertificateDocument:
    """The certificate's units and sheets: ≤ 4 people per 世帯連記式 sheet, continuation sheets after,
    and a 文字超過リスト sheet at the end of a unit whose items overflow their boxes (5.8-a)."""
    printed = [printed_person(p, options, issue_date=issue_date, country_name=country_name) for p in subjects]
    if options.layout is Layout.HOUSEHOLD:
        units: tuple[CertificateUnit, ...] = (_household_unit(printed, subjects, options, overflow_print),)
    else:
        units = tuple(
            _personal_unit(p, s, options, overflow_print) for p, s in zip(printed, subjects, strict=True)
        )
    return CertificateDocument(
        kind=options.kind,
        layout=options.layout,
        title=options.kind.label,
        official_use=official_use,
        units=units,
        household_number=subjects[0].household_number,
        subjects=tuple(p.atena_number for p in subjects),
        stamp=options.kind.stamp,
    )
