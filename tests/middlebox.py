"""A TLS-terminating proxy on loopback that can "suspend", as Neon's proxy does when a compute
idles out: it ends each TLS session with a close_notify and no PostgreSQL error message.

That is what makes libpq say "SSL connection has been closed unexpectedly" (SSL_ERROR_ZERO_RETURN).
pg_terminate_backend does not reproduce it with current drivers: the server sends a FATAL
message first, and psycopg 3 reports "terminating connection due to administrator command".
"""

from __future__ import annotations

import select
import socket
import ssl
import struct
import subprocess
import threading
from pathlib import Path

SSL_REQUEST = struct.pack("!ii", 8, 80877103)


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A throw-away self-signed certificate for 127.0.0.1."""
    cert, key = directory / "server.crt", directory / "server.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    key.chmod(0o600)
    return cert, key


class SuspendingTlsProxy:
    """Clients speak TLS to the proxy (PostgreSQL's SSLRequest, then a handshake); the proxy speaks
    plain TCP to the server on 127.0.0.1."""

    def __init__(self, upstream_port: int, cert: Path, key: str | Path) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(str(cert), str(key))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.generation = 0
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        if raw.recv(8) != SSL_REQUEST:
            raw.close()
            return
        raw.sendall(b"S")
        tls = self.context.wrap_socket(raw, server_side=True)
        upstream = socket.create_connection(self.upstream)
        born = self.generation
        try:
            while self.generation == born and not self.closed:
                readable, _, _ = select.select([tls, upstream], [], [], 0.05)
                if tls in readable or tls.pending():
                    data = tls.recv(65536)
                    if not data:
                        return
                    upstream.sendall(data)
                if upstream in readable:
                    data = upstream.recv(65536)
                    if not data:
                        return
                    tls.sendall(data)
            tls.settimeout(0.5)
            try:
                tls.unwrap()  # close_notify, and nothing from PostgreSQL before it
            except (OSError, ValueError):
                pass
        except (OSError, ValueError):
            return
        finally:
            for sock in (tls, upstream):
                try:
                    sock.close()
                except OSError:
                    pass

    def suspend(self) -> None:
        """End every open session; new connections are served as before."""
        self.generation += 1

    def close(self) -> None:
        self.closed = True
        self.suspend()
        self.listener.close()
