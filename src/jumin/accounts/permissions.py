"""Permissions as an enumeration (style.md), checked in services, never in templates alone.

Duties (事務) map to sets of these (issue 3 item 2). Tags read ``object:action``; keep them alphabetised.
"""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    """Everything a grant can allow. INDIVIDUAL_NUMBER_ACCESS is implied by no other (controls.md C-9)."""

    # 宛名連携 (standard 7.2.3-a): an in-house system's extract of the 宛名 data, full or delta.
    ATENA_FEED_EXTRACT = "atena:feed:extract"
    AUDIT_RETENTION_MANAGE = "audit:retention:manage"
    AUDIT_REVIEW = "audit:review"
    CERTIFICATE_HISTORY_VIEW = "certificate:history:view"
    CERTIFICATE_ISSUE = "certificate:issue"
    CERTIFICATE_NOTICE_PRINT = "certificate:notice:print"
    CERTIFICATE_SELF_NOTIFICATION_MANAGE = "certificate:self_notification:manage"
    # 記載事項の既定値, 電子公印 and 定型文言 of certificates (standard 5.1-a, 5.6-b); no resident data.
    CERTIFICATE_SETTINGS_MANAGE = "certificate:settings:manage"
    CERTIFICATE_VERIFY = "certificate:verify"
    CERTIFICATE_VOID = "certificate:void"
    CONTRACT_MANAGE = "contract:manage"
    # Free-form extraction (EUC, standard 10.1; its own right, 10.3-e, C-20).
    EUC_EXTRACT = "euc:extract"
    FIELD_HONSEKI_VIEW = "field:honseki:view"
    FIELD_INDIVIDUAL_NUMBER_VIEW = "field:individual_number:view"
    FIELD_JUMINHYO_CODE_VIEW = "field:juminhyo_code:view"
    FIELD_RESIDENCE_STATUS_VIEW = "field:residence_status:view"
    HR_EVENT_RECORD = "hr_event:record"
    INDIVIDUAL_NUMBER_ACCESS = "individual_number:access"
    CS_CARD = "jukinet:cs:card"
    CS_CONSISTENCY = "jukinet:cs:consistency"
    CS_FUHYO = "jukinet:cs:fuhyo"
    CS_IDENTITY_CHECK = "jukinet:cs:identity_check"
    CS_SEARCH = "jukinet:cs:search"
    MASTERS_EDIT = "masters:edit"
    MEDIA_REGISTER = "media:register"
    NATIONAL_CARD_MANAGE = "national:card:manage"
    NATIONAL_FUHYO_VIEW = "national:fuhyo:view"
    NATIONAL_MONITOR = "national:monitor"
    NETWORK_MONITOR = "network:monitor"
    NETWORK_OPERATE = "network:operate"
    OUTPUT_BULK_APPROVE = "output:bulk:approve"
    OUTPUT_BULK_REQUEST = "output:bulk:request"
    OUTPUT_MEDIA_IT_APPROVE = "output:media:it_approve"
    OUTPUT_MEDIA_SECTION_APPROVE = "output:media:section_approve"
    # Program flags (records.md §6.10): each is set only by the department that owns the program.
    # 成年被後見人 (std 1.1.1-c) is sensitive: viewing it is a right of its own, not RESIDENT_VIEW.
    PROGRAM_ADULT_GUARDIANSHIP_EDIT = "program:adult_guardianship:edit"
    PROGRAM_ADULT_GUARDIANSHIP_VIEW = "program:adult_guardianship:view"
    PROGRAM_CHILD_ALLOWANCE_EDIT = "program:child_allowance:edit"
    PROGRAM_ELECTORAL_ROLL_EDIT = "program:electoral_roll:edit"
    PROGRAM_LATE_ELDERLY_EDIT = "program:late_elderly:edit"
    PROGRAM_LONG_TERM_CARE_EDIT = "program:long_term_care:edit"
    PROGRAM_NATIONAL_HEALTH_INSURANCE_EDIT = "program:national_health_insurance:edit"
    PROGRAM_NATIONAL_PENSION_EDIT = "program:national_pension:edit"
    # 都道府県サーバ・附票都道府県サーバ (docs/prefecture.md).
    PREFECTURE_FUHYO_NUMBER = "prefecture:fuhyo:number"
    PREFECTURE_FUHYO_VIEW = "prefecture:fuhyo:view"
    PREFECTURE_MONITOR = "prefecture:monitor"
    PREFECTURE_STATISTICS = "prefecture:statistics"
    # 都道府県 提供・移転・開示 (docs/prefecture.md).
    PROVISION_BODY_MANAGE = "provision:body:manage"
    PROVISION_BULK = "provision:bulk"
    PROVISION_DISCLOSURE = "provision:disclosure"
    PROVISION_PROVIDE = "provision:provide"
    PROVISION_STATISTICS = "provision:statistics"
    RESIDENT_BATCH_RUN = "resident:batch:run"
    RESIDENT_CARD_RECORD = "resident:card:record"
    RESIDENT_COMMIT = "resident:commit"
    RESIDENT_RECORD = "resident:record"
    RESIDENT_SEARCH = "resident:search"
    RESIDENT_VIEW = "resident:view"
    STAFF_GRANT_APPROVE = "staff:grant:approve"
    STAFF_GRANT_REPORT = "staff:grant:report"
    STAFF_GRANT_REQUEST = "staff:grant:request"
    STAFF_MANAGE = "staff:manage"
    STAFF_TRAINING_RECORD = "staff:training:record"
    SUPPORT_MEASURE_MANAGE = "support_measure:manage"
    SUPPORT_MEASURE_VIEW = "support_measure:view"
    SUPPRESSION_MANAGE = "suppression:manage"
    SUPPRESSION_RELEASE = "suppression:release"
    TERMINAL_MANAGE = "terminal:manage"
