"""Duties (事務分掌) and roles mapped to sets of permissions: the table C-8 asks for.

A grant names one duty; its permissions are copied into the grant when it is approved, so a later
change of this table never widens an existing grant silently. Field visibility (C-10) is granted per
person as extra permissions on top of a duty; 特定個人情報アクセス権限 comes only from its own duty (C-9).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jumin.accounts.context import current_user
from jumin.accounts.permissions import Permission as P  # noqa: N817 (the table reads better short)


@dataclass(frozen=True)
class Duty:
    """One line of the duty table: a code, its Japanese name and what it allows."""

    code: str
    label: str
    permissions: frozenset[P]
    is_role: bool = False


def _duty(code: str, label: str, *permissions: P, is_role: bool = False) -> Duty:
    return Duty(code=code, label=label, permissions=frozenset(permissions), is_role=is_role)


DUTIES: dict[str, Duty] = {
    duty.code: duty
    for duty in (
        # Work duties (事務).
        _duty(
            "resident_counter",
            "住民記録窓口事務",
            P.RESIDENT_SEARCH,
            P.RESIDENT_VIEW,
            P.RESIDENT_RECORD,
            P.CERTIFICATE_ISSUE,
            P.CERTIFICATE_NOTICE_PRINT,
        ),
        _duty("resident_review", "住民記録審査事務", P.RESIDENT_SEARCH, P.RESIDENT_VIEW, P.RESIDENT_COMMIT),
        _duty(
            "certificate",
            "証明書交付事務",
            P.RESIDENT_SEARCH,
            P.RESIDENT_VIEW,
            P.CERTIFICATE_HISTORY_VIEW,
            P.CERTIFICATE_ISSUE,
            P.CERTIFICATE_NOTICE_PRINT,
            P.CERTIFICATE_SELF_NOTIFICATION_MANAGE,
            P.CERTIFICATE_VERIFY,
            P.CERTIFICATE_VOID,
        ),
        _duty(
            "support_measure",
            "支援措置事務",
            P.RESIDENT_SEARCH,
            P.RESIDENT_VIEW,
            P.SUPPORT_MEASURE_MANAGE,
            P.SUPPORT_MEASURE_VIEW,
        ),
        # Setting/lifting a suppression and releasing it temporarily are separate rights (std 3.1-e).
        _duty("suppression", "抑止設定事務", P.RESIDENT_SEARCH, P.RESIDENT_VIEW, P.SUPPRESSION_MANAGE),
        _duty("individual_number", "特定個人情報アクセス（個人番号利用事務）", P.INDIVIDUAL_NUMBER_ACCESS),
        # Program departments (records.md §6.10; docs/workflows/programs.md): one duty per program.
        _duty("program_electoral_roll", "選挙人名簿事務", P.RESIDENT_VIEW, P.PROGRAM_ELECTORAL_ROLL_EDIT),
        _duty(
            "program_national_health_insurance",
            "国民健康保険事務",
            P.RESIDENT_VIEW,
            P.PROGRAM_NATIONAL_HEALTH_INSURANCE_EDIT,
        ),
        _duty("program_late_elderly", "後期高齢者医療事務", P.RESIDENT_VIEW, P.PROGRAM_LATE_ELDERLY_EDIT),
        _duty("program_long_term_care", "介護保険事務", P.RESIDENT_VIEW, P.PROGRAM_LONG_TERM_CARE_EDIT),
        _duty("program_national_pension", "国民年金事務", P.RESIDENT_VIEW, P.PROGRAM_NATIONAL_PENSION_EDIT),
        _duty("program_child_allowance", "児童手当事務", P.RESIDENT_VIEW, P.PROGRAM_CHILD_ALLOWANCE_EDIT),
        _duty(
            "program_adult_guardianship",
            "成年被後見人事務",
            P.RESIDENT_VIEW,
            P.PROGRAM_ADULT_GUARDIANSHIP_EDIT,
            P.PROGRAM_ADULT_GUARDIANSHIP_VIEW,
        ),
        # The 戸籍 system's account of the file link (std 7.2.1-a): it takes resident data, sets no program.
        _duty("family_register_link", "戸籍連携（住民データの受取）", P.RESIDENT_VIEW),
        # Seeing the 成年被後見人 flag on the record screen, without setting it (std 1.1.1-c).
        _duty("adult_guardianship_view", "成年被後見人の閲覧", P.PROGRAM_ADULT_GUARDIANSHIP_VIEW),
        _duty("individual_number_card", "個人番号カード交付事務", P.RESIDENT_VIEW, P.RESIDENT_CARD_RECORD),
        # Batch jobs are a right of their own (standard 10.3-e); the scheduled job runs as such an account.
        _duty("registry_batch", "住民記録バッチ運用", P.RESIDENT_VIEW, P.RESIDENT_BATCH_RUN),
        _duty("bulk_output", "大量出力・媒体出力事務", P.OUTPUT_BULK_REQUEST),
        # Free-form extraction (EUC) is a right of its own (standard 10.3-e, C-20); docs/euc.md.
        _duty("euc", "EUC抽出事務", P.EUC_EXTRACT, P.OUTPUT_BULK_REQUEST),
        _duty("audit_review", "ログ監査事務", P.AUDIT_REVIEW),
        _duty("masters", "マスタ管理事務", P.MASTERS_EDIT),
        _duty("certificate_settings", "証明書の設定管理事務", P.CERTIFICATE_SETTINGS_MANAGE),
        _duty("network_monitor", "連携監視事務", P.NETWORK_MONITOR),
        # 宛名連携 (standard 7.2.3-a; docs/atena.md): the account an in-house system extracts with.
        _duty("atena_feed", "宛名連携事務", P.ATENA_FEED_EXTRACT),
        # Re-queuing or retiring a set-aside message changes what reaches another node: a duty of its own.
        _duty("network_operate", "連携運用事務", P.NETWORK_MONITOR, P.NETWORK_OPERATE),
        # 全国サーバ・個人番号カード管理システム operators (docs/jukinet-national.md).
        _duty("national_monitor", "全国サーバ監視事務", P.NATIONAL_MONITOR),
        _duty("national_card", "個人番号カード管理事務", P.NATIONAL_MONITOR, P.NATIONAL_CARD_MANAGE),
        _duty("national_fuhyo", "附票全国サーバ照会事務", P.NATIONAL_MONITOR, P.NATIONAL_FUHYO_VIEW),
        # 都道府県サーバ staff (docs/prefecture.md): update monitor and statistics; the temporary
        # 個人番号 of a 国外転出者 is a duty of its own (system.md F21b).
        _duty("prefecture_server", "都道府県サーバ運用事務", P.PREFECTURE_MONITOR, P.PREFECTURE_STATISTICS),
        _duty(
            "prefecture_fuhyo_number", "附票個人番号取得事務", P.PREFECTURE_MONITOR, P.PREFECTURE_FUHYO_NUMBER
        ),
        # 附票の検索 and the 照会 to the 附票全国サーバ (system.md P2 4–5).
        _duty("prefecture_fuhyo", "附票検索・照会事務", P.PREFECTURE_MONITOR, P.PREFECTURE_FUHYO_VIEW),
        # 都道府県 提供・移転 terminals and 開示 (docs/prefecture.md): P4 業務端末, P3 代表端末, P5 端末機.
        _duty("provision_terminal", "業務端末操作者", P.PROVISION_PROVIDE),
        _duty("provision_bulk", "代表端末操作者", P.PROVISION_BULK, P.OUTPUT_BULK_REQUEST),
        _duty("provision_disclosure", "開示担当", P.PROVISION_DISCLOSURE),
        _duty("provision_admin", "提供先管理・統計事務", P.PROVISION_BODY_MANAGE, P.PROVISION_STATISTICS),
        # 統合端末 (M4) operators of the 市町村CS (docs/jukinet.md); only on a biometric-only CS terminal.
        _duty(
            "cs_operator",
            "統合端末操作者",
            P.CS_SEARCH,
            P.CS_IDENTITY_CHECK,
            P.CS_CONSISTENCY,
            P.CS_CARD,
        ),
        # The 戸籍附票 system's account handing 附票本人確認情報 updates to the CS (docs/jukinet.md Flow 9).
        _duty("cs_fuhyo", "附票連携", P.CS_FUHYO),
        # Roles (役割): approvals and administration.
        _duty("section_head", "所属長", P.STAFF_GRANT_REQUEST, P.OUTPUT_MEDIA_SECTION_APPROVE, is_role=True),
        _duty(
            "it_head",
            "情報主管課長",
            P.STAFF_GRANT_APPROVE,
            P.STAFF_GRANT_REPORT,
            P.MEDIA_REGISTER,
            P.OUTPUT_MEDIA_IT_APPROVE,
            P.AUDIT_RETENTION_MANAGE,
            is_role=True,
        ),
        _duty("responsible_manager", "管理責任者", P.OUTPUT_BULK_APPROVE, is_role=True),
        _duty("terminal_admin", "端末機担当者", P.STAFF_MANAGE, P.TERMINAL_MANAGE, is_role=True),
        _duty("personnel", "人事担当", P.HR_EVENT_RECORD, P.STAFF_TRAINING_RECORD, is_role=True),
        _duty("contract_manager", "委託管理担当", P.CONTRACT_MANAGE, is_role=True),
        _duty("suppression_release", "抑止一時解除担当", P.SUPPRESSION_RELEASE, is_role=True),
    )
}

# Per-person field visibility (C-10): hidden unless granted one by one.
FIELD_PERMISSIONS: frozenset[P] = frozenset(
    {
        P.FIELD_INDIVIDUAL_NUMBER_VIEW,
        P.FIELD_HONSEKI_VIEW,
        P.FIELD_JUMINHYO_CODE_VIEW,
        P.FIELD_RESIDENCE_STATUS_VIEW,
    }
)

# What the installation's superuser (システム管理者) holds without grants, so that the first grants can be
# applied for and the system can always be administered. No resident data, no 個人番号 (C-8, C-9).
BOOTSTRAP_ADMIN_PERMISSIONS: frozenset[P] = frozenset(
    {
        P.STAFF_MANAGE,
        P.TERMINAL_MANAGE,
        P.STAFF_GRANT_REQUEST,
        P.STAFF_GRANT_APPROVE,
        P.STAFF_GRANT_REPORT,
        P.HR_EVENT_RECORD,
        P.STAFF_TRAINING_RECORD,
        P.CONTRACT_MANAGE,
        P.MEDIA_REGISTER,
        P.MASTERS_EDIT,
        P.AUDIT_RETENTION_MANAGE,
        P.CERTIFICATE_SETTINGS_MANAGE,
    }
)


#: Permissions that open no resident's data (staff, grants, terminals, media, approvals, masters,
#: monitoring and statistics). Under these a purpose may be a fixed label the screen sets itself; every
#: other permission opens personal data and needs one of the actor's own duties as purpose (C-8, C-43).
ADMINISTRATIVE_PERMISSIONS = frozenset(
    {
        P.AUDIT_RETENTION_MANAGE,
        P.CERTIFICATE_SETTINGS_MANAGE,
        P.CONTRACT_MANAGE,
        P.HR_EVENT_RECORD,
        P.MASTERS_EDIT,
        P.MEDIA_REGISTER,
        P.NATIONAL_MONITOR,
        P.NETWORK_MONITOR,
        P.OUTPUT_BULK_APPROVE,
        P.OUTPUT_BULK_REQUEST,
        P.OUTPUT_MEDIA_IT_APPROVE,
        P.OUTPUT_MEDIA_SECTION_APPROVE,
        P.PREFECTURE_MONITOR,
        P.PREFECTURE_STATISTICS,
        P.PROVISION_BODY_MANAGE,
        P.PROVISION_STATISTICS,
        P.STAFF_GRANT_APPROVE,
        P.STAFF_GRANT_REPORT,
        P.STAFF_GRANT_REQUEST,
        P.STAFF_MANAGE,
        P.STAFF_TRAINING_RECORD,
        P.TERMINAL_MANAGE,
    }
)


def own_duty_choices() -> list[tuple[str, str]]:
    """The purpose selector's choices: the current request user's own duties in force (C-8, C-43).

    Outside a request (a form built by a script or a test) every duty is listed; ``authorize`` still
    refuses a purpose that is not the actor's own.
    """
    user = current_user()
    if user is None or not getattr(user, "is_authenticated", False):
        return duty_choices()
    return duty_choices(user)


def duty_choices(user: Any = None) -> list[tuple[str, str]]:
    """(code, label) pairs for a purpose selector, duties first and roles after.

    With ``user``, only the duties of the user's grants in force (C-8: a user names only their own
    work); without, every duty (for grant forms, which assign duties to others).
    """
    ordered = sorted(DUTIES.values(), key=lambda d: (d.is_role, d.code))
    if user is not None:
        own = duties_of(user)
        ordered = [d for d in ordered if d.code in own]
    return [(d.code, d.label) for d in ordered]


def duties_of(user: Any) -> frozenset[str]:
    """The duty codes of the user's grants in force today: the purposes the user may name (C-8, C-43)."""
    from jumin.accounts.authorization import granted_duties  # the grant tables import this module

    return granted_duties(user)
