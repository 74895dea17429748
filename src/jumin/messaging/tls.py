"""Mutual TLS between nodes: contexts, the HTTPS client and the threaded HTTPS server (ADR 0002).

Pure Python (standard ``ssl``, ``http.client`` and ``wsgiref``; no Django). Both sides trust only the
federation CA in the node directory and present the node's own certificate. The server requires a
client certificate (``CERT_REQUIRED``) and hands its DER bytes to the WSGI application as
``environ["jumin.peer_certificate"]``; the application decides whether that node is a configured peer.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import logging
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any, cast
from urllib.parse import urlsplit
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

from jumin.messaging.envelope import MAX_BATCH_BYTES, NodeRef
from jumin.messaging.identity import NodeFiles, Peer, certificate_node_from_der

logger = logging.getLogger("jumin.messaging")

PEER_CERTIFICATE_KEY = "jumin.peer_certificate"
MAX_RESPONSE_BYTES = 65_536
HANDSHAKE_TIMEOUT = 10.0
REQUEST_TIMEOUT = 30.0
#: How long the server keeps an idle connection open for the peer's next request (HTTP keep-alive).
KEEP_ALIVE_SECONDS = 15.0
#: Request bodies up to this size are read before the application runs, so the connection stays usable
#: for the next request whatever the application reads; a longer body ends the connection after its answer.
KEPT_BODY_LIMIT = MAX_BATCH_BYTES


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


def _connect(peer: Peer, context: ssl.SSLContext, timeout: float) -> http.client.HTTPSConnection:
    """A TLS connection to the peer whose certificate names that peer (``PeerUnreachable`` otherwise)."""
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
    except ssl.SSLCertVerificationError:
        connection.close()
        raise PeerUnreachable("certificate") from None
    except (OSError, http.client.HTTPException):
        connection.close()
        raise PeerUnreachable("connection") from None
    except PeerUnreachable:
        connection.close()
        raise
    return connection


def _exchange(
    connection: http.client.HTTPSConnection,
    peer: Peer,
    path: str,
    body: bytes,
    max_response: int,
    content_type: str,
) -> tuple[RawResponse, bool]:
    """One POST on an open connection: the answer, and whether the connection can carry another request."""
    try:
        connection.request(
            "POST",
            urlsplit(peer.url).path.rstrip("/") + path,
            body=body,
            headers={"Content-Type": content_type, "Accept": "application/json, application/jose"},
        )
        response = connection.getresponse()
        raw = response.read(max_response)
    except (OSError, http.client.HTTPException):
        raise PeerUnreachable("connection") from None
    # Reusable only if the server keeps it open and the whole answer was read (nothing left in the stream).
    reusable = not response.will_close and response.isclosed()
    return RawResponse(response.status, response.getheader("Content-Type", "") or "", raw), reusable


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
    TLS failure, or if the server is another node. The connection is closed after the answer.
    """
    connection = _connect(peer, context, timeout)
    try:
        return _exchange(connection, peer, path, body, max_response, content_type)[0]
    finally:
        connection.close()


class PeerConnections:
    """Kept-alive connections to peers, one per peer URL, for one thread (a delivery worker's ``Courier``).

    A batch then costs one request instead of a TCP connection, a TLS handshake and a request, and the
    peer's node port keeps serving the connection from one thread (and one database connection). The
    peer's identity is checked when a connection is opened. A kept connection the peer has closed in the
    meantime (its keep-alive time ran out, it restarted) is replaced by a new one and the request sent once
    more: a message that arrives twice is recognised by its id (``duplicate``), so nothing is applied twice.
    """

    def __init__(self) -> None:
        self._open: dict[str, tuple[http.client.HTTPSConnection, ssl.SSLContext]] = {}

    def post_raw(
        self,
        peer: Peer,
        path: str,
        body: bytes,
        context: ssl.SSLContext,
        timeout: float = REQUEST_TIMEOUT,
        max_response: int = MAX_RESPONSE_BYTES,
        content_type: str = "application/jose",
    ) -> RawResponse:
        """``post_raw`` on the peer's kept connection (opened, or opened again, when needed)."""
        kept = self._open.pop(peer.url, None)
        if kept is not None and kept[1] is context:
            try:
                return self._send(kept[0], context, peer, path, body, max_response, content_type)
            except PeerUnreachable:
                pass  # gone stale since its last request: one more try on a new connection, below
        elif kept is not None:
            kept[0].close()  # the worker has a new TLS context (a renewed certificate): connect again
        connection = _connect(peer, context, timeout)
        return self._send(connection, context, peer, path, body, max_response, content_type)

    def _send(
        self,
        connection: http.client.HTTPSConnection,
        context: ssl.SSLContext,
        peer: Peer,
        path: str,
        body: bytes,
        max_response: int,
        content_type: str,
    ) -> RawResponse:
        try:
            raw, reusable = _exchange(connection, peer, path, body, max_response, content_type)
        except PeerUnreachable:
            connection.close()
            raise
        if reusable:
            self._open[peer.url] = (connection, context)
        else:
            connection.close()
        return raw

    def close(self) -> None:
        """Close every kept connection (the worker ends, or its TLS context changed)."""
        for connection, _ in self._open.values():
            connection.close()
        self._open.clear()


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
    connections: PeerConnections | None = None,
) -> PeerResponse:
    """POST ``body`` to the peer over mutual TLS and parse its JSON answer (see ``post_raw``).

    With ``connections``, the request goes over the peer's kept connection (``PeerConnections``).
    """
    send = connections.post_raw if connections is not None else post_raw
    raw = send(peer, path, body, context, timeout, max_response, content_type)
    return PeerResponse(status=raw.status, body=parse_json(raw.body))


class _KeptServerHandler(ServerHandler):
    """wsgiref's handler answering in HTTP/1.1; an answer without a length ends the connection."""

    http_version = "1.1"
    # Set by wsgiref (not in its stubs): the answer's headers, and the handler of the connection.
    headers: Any
    request_handler: Any

    def cleanup_headers(self) -> None:
        super().cleanup_headers()
        if "Content-Length" not in self.headers:
            # The peer could not tell where this answer ends: it is the connection's last.
            self.headers["Connection"] = "close"
            self.request_handler.close_connection = True


class _Handler(WSGIRequestHandler):
    """Adds the client certificate to the WSGI environ; logs without query strings or bodies.

    Answers request after request on one connection (HTTP/1.1 keep-alive) until the peer closes it or
    asks to, it stays idle for ``KEEP_ALIVE_SECONDS``, or the server closes.
    """

    protocol_version = "HTTP/1.1"
    server: NodeServer

    def handle(self) -> None:
        while self.server.await_request(self.connection):
            try:
                self.connection.settimeout(KEEP_ALIVE_SECONDS)
                self.raw_requestline = self.rfile.readline(65537)
            except OSError:  # idle too long, or closed by the server
                return
            finally:
                self.server.request_arrived(self.connection)
            if not self.raw_requestline:
                return
            self.connection.settimeout(REQUEST_TIMEOUT)
            if len(self.raw_requestline) > 65536:
                self.requestline, self.request_version, self.command = "", "", ""
                self.send_error(414)
                return
            if not self.parse_request():  # an error answer was sent
                return
            handler = _KeptServerHandler(
                self._request_body(),
                cast(Any, self.wfile),
                self.get_stderr(),
                self.get_environ(),
                multithread=False,
            )
            handler.request_handler = self
            app = self.server.get_app()
            assert app is not None  # set when the server was made
            handler.run(app)
            if self.close_connection:
                return

    def _request_body(self) -> Any:
        """The body, read in full when its length is announced and within ``KEPT_BODY_LIMIT``.

        Otherwise (no length, chunked, too long) the application reads the socket itself, as a
        one-request connection would, and the connection ends after the answer. A body shorter than
        announced (the peer stopped sending) reaches the application as it came, which refuses it.
        """
        try:
            length = int(self.headers.get("Content-Length") or "0")
        except ValueError:
            length = -1
        if self.headers.get("Transfer-Encoding") or not 0 <= length <= KEPT_BODY_LIMIT:
            self.close_connection = True
            return self.rfile
        body = self.rfile.read(length) if length else b""
        if len(body) != length:
            self.close_connection = True
        return io.BytesIO(body)

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
    client cannot stall the others. A connection is kept for the peer's next request (``_Handler``);
    ``on_connection_end`` runs in its thread when it ends (the node app closes its database
    connection there). ``server_close`` closes the idle kept connections and waits for the busy ones.
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
        on_connection_end: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(address, _Handler)
        self.set_app(app)
        self.tls_context = context
        self.on_handshake_failure = on_handshake_failure
        self.on_connection_end = on_connection_end
        self._idle: set[socket.socket] = set()
        self._idle_guard = threading.Lock()
        self._closing = False

    def await_request(self, connection: socket.socket) -> bool:
        """Count ``connection`` as idle until its next request; False once the server is closing."""
        with self._idle_guard:
            if self._closing:
                return False
            self._idle.add(connection)
            return True

    def request_arrived(self, connection: socket.socket) -> None:
        with self._idle_guard:
            self._idle.discard(connection)

    def close_idle_connections(self) -> None:
        """End every kept connection that waits for its next request (a peer then connects again)."""
        with self._idle_guard:
            idle = list(self._idle)
        for connection in idle:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def server_close(self) -> None:
        """Stop listening, end the idle kept connections at once, wait for requests in flight."""
        with self._idle_guard:
            self._closing = True
        self.close_idle_connections()
        super().server_close()

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
            if self.on_connection_end is not None:
                self.on_connection_end()

    @property
    def port(self) -> int:
        return int(self.server_address[1])


def start_server(
    app: Callable[..., Any],
    host: str,
    port: int,
    context: ssl.SSLContext,
    on_handshake_failure: HandshakeHook | None = None,
    on_connection_end: Callable[[], None] | None = None,
) -> tuple[NodeServer, threading.Thread]:
    """Start a NodeServer in a daemon thread (port 0 picks a free port); stop with ``server.shutdown()``."""
    server = NodeServer((host, port), app, context, on_handshake_failure, on_connection_end)
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
