"""A local webhook receiver on 127.0.0.1 for tests and the benchmark: records requests, dedupes by delivery id."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.test import override_settings


class Receiver:
    def __init__(self, fail_first: set[str] | None = None, status: int = 200, fail_fraction: float = 0.0):
        self.requests: list[dict] = []
        self.seen: set[str] = set()
        self.processed: list[str] = []  # delivery ids acted upon (once each)
        self.status = status
        self.fail_fraction = fail_fraction
        self._failed_once: set[str] = set()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                delivery = self.headers.get("X-Houqin-Delivery", "")
                with receiver._lock:
                    receiver.requests.append({"headers": dict(self.headers), "body": body})
                    status = receiver.status
                    if status < 300 and receiver._should_fail_first(delivery):
                        status = 503
                    elif status < 300 and delivery not in receiver.seen:
                        receiver.seen.add(delivery)
                        receiver.processed.append(delivery)
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"try later")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _should_fail_first(self, delivery: str) -> bool:
        # Deterministic: a delivery fails its first attempt when its id hashes into the fraction.
        if not self.fail_fraction or delivery in self._failed_once or delivery in self.seen:
            return False
        if (int(delivery.replace("-", "")[:8], 16) % 1000) < self.fail_fraction * 1000:
            self._failed_once.add(delivery)
            return True
        return False

    def __enter__(self):
        # The guard (core/outbound) refuses http and 127.0.0.1: this receiver is allowed while it runs, through
        # the test allow-list, not by weakening the guard.
        self._allow = override_settings(OUTBOUND_ALLOWED_HOSTS=["127.0.0.1"], OUTBOUND_ALLOW_HTTP=True)
        self._allow.enable()
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self._allow.disable()
