"""The 「ヘルプ」 panel and the 「画面ハードコピー」 button of every clerk screen (std 10.5-a, 10.7-a)."""

from __future__ import annotations

from typing import Any

from django import template

from jumin.web.screen_help import help_for

register = template.Library()


def _view_name(context: template.Context) -> str:
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    return str(getattr(match, "view_name", "") or "")


@register.inclusion_tag("web/_screen_tools.html", takes_context=True)
def screen_tools(context: template.Context) -> dict[str, Any]:
    """The help of the current screen (by URL name), with the labels of its form as the inputs."""
    view_name = _view_name(context)
    form: Any = context.get("form")
    fields = form.visible_fields() if hasattr(form, "visible_fields") else []
    return {
        "entry": help_for(view_name),
        "inputs": [str(field.label) for field in fields if field.label],
        "view_name": view_name,
        "csrf_token": context.get("csrf_token"),
    }
