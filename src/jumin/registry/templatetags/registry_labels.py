"""Template filters of the registry screens: ``{{ error.field|field_label }}`` (field_labels.py)."""

from __future__ import annotations

from django import template

from jumin.registry.field_labels import field_label as label_of

register = template.Library()


@register.filter
def field_label(code: str) -> str:
    """The Japanese label of an error's or alert's field code."""
    return label_of(str(code or ""))
