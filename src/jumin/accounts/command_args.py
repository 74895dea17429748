"""Arguments every operator command parses alike: ``--operator USERNAME`` and ``--date YYYY-MM-DD``."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def operator_account(username: str) -> Any:
    """The active staff account a command runs as, or CommandError (authorisation follows in the service)."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError("運用アカウントが見つかりません。--operator の利用者名を確認してください。")
    return user


def as_of_day(text: str | None) -> date | None:
    """``--date`` as a day (None when not given, for "today"), or CommandError naming the format."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError("--date は YYYY-MM-DD で指定してください。") from None
