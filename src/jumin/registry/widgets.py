"""Form widgets shared by the registry screens.

``GlyphAidInput`` (外字入力補助, standard 2.1.3-e) is a text input with an aid beside it for the
characters a keyboard cannot type: a code point (「U+9AD9」) or a kanji whose variants to list. The
aid's own input is detached from the screen's form (``form="…"`` naming no form), so the screen's
form never posts it; htmx posts it alone, with the CSRF token, to ``registry:input_help_glyph`` and
a picked glyph is inserted at the cursor (``web/glyph_aid.js``). Without scripts the aid does nothing
and the 入力補助 page offers the same lookup.
"""

from __future__ import annotations

from django import forms

__all__ = ["GLYPH_AID_DETACHED_FORM", "GlyphAidInput", "KatagakiAidInput"]

GLYPH_AID_DETACHED_FORM = "glyph-aid-detached"
"""The ``form`` attribute of the aid's input: no element has this id, so no form owns the input."""


class GlyphAidInput(forms.TextInput):
    """A name field with the 外字 aid (code-point entry and variant picker) beside it."""

    template_name = "registry/widgets/glyph_aid.html"

    def get_context(self, name: str, value: object, attrs: dict[str, object] | None) -> dict[str, object]:
        context = super().get_context(name, value, attrs)
        context["detached_form"] = GLYPH_AID_DETACHED_FORM
        return context


class KatagakiAidInput(forms.TextInput):
    """The 方書 field with 「方書の候補を表示」 beside it (standard 4.0.7-a).

    htmx posts the form's address field (the 方書 field's id with ``katagaki`` replaced by
    ``address``) with the CSRF token to ``registry:input_help_katagaki``; a picked 方書 fills the
    field (``web/katagaki_aid.js``). Without scripts the 入力補助 page offers the same lookup.
    """

    template_name = "registry/widgets/katagaki_aid.html"

    def get_context(self, name: str, value: object, attrs: dict[str, object] | None) -> dict[str, object]:
        context = super().get_context(name, value, attrs)
        field_id = str(context["widget"]["attrs"].get("id", f"id_{name}"))
        context["address_id"] = field_id.removesuffix("katagaki") + "address"
        return context
