"""Masters fixtures: real postal data for a few prefectures, loaded once for this package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_django import DjangoDbBlocker

from jumin.masters.loading import LoadSummary, load_masters
from jumin.masters.models import AddressArea, Country, Municipality, Prefecture
from jumin.masters.postal import PostalMasters, read_postal_masters

# 北海道 (札幌市), 東京都 (special wards), 神奈川県 (3 designated cities), 大阪府 (堺市), 長崎県 (node).
LOADED_PREFECTURES = ["01", "13", "14", "27", "42"]


def clear_masters() -> None:
    """Empty the master tables, wards before the designated cities they point to."""
    AddressArea.objects.all().delete()
    Municipality.objects.filter(parent__isnull=False).delete()
    Municipality.objects.all().delete()
    Prefecture.objects.all().delete()
    Country.objects.all().delete()


@pytest.fixture(scope="package")
def loaded_masters(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[LoadSummary]:
    """Masters of LOADED_PREFECTURES, committed; removed afterwards so other packages see none."""
    with django_db_blocker.unblock():
        summary = load_masters(LOADED_PREFECTURES)
    yield summary
    with django_db_blocker.unblock():
        clear_masters()


@pytest.fixture(scope="session")
def national_postal_data() -> PostalMasters:
    """The whole country's postal data, parsed without a database."""
    return read_postal_masters()
