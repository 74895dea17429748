"""Typed errors and alerts shared by every domain parser and validator.

Every rejection names the field, the reason and the remedy in Japanese, so that a
clerk can correct the input without help (issue: "never a crash, never a silent
guess"). Messages never contain the rejected value itself: the value may be
personal data (a 個人番号, a name) and messages end up in logs.
"""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(ValueError):
    """An input that the domain refuses.

    ``field`` is the code name of the input field (e.g. ``"birth_date"``),
    ``reason`` and ``remedy`` are Japanese sentences shown to the clerk,
    ``code`` is a stable machine-readable identifier (e.g. ``"wareki.after_era_end"``).
    """

    def __init__(self, *, field: str, reason: str, remedy: str, code: str) -> None:
        self.field = field
        self.reason = reason
        self.remedy = remedy
        self.code = code
        super().__init__(f"{field}: {reason}（{remedy}）")

    def as_dict(self) -> dict[str, str]:
        """The error as the JSON body an API returns."""
        return {"field": self.field, "reason": self.reason, "remedy": self.remedy, "code": self.code}


@dataclass(frozen=True)
class Alert:
    """A warning that lets the input through but must be shown to the clerk (standard §18)."""

    field: str
    message: str
    code: str


def refusal(field: str, reason: str, remedy: str, code: str) -> DomainError:
    """Positional shorthand for a DomainError, for modules that refuse many inputs."""
    return DomainError(field=field, reason=reason, remedy=remedy, code=code)
