"""A tiny threaded HTTP server for emulating outside services in tests.

An emulator subclasses `EmulatorServer` and implements `handle(request) -> Reply`. Every request is
recorded (method, path, query, headers, body) so a test can count the calls a client made.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    @property
    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}


@dataclass
class Fault:
    """Break the next `count` matching requests: answer `reply` instead, and/or wait `delay` seconds first."""

    count: int
    reply: Reply | None = None
    delay: float = 0.0
    method: str | None = None
    path_contains: str | None = None

    def matches(self, request: Request) -> bool:
        return (self.method is None or request.method == self.method.upper()) and (
            self.path_contains is None or self.path_contains in request.path
        )


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON, bytes/str -> as is
    headers: dict[str, str] = field(default_factory=dict)


class EmulatorServer:
    """Runs on 127.0.0.1 on a free port; use as a context manager or call start()/stop()."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        assert self._server is not None, "emulator not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> EmulatorServer:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query={k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                with emulator.lock:
                    emulator.requests.append(request)
                reply = emulator.dispatch(request)
                if isinstance(reply.body, dict | list):
                    payload = json.dumps(reply.body).encode()
                    content_type = "application/json"
                elif isinstance(reply.body, str):
                    payload, content_type = reply.body.encode(), "text/plain"
                else:
                    payload, content_type = reply.body or b"", "application/octet-stream"
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -------------------------------------------------------------- requests

    def add_fault(
        self,
        reply: Reply | None = None,
        *,
        count: int = 1,
        delay: float = 0.0,
        method: str | None = None,
        path_contains: str | None = None,
    ) -> None:
        with self.lock:
            self.faults.append(Fault(count, reply, delay, method, path_contains))

    def _take_fault(self, request: Request) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.count > 0 and fault.matches(request):
                    fault.count -= 1
                    return fault
        return None

    def dispatch(self, request: Request) -> Reply:
        fault = self._take_fault(request)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.reply is not None:
                return self.decorate(fault.reply)
        try:
            return self.decorate(self.handle(request))
        except Exception as exc:  # a bug in an emulator must show up as a 500, not a hung client
            return Reply(500, {"emulator_error": repr(exc)})

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError

    def decorate(self, reply: Reply) -> Reply:
        """Hook to add headers every answer carries (usage headers...)."""
        return reply

    def calls(self, method: str | None = None, path_contains: str | None = None) -> list[Request]:
        """The recorded requests, optionally filtered."""
        with self.lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method.upper()) and (path_contains is None or path_contains in r.path)
            ]

    def reset_calls(self) -> None:
        with self.lock:
            self.requests.clear()
