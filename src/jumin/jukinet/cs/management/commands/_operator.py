"""The staff account a CS command runs as (``--operator USERNAME``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def operator(username: str) -> Any:
    """The active account, or CommandError."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError("運用アカウントが見つかりません。--operator の利用者名を確認してください。")
    return user
