"""Synchronous signed queries over real mutual TLS on loopback (docs/network.md "Queries")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction

from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError, refusal
from jumin.messaging import conf, handlers, queries, services
from jumin.messaging.envelope import Envelope, key_id
from jumin.messaging.identity import LocalNode, Peer, add_peer, peer_entry, public_key_text
from jumin.messaging.models import InboxMessage, OutboxMessage
from jumin.messaging.tls import RawResponse
from tests.messaging.conftest import PREFECTURE, Federation

QUERY_TYPE = "test.lookup"
SECRET = "個人番号らしき値123456789012"


def validate_question(payload: dict[str, Any]) -> None:
    if set(payload) != {"key"} or not isinstance(payload["key"], str):
        raise refusal("key", "照会キーが不正です。", "key（文字列）を送ってください。", "test.question")


def validate_answer(payload: dict[str, Any]) -> None:
    if set(payload) != {"length", "by"} or not isinstance(payload["length"], int):
        raise refusal("answer", "回答が不正です。", "length と by を返してください。", "test.answer")


def answer(envelope: Envelope) -> dict[str, Any]:
    key = envelope.payload["key"]
    if key == "refuse":
        raise refusal("key", "該当する住民がいません。", "照会キーを確認してください。", "test.not_found")
    if key == "unhandled":
        raise handlers.HandlerRefused("not here")
    return {"length": len(key), "by": str(conf.local_node().ref)}


@pytest.fixture
def lookup() -> Iterator[None]:
    handlers.register_query(
        QUERY_TYPE, validate=validate_question, validate_answer=validate_answer, answer=answer
    )
    yield
    handlers.unregister_query(QUERY_TYPE)


def ask(fed: Federation, key: str, node: LocalNode | None = None) -> dict[str, Any]:
    return services.query(
        query_type=QUERY_TYPE, receiver=PREFECTURE, payload={"key": key}, node=node or fed.municipality.node
    )


def audits(action: str) -> list[tuple[str, str]]:
    entries = AuditEntry.objects.filter(action=action).order_by("seq")
    return [(entry.outcome, entry.outcome_reason) for entry in entries]


def test_a_query_is_answered_over_mutual_tls_and_audited_at_both_ends(
    federation: Federation, lookup: None
) -> None:
    assert ask(federation, "abc") == {"length": 3, "by": "prefecture:420000"}
    federation.prefecture.wait_idle()
    assert audits("node:query:send") == [("done", "")]
    assert audits("node:query:answer") == [("done", "")]
    # Queries leave no messaging state.
    assert not OutboxMessage.objects.exists()
    assert not InboxMessage.objects.exists()
    # No payload value in any audit entry.
    for entry in AuditEntry.objects.filter(action__startswith="node:query"):
        assert "abc" not in entry.reason


def test_a_query_and_answer_may_exceed_the_message_limit(federation: Federation, lookup: None) -> None:
    big = "x" * 1_500_000  # over the inbox's 1 MiB, under the query limit
    assert ask(federation, big)["length"] == 1_500_000


def test_a_refusal_of_the_answerer_becomes_the_same_domain_error(
    federation: Federation, lookup: None
) -> None:
    with pytest.raises(DomainError) as raised:
        ask(federation, "refuse")
    assert (raised.value.code, raised.value.field) == ("test.not_found", "key")
    assert raised.value.reason == "該当する住民がいません。"
    federation.prefecture.wait_idle()
    assert audits("node:query:answer") == [("refused", "test.not_found")]
    assert audits("node:query:send") == [("refused", "test.not_found")]


def test_an_answerer_that_does_not_handle_the_query_answers_not_handled(
    federation: Federation, lookup: None
) -> None:
    with pytest.raises(DomainError) as raised:
        ask(federation, "unhandled")
    assert raised.value.code == "messaging.query_not_handled"


def test_a_bad_question_is_refused_before_anything_is_sent(federation: Federation, lookup: None) -> None:
    with pytest.raises(DomainError) as raised:
        services.query(
            query_type=QUERY_TYPE, receiver=PREFECTURE, payload={"key": 1}, node=federation.municipality.node
        )
    assert raised.value.code == "test.question"
    assert audits("node:query:send") == []


def test_an_unknown_or_reserved_query_type_is_refused(federation: Federation, lookup: None) -> None:
    with pytest.raises(DomainError) as raised:
        services.query(
            query_type="test.nothing", receiver=PREFECTURE, payload={}, node=federation.municipality.node
        )
    assert raised.value.code == "messaging.unknown_type"
    with pytest.raises(ValueError, match="reserved"):
        handlers.register_query(
            "messaging.lookup", validate=validate_question, validate_answer=validate_answer, answer=answer
        )
    assert handlers.lookup_query("messaging.lookup") is None


def test_an_answer_signed_with_another_key_is_refused(federation: Federation, lookup: None) -> None:
    # The municipality now expects another key for the prefecture: the real answer no longer verifies.
    impostor = Ed25519PrivateKey.generate().public_key()
    entry = peer_entry(federation.prefecture.node, federation.prefecture.url)
    entry["signing_keys"] = [{"kid": key_id(impostor), "public_key": public_key_text(impostor)}]
    add_peer(federation.municipality.directory, entry)
    with pytest.raises(DomainError) as raised:
        ask(federation, SECRET)
    assert raised.value.code == "messaging.query_invalid_answer"
    assert SECRET not in str(raised.value)
    assert audits("node:query:send") == [("refused", "messaging.query_invalid_answer")]


def test_an_answer_to_another_query_is_refused(federation: Federation, lookup: None) -> None:
    captured: list[RawResponse] = []

    def replaying(node: LocalNode, peer: Peer, token: bytes, timeout: float) -> RawResponse:
        if not captured:
            captured.append(queries._tls_transport(node, peer, token, timeout))
        return captured[0]  # the first answer, validly signed, replayed for the second query

    previous = queries.set_transport(replaying)
    try:
        assert ask(federation, "first")["length"] == 5
        with pytest.raises(DomainError) as raised:
            ask(federation, "second")
    finally:
        queries.set_transport(previous)
    assert raised.value.code == "messaging.query_invalid_answer"


def test_an_unreachable_peer_is_a_domain_error(federation: Federation, lookup: None) -> None:
    federation.prefecture.stop()
    with transaction.atomic(), pytest.raises(DomainError) as raised:
        ask(federation, SECRET)
    assert raised.value.code == "messaging.query_unreachable"
    assert SECRET not in str(raised.value)
    assert audits("node:query:send") == [("refused", "messaging.query_unreachable")]


def test_a_node_the_peer_does_not_list_is_refused(
    federation: Federation, lookup: None, tmp_path: Any
) -> None:
    outsider = federation.outsider(tmp_path)
    add_peer(outsider.directory, peer_entry(federation.prefecture.node, federation.prefecture.url))
    with pytest.raises(DomainError) as raised:
        ask(federation, "abc", node=outsider.node)
    assert raised.value.code == "messaging.query_refused"
    federation.prefecture.wait_idle()
    assert audits("node:query:answer") == [("refused", "unknown_peer")]


def test_the_node_port_refuses_a_query_that_is_not_a_jws(federation: Federation, lookup: None) -> None:
    node = federation.municipality.node
    peer = node.peer(PREFECTURE)
    assert peer is not None
    response = queries._tls_transport(node, peer, b"not a token", 5.0)
    assert (response.status, response.content_type) == (400, "application/json")
