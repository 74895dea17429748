"""``{% support_banner people %}``: the 「支援」 banner and pop-up on every screen showing a person.

One tag for every screen family (person record, history, drafts and their review, cancellation,
certificate notices), so that a protected person (支援措置, controls.md C-37, standard 2.2.4-a) is
flagged the same way wherever they appear. ``people`` is a 宛名番号, an object with ``atena_number``,
``atena_numbers`` or ``people``, or an iterable of these, nested as the screen has them. Place it once
per page: the pop-up has a fixed id.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django import template

from jumin.registry.selectors_restrictions import notices_for

register = template.Library()


def _numbers(value: Any) -> Iterator[str]:
    if value is None:
        return
    if isinstance(value, str):
        if value.strip():
            yield value.strip()
        return
    for name in ("atena_number", "atena_numbers", "people"):
        if hasattr(value, name):
            yield from _numbers(getattr(value, name))
            return
    if isinstance(value, dict):
        yield from _numbers(value.get("atena_number"))
        return
    if isinstance(value, Iterable):
        for item in value:
            yield from _numbers(item)


@register.inclusion_tag("registry/restrictions/_support_notice.html")
def support_banner(*people: Any) -> dict[str, Any]:
    """The banner context for everybody the screen shows (unaudited flags, beside an audited read)."""
    return {"notices": notices_for(_numbers(people))}
