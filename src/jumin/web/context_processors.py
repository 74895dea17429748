"""Template context every page needs."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

NODE_KIND_LABELS = {
    "municipality": "市区町村",
    "prefecture": "都道府県",
    "national": "全国",
    "nyukan_terminal": "入管連携端末",
    "nyukan_agency": "出入国在留管理庁（模擬）",
}


def node(request: HttpRequest) -> dict[str, object]:
    """The node this page is served by, shown in the header so a clerk always knows where they are."""
    return {
        "node_kind": settings.JUMIN_NODE_KIND,
        "node_kind_label": NODE_KIND_LABELS.get(settings.JUMIN_NODE_KIND, settings.JUMIN_NODE_KIND),
        "node_code": settings.JUMIN_NODE_CODE,
        "demo_mode": settings.JUMIN_DEMO,
    }
