"""The Japanese label of every field code a registry error or alert names (one place for all screens).

Services name fields by code (``DomainError.field``, ``Alert.field``: 「honseki」,
「members[1].birth_date」, 「items.hittousha」); screens show the clerk the label (「本籍」,
「異動する方（2人目）の生年月日」, 「修正する項目: 筆頭者」) through the ``field_label`` template
filter (templatetags/registry_labels.py). A code without a
label is shown as it is, so a new field is never hidden.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

FIELD_LABELS: Mapping[str, str] = {
    "acknowledged_alerts": "確認した注意",
    "acquired_on": "取得日",
    "action": "処理の種類",
    "address": "住所",
    "address_code": "住所コード",
    "address_kana": "住所の読み",
    "address_set_date": "住所を定めた日",
    "alias": "通称",
    "alias_kana": "通称フリガナ",
    "alphabet_name": "氏名（アルファベット）",
    "application_date": "申出日",
    "atena_number": "宛名番号",
    "atena_numbers": "対象の方の宛名番号",
    "became_foreign_resident_on": "外国人住民となった日",
    "birth_date": "生年月日",
    "cause_detail": "再製の原因の内容",
    "certificate_number": "特別永住者証明書番号",
    "change_date": "異動日",
    "change_id": "異動番号",
    "change_ids": "異動番号",
    "corrections": "資料により訂正する記載事項",
    "criteria": "検索条件",
    "date": "日付",
    "de_facto_head": "事実上の世帯主",
    "death_date": "死亡日",
    "decision_date": "失踪宣告の裁判確定日",
    "deemed_death_date": "死亡とみなされる日",
    "destination": "転出先",
    "destination_municipality_code": "転入予定地の市町村コード",
    "end_date": "終了日",
    "event_date": "戸籍の届出日（異動日）",
    "expiry": "有効期間の満了日",
    "expiry_date": "満了日",
    "family_register_event": "戸籍の事件",
    "findings": "確認した事実",
    "foreign_category": "30条の45区分",
    "former_alien_registration_date": "旧外登法登録年月日",
    "former_municipality_code": "転出地の市町村コード",
    "former_surname": "旧氏",
    "former_surname_kana": "旧氏フリガナ",
    "found_on": "事実を確認した日",
    "given_name": "名",
    "given_name_kana": "名フリガナ",
    "grounds": "事由",
    "hittousha": "筆頭者",
    "honseki": "本籍",
    "household_number": "世帯番号",
    "individual_number": "個人番号",
    "informant": "届出人の資格",
    "issued_on": "交付年月日",
    "items": "修正する項目",
    "juminhyo_code": "住民票コード",
    "katagaki": "方書",
    "kind": "住民種別",
    "landing_period": "上陸期間",
    "legal_basis": "根拠法令",
    "lost_on": "喪失日",
    "members": "異動する方",
    "minor_case": "軽微な修正の区分",
    "move_date": "転居日",
    "move_in_date": "転入日",
    "movers": "取り消す異動者",
    "nationality_code": "国籍・地域",
    "notice_date": "通知日",
    "notification_date": "届出日",
    "notification_kind": "届出区分",
    "notified_on": "通知日",
    "notifying_municipality": "通知した市区町村",
    "planned_date": "転出予定日",
    "postal_code": "郵便番号",
    "previous_address": "転入前住所",
    "procedure": "手続",
    "provisional_stay_period": "仮滞在期間",
    "purpose": "利用目的",
    "reason": "理由",
    "relationship": "続柄",
    "relationships": "続柄",
    "removal_date": "消除日",
    "removal_reason": "消除事由",
    "residence_card_number": "在留カード番号",
    "restored_on": "再製日",
    "revocation_date": "取消しの裁判確定日",
    "sex": "性別",
    "sources": "再製の基礎とした資料",
    "surname": "氏",
    "surname_kana": "氏フリガナ",
    "target_household_number": "移る先の世帯番号",
    "transitional_reason": "経過滞在者の別",
}
# Prefixes that say whose field it is: 「child.birth_date」 → 「出生子の生年月日」.
_OWNER_LABELS: Mapping[str, str] = {"child": "出生子", "items": "修正する項目"}
_INDEXED = re.compile(r"^(?P<name>[a-z_]+)\[(?P<index>\d+)\]$")


def _part_label(part: str) -> str:
    indexed = _INDEXED.match(part)
    if indexed:
        name = FIELD_LABELS.get(indexed["name"], indexed["name"])
        return f"{name}（{int(indexed['index']) + 1}人目）"
    return FIELD_LABELS.get(part, part)


def field_label(code: str) -> str:
    """The label of a field code, e.g. 「honseki」 → 「本籍」 (see the module docstring)."""
    if not code:
        return ""
    *owners, name = code.split(".")
    label = _part_label(name)
    if not owners:
        return label
    owner = "の".join(_OWNER_LABELS.get(part, _part_label(part)) for part in owners)
    separator = ": " if owners == ["items"] else "の"
    return f"{owner}{separator}{label}"
