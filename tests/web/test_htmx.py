"""The vendored htmx (docs/architecture.md): the file ships with its licence, base.html loads it
deferred, and the pages it enhances still post plain forms without script."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import reverse

from jumin.accounts.permissions import Permission as P  # noqa: N817


def test_the_vendored_file_and_its_licence_exist() -> None:
    found = finders.find("web/htmx.min.js")
    assert found, "web/htmx.min.js is not a static file"
    text = Path(str(found)).read_text(encoding="utf-8")
    assert re.search(r'version:"2\.\d+\.\d+"', text), "not htmx 2.x"
    licence = finders.find("web/htmx.LICENSE")
    assert licence
    assert "Zero-Clause BSD" in Path(str(licence)).read_text(encoding="utf-8")


def test_base_html_loads_the_vendored_file_deferred() -> None:
    source = Path(get_template("web/base.html").origin.name).read_text(encoding="utf-8")
    assert "<script src=\"{% static 'web/htmx.min.js' %}\" defer></script>" in source


@pytest.mark.django_db
def test_pages_reference_the_file_and_keep_no_history_snapshots(client: Any) -> None:
    body = client.get(reverse("web:login")).content.decode()
    assert f'<script src="{static("web/htmx.min.js")}" defer></script>' in body
    assert '"historyCacheSize": 0' in body


@pytest.mark.django_db
def test_every_form_of_the_admin_screens_posts_without_script(make_staff: Callable[..., Any]) -> None:
    client = make_staff([P.TERMINAL_MANAGE, P.OUTPUT_BULK_REQUEST, P.MEDIA_REGISTER])
    for name in ("web:terminals", "web:approvals"):
        body = client.get(reverse(name)).content.decode()
        forms = re.findall(r"<form\b[^>]*>", body)
        assert forms, name
        for form in forms:
            assert 'method="post"' in form, form
            assert re.search(r'action="/[^"]*"', form), form
