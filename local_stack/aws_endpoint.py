"""The embedded AWS endpoint: moto's server in this process, on a free loopback port."""

import logging

from moto.server import ThreadedMotoServer

from local_stack.moto_sqs_patch import apply_sqs_patch


class EmbeddedMoto:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._server: ThreadedMotoServer | None = None

    def start(self) -> str:
        """Start the server; returns its endpoint URL."""
        # moto's server logs every request through werkzeug; the invocation log says enough.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        apply_sqs_patch()
        self._server = ThreadedMotoServer(ip_address=self.host, port=0, verbose=False)
        self._server.start()
        _, port = self._server.get_host_and_port()
        return f"http://{self.host}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
