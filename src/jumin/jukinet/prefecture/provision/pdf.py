"""The printed disclosure form (開示の帳票): A4, Japanese, set in IPAex明朝 through WeasyPrint.

The font is looked up the way the certificate renderer does (setting ``JUMIN_CERTIFICATE_TEXT_FONT``,
else the Debian IPAex path); this app may not import jumin.certificates.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import HTML

from jumin.jukinet.prefecture.provision.items import ITEMS
from jumin.jukinet.prefecture.selectors import IdentityView

DEFAULT_TEXT_FONT = "/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf"
DEFAULT_FALLBACK_FONT = "/usr/share/fonts/truetype/ipamj/ipamjm.ttf"


def text_font_path() -> Path:
    """IPAex明朝 (``JUMIN_CERTIFICATE_TEXT_FONT``)."""
    return Path(getattr(settings, "JUMIN_CERTIFICATE_TEXT_FONT", DEFAULT_TEXT_FONT))


def fallback_font_path() -> Path:
    """IPAmj明朝 for characters IPAex lacks (``JUMIN_CERTIFICATE_REGISTERED_FONT``)."""
    return Path(getattr(settings, "JUMIN_CERTIFICATE_REGISTERED_FONT", DEFAULT_FALLBACK_FONT))


def disclosure_pdf(*, person: IdentityView, history: list[IdentityView], issued_on: date) -> bytes:
    """The PDF of the form: the 8 items now held, then every version received, oldest first."""
    html = render_to_string(
        "jukinet_provision/disclosure_form.html",
        {
            "rows": [(label, person.item(code)) for code, label in ITEMS.items()],
            "history": [
                {
                    "change_reason": v.change_reason,
                    "change_date": v.change_date,
                    "name": v.name,
                    "birth_date": v.birth_date,
                    "sex": v.item("sex"),
                    "address": v.address,
                    "individual_number": v.individual_number,
                }
                for v in history
            ],
            "issued_on": issued_on.isoformat(),
            "text_font": text_font_path().as_uri(),
            "fallback_font": fallback_font_path().as_uri() if fallback_font_path().exists() else "",
        },
    )
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
