"""Audit action tags: ``subject:object:action`` (style.md), one enumeration, alphabetised."""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    """Every kind of event the audit log records. Add new tags in alphabetical order."""

    MASTERS_LOAD_RUN = "masters:load:run"
    RESIDENT_RECORD_VIEW = "resident:record:view"
    STAFF_ACCOUNT_CREATE = "staff:account:create"
    STAFF_LOGIN_FAIL = "staff:login:fail"
    STAFF_LOGIN_SUCCEED = "staff:login:succeed"
    STAFF_LOGOUT_SUCCEED = "staff:logout:succeed"
    STAFF_PASSWORD_RESET = "staff:password:reset"  # noqa: S105 (an audit tag, not a password)


class Outcome(StrEnum):
    """Whether the audited action was carried out."""

    DONE = "done"
    REFUSED = "refused"
