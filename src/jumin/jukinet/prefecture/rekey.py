"""住民票コードの変更 at the 都道府県サーバ: the person's record moves to the new code (issue 8 item 6).

The notice of a change carries the 旧住民票コード. Before the notice is applied, the current record
of the old code takes the new code, so the notice then applies to the same person as an ordinary
update (their history continues under the new code). Each earlier version keeps the code it was
received under, so the old code stays findable; the national node never issues a code twice. The
person's 附票 record (``FuhyoRecord``, its versions keeping their codes) moves the same way, so the
附票 system's own change naming the 旧住民票コード then finds it under the new code.
"""

from __future__ import annotations

from jumin.jukinet.common.notice import IdentityNotice, NoticeReason
from jumin.jukinet.prefecture.models import FuhyoRecord, IdentityRecord


def rekey_record(notice: IdentityNotice) -> None:
    """Move the record of ``notice.former_resident_code`` to the notice's code (inside the handler's
    transaction), and the person's 附票 record too when this node keeps one (Flow 9). Nothing to do
    without a 旧住民票コード; a store that already has a record under the new code is left as it is."""
    if not notice.former_resident_code or notice.reason is not NoticeReason.RESIDENT_CODE_CHANGE:
        return
    for model in (IdentityRecord, FuhyoRecord):
        if not model.objects.filter(resident_code=notice.resident_code).exists():
            model.objects.filter(resident_code=notice.former_resident_code).update(
                resident_code=notice.resident_code
            )


__all__ = ["rekey_record"]
