"""Permissions as an enumeration (style.md), checked in services, never in templates alone.

Duties (事務) map to sets of these (issue 3 item 2). Tags read ``object:action``; keep them alphabetised.
"""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    """Everything a grant can allow. INDIVIDUAL_NUMBER_ACCESS is implied by no other (controls.md C-9)."""

    AUDIT_REVIEW = "audit:review"
    CERTIFICATE_ISSUE = "certificate:issue"
    CERTIFICATE_VERIFY = "certificate:verify"
    CERTIFICATE_VOID = "certificate:void"
    CONTRACT_MANAGE = "contract:manage"
    FIELD_HONSEKI_VIEW = "field:honseki:view"
    FIELD_INDIVIDUAL_NUMBER_VIEW = "field:individual_number:view"
    FIELD_JUMINHYO_CODE_VIEW = "field:juminhyo_code:view"
    FIELD_RESIDENCE_STATUS_VIEW = "field:residence_status:view"
    HR_EVENT_RECORD = "hr_event:record"
    INDIVIDUAL_NUMBER_ACCESS = "individual_number:access"
    MASTERS_EDIT = "masters:edit"
    MEDIA_REGISTER = "media:register"
    NETWORK_MONITOR = "network:monitor"
    OUTPUT_BULK_APPROVE = "output:bulk:approve"
    OUTPUT_BULK_REQUEST = "output:bulk:request"
    OUTPUT_MEDIA_IT_APPROVE = "output:media:it_approve"
    OUTPUT_MEDIA_SECTION_APPROVE = "output:media:section_approve"
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
