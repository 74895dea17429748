"""What the 都道府県サーバ handles (every type is registered by jumin.jukinet.routing).

Handled here: ``jukinet.identity_update`` (F13), ``jukinet.fuhyo_update`` (F21a), and the queries
``jukinet.query.identity``, ``jukinet.query.consistency`` and ``jukinet.query.consistency_digest`` (F14)
and ``jukinet.query.fuhyo_consistency`` (004 2-⑥). ``jukinet.identity_update_rejected`` is sent back to
the CS, and when it comes from the national node it is relayed to the CS.
"""

from jumin.jukinet import routing
from jumin.jukinet.common import catalogue
from jumin.jukinet.prefecture.consistency import (
    answer_consistency,
    answer_consistency_digest,
    answer_fuhyo_consistency,
)
from jumin.jukinet.prefecture.fuhyo import apply_fuhyo_update
from jumin.jukinet.prefecture.provision.retention import purge_expired as purge_provision_records
from jumin.jukinet.prefecture.queries import answer_identity_query
from jumin.jukinet.prefecture.replies import relay_national_rejection
from jumin.jukinet.prefecture.retention import purge_expired
from jumin.jukinet.prefecture.shared_cs import apply_member_list
from jumin.jukinet.prefecture.temporary_numbers import purge_temporary_numbers
from jumin.jukinet.prefecture.updates import apply_identity_update, apply_identity_updates
from jumin.messaging import housekeeping

KIND = "prefecture"

routing.handle(
    catalogue.IDENTITY_UPDATE, kind=KIND, apply=apply_identity_update, apply_many=apply_identity_updates
)
routing.handle(catalogue.IDENTITY_UPDATE_REJECTED, kind=KIND, apply=relay_national_rejection)
routing.handle(catalogue.FUHYO_UPDATE, kind=KIND, apply=apply_fuhyo_update)
routing.handle(catalogue.SHARED_CS_MEMBERS, kind=KIND, apply=apply_member_list)
routing.answer(catalogue.QUERY_IDENTITY, kind=KIND, answer=answer_identity_query)
routing.answer(catalogue.QUERY_CONSISTENCY, kind=KIND, answer=answer_consistency)
routing.answer(catalogue.QUERY_CONSISTENCY_DIGEST, kind=KIND, answer=answer_consistency_digest)
routing.answer(catalogue.QUERY_FUHYO_CONSISTENCY, kind=KIND, answer=answer_fuhyo_consistency)

# Deletions the law bounds in time run by the node itself, daily (jumin.messaging.housekeeping).
housekeeping.register("prefecture.purge_temporary_numbers", purge_temporary_numbers, kind=KIND)
housekeeping.register("prefecture.purge_expired", purge_expired, kind=KIND)
housekeeping.register("prefecture.purge_provision_records", purge_provision_records, kind=KIND)
