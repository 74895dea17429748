"""Mutual TLS between nodes: contexts, the HTTPS client and the threaded HTTPS server (ADR 0002).

Pure Python (standard ``ssl``, ``http.client`` and ``wsgiref``; no Django). Both sides trust only the
federation CA in the node directory and present the node's own certificate. The server requires a
client certificate (``CERT_REQUIRED``) and hands its DER bytes to the WSGI application as
``environ["jumin.peer_certificate"]``; the application decides whether that node is a configured peer.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from jumin.messaging.envelope import NodeRef
from jumin.messaging.identity import NodeFiles, Peer, certificate_node_from_der

logger = logging.getLogger("jumin.messaging")

PEER_CERTIFICATE_KEY = "jumin.peer_certificate"
MAX_RESPONSE_BYTES = 65_536
HANDSHAKE_TIMEOUT = 10.0
REQUEST_TIMEOUT = 30.0


class PeerUnreachable(Exception):  # noqa: N818 (an outcome of a delivery attempt)
    """The peer could not be reached or did not prove its identity; retried later with backoff."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _context(purpose: ssl.Purpose, files: NodeFiles) -> ssl.SSLContext:
    context = ssl.create_default_context(purpose, cafile=str(files.ca_cert))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile=str(files.tls_cert), keyfile=str(files.tls_key))
    return context


def server_context(files: NodeFiles) -> ssl.SSLContext:
    """TLS for the node port: only clients with a certificate from the federation CA get through."""
    context = _context(ssl.Purpose.CLIENT_AUTH, files)
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def client_context(files: NodeFiles) -> ssl.SSLContext:
    """TLS for calling a peer: the server must hold a federation certificate for the URL's host."""
    context = _context(ssl.Purpose.SERVER_AUTH, files)
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context


@dataclass(frozen=True)
class PeerResponse:
    """What a peer answered: the HTTP status and its JSON body (empty if it sent none)."""

    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class RawResponse:
    """What a peer answered, unparsed: the HTTP status, its content type and body."""

    status: int
    content_type: str
    body: bytes


def post_raw(
    peer: Peer,
    path: str,
    body: bytes,
    context: ssl.SSLContext,
    timeout: float = REQUEST_TIMEOUT,
    max_response: int = MAX_RESPONSE_BYTES,
    content_type: str = "application/jose",
) -> RawResponse:
    """POST ``body`` to the peer over mutual TLS, after checking its certificate names that peer.

    Reads at most ``max_response`` bytes of the answer. Raises ``PeerUnreachable`` on any network or
    TLS failure, or if the server is another node.
    """
    parts = urlsplit(peer.url)
    if parts.scheme != "https" or not parts.hostname:
        raise PeerUnreachable("bad_url")
    connection = http.client.HTTPSConnection(
        parts.hostname, parts.port or 443, timeout=timeout, context=context
    )
    try:
        connection.connect()
        assert isinstance(connection.sock, ssl.SSLSocket)
        # The CA vouches for every node; only the SAN URI says which one answered.
        if certificate_node_from_der(connection.sock.getpeercert(binary_form=True)) != peer.ref:
            raise PeerUnreachable("identity_mismatch")
        connection.request(
            "POST",
            parts.path.rstrip("/") + path,
            body=body,
            headers={"Content-Type": content_type, "Accept": "application/json, application/jose"},
        )
        response = connection.getresponse()
        raw = response.read(max_response)
        return RawResponse(response.status, response.getheader("Content-Type", "") or "", raw)
    except ssl.SSLCertVerificationError:
        raise PeerUnreachable("certificate") from None
    except (OSError, http.client.HTTPException):
        raise PeerUnreachable("connection") from None
    finally:
        connection.close()


def parse_json(raw: bytes) -> dict[str, Any]:
    """A JSON object answer, or an empty dict for anything else."""
    try:
        parsed = json.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, ValueError):
        parsed = {}
    return parsed if isinstance(parsed, dict) else {}


def post(
    peer: Peer,
    path: str,
    body: bytes,
    context: ssl.SSLContext,
    timeout: float = REQUEST_TIMEOUT,
    max_response: int = MAX_RESPONSE_BYTES,
    content_type: str = "application/jose",
) -> PeerResponse:
    """POST ``body`` to the peer over mutual TLS and parse its JSON answer (see ``post_raw``)."""
    raw = post_raw(peer, path, body, context, timeout, max_response, content_type)
    return PeerResponse(status=raw.status, body=parse_json(raw.body))


class _Handler(WSGIRequestHandler):
    """Adds the client certificate to the WSGI environ; logs without query strings or bodies."""

    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        connection = self.connection
        environ[PEER_CERTIFICATE_KEY] = (
            connection.getpeercert(binary_form=True) if isinstance(connection, ssl.SSLSocket) else None
        )
        environ["wsgi.url_scheme"] = "https"
        return environ

    def log_message(self, format: str, *args: Any) -> None:
        logger.info("node port %s %s", self.address_string(), format % args)


HandshakeHook = Callable[[tuple[str, int], str], None]


class NodeServer(ThreadingMixIn, WSGIServer):
    """A threaded WSGI server that speaks TLS and requires a client certificate.

    The TLS handshake runs in the request's own thread (not in ``accept``), so one slow or hostile
    client cannot stall the others.
    """

    # server_close() waits for requests in flight, so a stop never cuts a receipt or its audit entry.
    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        app: Callable[..., Any],
        context: ssl.SSLContext,
        on_handshake_failure: HandshakeHook | None = None,
    ) -> None:
        super().__init__(address, _Handler)
        self.set_app(app)
        self.tls_context = context
        self.on_handshake_failure = on_handshake_failure

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(HANDSHAKE_TIMEOUT)
        try:
            tls = self.tls_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as error:
            reason = getattr(error, "reason", None) or type(error).__name__
            logger.warning("node port: TLS handshake refused from %s (%s)", client_address[0], reason)
            if self.on_handshake_failure is not None:
                self.on_handshake_failure(client_address, str(reason))
            return
        tls.settimeout(REQUEST_TIMEOUT)
        try:
            super().finish_request(tls, client_address)
        finally:
            with contextlib.suppress(OSError):
                tls.shutdown(socket.SHUT_RDWR)
            tls.close()

    @property
    def port(self) -> int:
        return int(self.server_address[1])


def start_server(
    app: Callable[..., Any],
    host: str,
    port: int,
    context: ssl.SSLContext,
    on_handshake_failure: HandshakeHook | None = None,
) -> tuple[NodeServer, threading.Thread]:
    """Start a NodeServer in a daemon thread (port 0 picks a free port); stop with ``server.shutdown()``."""
    server = NodeServer((host, port), app, context, on_handshake_failure)
    # A short poll interval lets shutdown() return promptly (tests start and stop many servers).
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name=f"node-port-{server.port}",
        daemon=True,
    )
    thread.start()
    return server, thread


def server_identity(environ: dict[str, Any]) -> NodeRef | None:
    """The node named by the client certificate of this request, if any."""
    return certificate_node_from_der(environ.get(PEER_CERTIFICATE_KEY))
