"""The socket side of the local HTTP API: HTTP/1.1 with keep-alive, one thread per connection."""

import ipaddress
import logging
import socket
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from local_stack.api_gateway import MAX_PAYLOAD_BYTES, ApiGateway, ApiRequest, gateway_response
from local_stack.http_events import HttpResponse

_logger = logging.getLogger(__name__)


class PortInUse(Exception):
    """The HTTP API's port is taken by another process."""


class HttpApiServer:
    """Listens as soon as it is made, so that a port in use is found before anything starts."""

    def __init__(self, host: str, port: int, gateway: ApiGateway | None = None) -> None:
        self.gateway = gateway
        server_class = _IPv6Server if ":" in host else _Server
        try:
            self._server = server_class((host, port), _handler_class(self))
        except OSError as error:
            raise PortInUse(f"cannot listen on {host}:{port}: {error.strerror}") from None
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="http-api", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in str(host) else f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self, gateway: ApiGateway) -> None:
        self.gateway = gateway
        self._thread.start()

    def stop(self) -> None:
        """Stop listening; calling it again does nothing."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


class _IPv6Server(_Server):
    address_family = socket.AF_INET6


def _handler_class(server: HttpApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "local-stack"

        def _handle(self) -> None:
            gateway = server.gateway
            assert gateway is not None
            body = self._read_body()
            if body is None:
                return
            path = self._origin_form_target()
            request = ApiRequest(
                method=self.command,
                target=path,
                headers=list(self.headers.items()),
                body=body,
                source_ip=_peer_address(self.client_address[0]),
            )
            try:
                response = gateway.handle(request)
            except Exception:
                _logger.exception("the local HTTP API failed on %s %s", self.command, path)
                response = gateway_response(HTTPStatus.INTERNAL_SERVER_ERROR)
            self._send(response)

        def _origin_form_target(self) -> str:
            # A request line may carry an absolute URL (as a proxy would send it).
            if self.path.startswith(("http://", "https://")):
                parts = urlsplit(self.path)
                return parts.path + (f"?{parts.query}" if parts.query else "")
            return self.path

        def _read_body(self) -> bytes | None:
            """The request body, or None after answering a body that cannot be taken."""
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                return self._read_chunked_body()
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if length < 0:
                self._refuse(HTTPStatus.BAD_REQUEST)
                return None
            if length > MAX_PAYLOAD_BYTES:
                self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
                return None
            return self.rfile.read(length) if length else b""

        def _read_chunked_body(self) -> bytes | None:
            chunks, total = [], 0
            while True:
                try:
                    size = int(self.rfile.readline(64).split(b";")[0].strip(), 16)
                except ValueError:
                    self._refuse(HTTPStatus.BAD_REQUEST)
                    return None
                total += size
                if total > MAX_PAYLOAD_BYTES:
                    self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
                    return None
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers carry nothing API Gateway passes on
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(8)

        def _refuse(self, status: HTTPStatus) -> None:
            # The unread body would be taken for the next request: close the connection.
            self.close_connection = True
            assert server.gateway is not None
            self._send(server.gateway.gateway_answer(self.command, self.path, status))

        def _send(self, response: HttpResponse) -> None:
            self.send_response(response.status)
            for name, value in response.headers:
                if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the invocation log has a line per request

    return Handler


def _peer_address(address: str) -> str:
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; API Gateway shows a.b.c.d.
    parsed = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(parsed)
