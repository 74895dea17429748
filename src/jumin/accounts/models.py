"""Staff accounts. A custom user model from day one, so later issues can extend it without a swap."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """One account per person (controls.md: no shared accounts).

    ``display_name`` is copied into audit entries so that they stay readable after the account
    is deactivated; accounts are deactivated, never deleted.
    """

    display_name = models.CharField("氏名", max_length=100, blank=True)
    department = models.CharField("所属", max_length=100, blank=True)

    class Meta:
        verbose_name = "職員"
        verbose_name_plural = "職員"

    def __str__(self) -> str:
        return self.display_name or self.username
