"""Audit action tags: ``subject:object:action`` (style.md), one enumeration, alphabetised."""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    """Every kind of event the audit log records. Add new tags in alphabetical order."""

    APPROVAL_REQUEST_CREATE = "approval:request:create"
    APPROVAL_REQUEST_DECIDE = "approval:request:decide"
    APPROVAL_REQUEST_LIST = "approval:request:list"
    AUDIT_REVIEW_ACKNOWLEDGE = "audit:review:acknowledge"
    AUDIT_REVIEW_VIEW = "audit:review:view"
    CRYPTO_KEY_ROTATE = "crypto:key:rotate"
    MASTERS_LOAD_RUN = "masters:load:run"
    MEDIA_MEDIUM_REGISTER = "media:medium:register"
    MEDIA_OUTPUT_RECORD = "media:output:record"
    RESIDENT_BIRTH_RECORD = "resident:birth:record"
    RESIDENT_CHANGE_COMMIT = "resident:change:commit"
    RESIDENT_CHANGE_DISCARD = "resident:change:discard"
    RESIDENT_CHANGE_VIEW = "resident:change:view"
    RESIDENT_CODE_POOL_LOAD = "resident:code_pool:load"
    RESIDENT_DEATH_RECORD = "resident:death:record"
    RESIDENT_HISTORY_VIEW = "resident:history:view"
    RESIDENT_HOUSEHOLD_CHANGE_RECORD = "resident:household_change:record"
    RESIDENT_IMPORT_RUN = "resident:import:run"
    RESIDENT_MOVE_IN_RECORD = "resident:move_in:record"
    RESIDENT_MOVE_OUT_RECORD = "resident:move_out:record"
    RESIDENT_MOVE_WITHIN_RECORD = "resident:move_within:record"
    RESIDENT_RECORD_LIST = "resident:record:list"
    RESIDENT_RECORD_VIEW = "resident:record:view"
    STAFF_ACCOUNT_CREATE = "staff:account:create"
    STAFF_ACCOUNT_LIST = "staff:account:list"
    STAFF_ACCOUNT_LOCK = "staff:account:lock"
    STAFF_ACCOUNT_UNLOCK = "staff:account:unlock"
    STAFF_CONTRACT_LIST = "staff:contract:list"
    STAFF_CONTRACT_REGISTER = "staff:contract:register"
    STAFF_FACTOR_ENROL = "staff:factor:enrol"
    STAFF_FACTOR_FAIL = "staff:factor:fail"
    STAFF_GRANT_APPLY = "staff:grant:apply"
    STAFF_GRANT_DECIDE = "staff:grant:decide"
    STAFF_GRANT_LAPSE = "staff:grant:lapse"
    STAFF_GRANT_LIST = "staff:grant:list"
    STAFF_GRANT_REAPPLY = "staff:grant:reapply"
    STAFF_GRANT_RECONCILE = "staff:grant:reconcile"
    STAFF_HR_EVENT_LIST = "staff:hr_event:list"
    STAFF_HR_EVENT_RECORD = "staff:hr_event:record"
    STAFF_LOGIN_FAIL = "staff:login:fail"
    STAFF_LOGIN_SUCCEED = "staff:login:succeed"
    STAFF_LOGOUT_SUCCEED = "staff:logout:succeed"
    STAFF_PASSWORD_ACCEPT = "staff:password:accept"  # noqa: S105 (an audit tag, not a password)
    STAFF_PASSWORD_CHANGE = "staff:password:change"  # noqa: S105 (an audit tag, not a password)
    STAFF_PASSWORD_RESET = "staff:password:reset"  # noqa: S105 (an audit tag, not a password)
    STAFF_ROSTER_REMOVE = "staff:roster:remove"
    STAFF_SESSION_LOCK = "staff:session:lock"
    STAFF_SESSION_REFUSE = "staff:session:refuse"
    STAFF_SESSION_UNLOCK = "staff:session:unlock"
    STAFF_TRAINING_RECORD = "staff:training:record"
    TERMINAL_ENROLMENT_COMPLETE = "terminal:enrolment:complete"
    TERMINAL_LIST_VIEW = "terminal:list:view"
    TERMINAL_REGISTRATION_CREATE = "terminal:registration:create"


class Outcome(StrEnum):
    """Whether the audited action was carried out."""

    DONE = "done"
    REFUSED = "refused"
