"""Message and query types of the 都道府県サーバ (registered through jumin.jukinet.routing).

Handled here: ``jukinet.identity_update`` (F13), ``jukinet.fuhyo_update`` (F21a), and the queries
``jukinet.query.identity`` and ``jukinet.query.consistency`` (F14). ``jukinet.identity_update_rejected``
is sent back to the CS, and when it comes from the national node it is relayed to the CS.
"""

from jumin.jukinet import routing
from jumin.jukinet.common.catalogue import (
    FUHYO_UPDATE,
    IDENTITY_UPDATE,
    IDENTITY_UPDATE_REJECTED,
    QUERY_CONSISTENCY,
    QUERY_IDENTITY,
)
from jumin.jukinet.common.consistency import validate_consistency_answer, validate_consistency_payload
from jumin.jukinet.common.fuhyo import validate_fuhyo_payload
from jumin.jukinet.common.notice import validate_notice_payload
from jumin.jukinet.common.queries import validate_identity_answer, validate_identity_query, validate_rejection
from jumin.jukinet.prefecture.consistency import answer_consistency
from jumin.jukinet.prefecture.fuhyo import apply_fuhyo_update
from jumin.jukinet.prefecture.provision.retention import purge_expired as purge_provision_records
from jumin.jukinet.prefecture.queries import answer_identity_query
from jumin.jukinet.prefecture.replies import relay_national_rejection
from jumin.jukinet.prefecture.retention import purge_expired
from jumin.jukinet.prefecture.temporary_numbers import purge_temporary_numbers
from jumin.jukinet.prefecture.updates import apply_identity_update
from jumin.messaging import housekeeping

KIND = "prefecture"

routing.message(IDENTITY_UPDATE, validate=validate_notice_payload, kind=KIND, apply=apply_identity_update)
routing.message(
    IDENTITY_UPDATE_REJECTED, validate=validate_rejection, kind=KIND, apply=relay_national_rejection
)
routing.message(FUHYO_UPDATE, validate=validate_fuhyo_payload, kind=KIND, apply=apply_fuhyo_update)
routing.query(
    QUERY_IDENTITY,
    validate=validate_identity_query,
    validate_answer=validate_identity_answer,
    kind=KIND,
    answer=answer_identity_query,
)
routing.query(
    QUERY_CONSISTENCY,
    validate=validate_consistency_payload,
    validate_answer=validate_consistency_answer,
    kind=KIND,
    answer=answer_consistency,
)

# Deletions the law bounds in time run by the node itself, daily (jumin.messaging.housekeeping).
housekeeping.register("prefecture.purge_temporary_numbers", purge_temporary_numbers, kind=KIND)
housekeeping.register("prefecture.purge_expired", purge_expired, kind=KIND)
housekeeping.register("prefecture.purge_provision_records", purge_provision_records, kind=KIND)
