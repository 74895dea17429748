"""Several nodes in one process and one database, for tests: docs/network.md "Testing several nodes".

``TestFederation`` creates real node directories (one federation CA, hence one 整合性確認 key
shared by every node, and a full mesh of peers.json) and runs every message and query through the
real code paths except the socket:

* ``pump()`` hands each pending outbox row to ``services.receive`` under the receiver's identity
  (signature, route, order, inbox, handler), then records the receipt on the row as delivery does;
* ``services.query`` under ``acting_as(X)`` to a federation node Y signs the query, runs Y's
  ``answer_query`` under ``acting_as(Y)`` and verifies Y's signed answer.

All nodes share the test database. Each messaging row names its local end (outbox sender, inbox
receiver), so each node only sees its own queue; app tables simply hold every node's data.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from types import TracebackType

from django.utils import timezone

from jumin.messaging import conf, queries, services
from jumin.messaging.delivery import DeliveryReport, settle
from jumin.messaging.envelope import NodeRef
from jumin.messaging.identity import LocalNode, Peer, add_peer, create_ca, init_node, load_node, peer_entry
from jumin.messaging.models import OutboxMessage
from jumin.messaging.tls import PeerResponse, PeerUnreachable, RawResponse

# The usual test federation (tests/conftest.py ``federation``): the national node, two prefectures
# and municipalities of each.
STANDARD_NODES = (
    NodeRef("national", "00"),
    NodeRef("prefecture", "420000"),  # 長崎県
    NodeRef("municipality", "422029"),  # 佐世保市
    NodeRef("municipality", "422011"),  # 長崎市
    NodeRef("prefecture", "130001"),  # 東京都
    NodeRef("municipality", "131016"),  # 千代田区
)


class TestFederation:
    """A full mesh of nodes in one process; use as a context manager (or call ``close()``)."""

    __test__ = False  # not a pytest test class

    def __init__(self, base_dir: Path, nodes: Sequence[NodeRef]) -> None:
        self.base_dir = Path(base_dir)
        self.refs: list[NodeRef] = list(nodes)
        if len(set(self.refs)) != len(self.refs):
            raise ValueError("a node appears twice in the federation")
        ca = create_ca(self.base_dir / "ca", name="Jumin in-process test federation CA")
        directories = {ref: self.base_dir / f"{ref.kind}-{ref.code}" for ref in self.refs}
        for ref, directory in directories.items():
            init_node(directory, ref, ca_dir=ca)
        # The URLs are never dialled: the pump and the query transport call the receiving side directly.
        entries = {
            ref: peer_entry(load_node(directory), f"https://{ref.kind}-{ref.code}.federation.invalid")
            for ref, directory in directories.items()
        }
        for ref, directory in directories.items():
            for other, entry in entries.items():
                if other != ref:
                    add_peer(directory, entry)
        self._nodes: dict[NodeRef, LocalNode] = {ref: load_node(d) for ref, d in directories.items()}
        if len({node.consistency_key for node in self._nodes.values()}) != 1:
            raise RuntimeError("the federation's nodes must share one 整合性確認 key")
        self._previous_transport: queries.QueryTransport | None = queries.set_transport(self._transport)
        self._open = True

    def node(self, ref: NodeRef) -> LocalNode:
        """The federation node ``ref`` (KeyError if it is not one)."""
        return self._nodes[ref]

    def acting_as(self, ref: NodeRef) -> AbstractContextManager[LocalNode]:
        """Within the block, ``conf.local_node()`` is node ``ref`` (nestable)."""
        return conf.acting_as(self.node(ref))

    def pump(self, *, max_rounds: int = 100) -> int:
        """Deliver every pending outbox row of every node until none is left; returns how many.

        Rows queued by handlers during a round leave in the next round. Per (sender, receiver, subject)
        a row waits while an earlier one of its stream was refused for now. Backoff times are ignored;
        a round that delivers nothing and sets nothing aside ends the pump.
        """
        delivered = 0
        for _ in range(max_rounds):
            rows = list(OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).order_by("id"))
            rows = [row for row in rows if NodeRef(row.sender_kind, row.sender_code) in self._nodes]
            if not rows:
                break
            report = DeliveryReport()
            blocked: set[tuple[str, str, str, str, str]] = set()
            for row in rows:
                stream = _stream(row)
                if stream in blocked:
                    continue
                outcome = settle(row, self._hand_over(row), timezone.now(), report, link_is_final=True)
                if outcome != "delivered":
                    blocked.add(stream)
            delivered += report.delivered
            if not (report.delivered or report.poisoned):
                break
        return delivered

    def _hand_over(self, row: OutboxMessage) -> PeerResponse:
        """What the receiver's node port would answer, without the socket."""
        sender = NodeRef(row.sender_kind, row.sender_code)
        target = self._nodes.get(NodeRef(row.receiver_kind, row.receiver_code))
        if target is None:
            refused = {"status": "refused", "reason": "unknown_peer", "detail": "連携外のノードです。"}
            return PeerResponse(403, refused)
        with conf.acting_as(target):
            receipt = services.receive(target, sender, services.signed_token(row).encode("ascii"))
        return PeerResponse(receipt.http_status, receipt.as_dict())

    def _transport(self, node: LocalNode, peer: Peer, token: bytes, timeout: float) -> RawResponse:
        target = self._nodes.get(peer.ref)
        if target is None:
            raise PeerUnreachable("not_in_federation")
        with conf.acting_as(target):
            return queries.answer_query(target, node.ref, token).as_raw()

    def close(self) -> None:
        """Restore the real query transport (idempotent)."""
        if self._open:
            queries.set_transport(self._previous_transport)
            self._open = False

    def __enter__(self) -> TestFederation:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def _stream(row: OutboxMessage) -> tuple[str, str, str, str, str]:
    return (row.sender_kind, row.sender_code, row.receiver_kind, row.receiver_code, row.subject_key)


@contextmanager
def federation(base_dir: Path, nodes: Sequence[NodeRef] = STANDARD_NODES) -> Iterator[TestFederation]:
    """``with federation(tmp_path) as fed:`` — a TestFederation closed at the end of the block."""
    with TestFederation(base_dir, nodes) as fed:
        yield fed
