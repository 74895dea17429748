"""Error reports that never carry a 個人番号 (controls.md C-54), whatever view or middleware failed.

Django's ``SafeExceptionReporterFilter`` hides only what a view marked with ``sensitive_post_parameters``
and ``sensitive_variables``; an exception raised before the view runs (in a middleware) reports the raw
POST body. This filter, set as ``DEFAULT_EXCEPTION_REPORTER_FILTER``, also hides

- every POST field whose name looks like a 個人番号 (the ``crypto.E001`` name pattern), and
- every POST value or frame variable whose text holds 12 digits, ASCII or full-width, possibly grouped.
"""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.views.debug import SafeExceptionReporterFilter

from jumin.crypto.checks import NAME_PATTERN

__all__ = ["IndividualNumberReporterFilter", "looks_like_it_holds_a_number"]

_DIGIT = r"[0-9０-９]"
_SEP = r"[ \u3000\-‐－ー]?"
_TWELVE_DIGITS = re.compile(
    rf"(?<![0-9０-９]){_DIGIT}{{4}}{_SEP}{_DIGIT}{{4}}{_SEP}{_DIGIT}{{4}}(?![0-9０-９])"
)


def looks_like_it_holds_a_number(text: str) -> bool:
    """True if the text holds a run of exactly 12 digits (a possible 個人番号), grouped 4-4-4 or not."""
    return bool(_TWELVE_DIGITS.search(text))


class IndividualNumberReporterFilter(SafeExceptionReporterFilter):
    """SafeExceptionReporterFilter that also masks anything that may be a 個人番号, in every request."""

    def _hide(self, name: str, value: Any) -> bool:
        if NAME_PATTERN.search(name):
            return True
        try:
            text = value if isinstance(value, str) else repr(value)
        except Exception:  # a broken __repr__ must not break the error report
            return False
        return looks_like_it_holds_a_number(text)

    def get_post_parameters(self, request: HttpRequest | None) -> Any:
        params = super().get_post_parameters(request)
        if request is None or not params:
            return params
        cleansed = params.copy() if isinstance(params, MultiValueDict) else dict(params)
        for name in list(cleansed.keys()):
            values = params.getlist(name) if isinstance(params, MultiValueDict) else [params[name]]
            if any(self._hide(name, value) for value in values):
                cleansed[name] = self.cleansed_substitute
        return cleansed

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> Any:
        return [
            (name, self.cleansed_substitute if self._hide(name, value) else value)
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]
