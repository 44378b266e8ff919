"""Posting envelopes over HTTP: one kept-alive connection per peer, replaced when the server has closed it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from vinculo.messaging.services import outbox


class Inbox(ThreadingHTTPServer):
    """A local HTTP/1.1 server that answers every POST with 200 and counts connections and requests."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.connections = 0
        self.requests: list[bytes] = []
        # Close each connection after this many requests without saying so (as a server closing an
        # idle kept-alive connection does); 0: keep it open.
        self.close_after = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/messaging/inbox"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Inbox

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1
        self.served = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append(body)
        answer = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
        self.served += 1
        if self.server.close_after and self.served >= self.server.close_after:
            self.close_connection = True  # no "Connection: close": the client learns it on its next request

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    server = Inbox()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    outbox.close_connections()
    try:
        yield server
    finally:
        outbox.close_connections()
        server.shutdown()
        server.server_close()


def test_envelopes_to_one_peer_share_one_connection(inbox: Inbox) -> None:
    for number in range(3):
        assert outbox.http_post(inbox.url, f"envelope {number}".encode()) == (200, b'{"ok": true}')
    assert inbox.requests == [b"envelope 0", b"envelope 1", b"envelope 2"]
    assert inbox.connections == 1


def test_a_connection_the_server_closed_is_replaced_and_the_envelope_posted_again(inbox: Inbox) -> None:
    inbox.close_after = 1
    assert outbox.http_post(inbox.url, b"first")[0] == 200
    # The kept connection is dead: the request goes out on it, no answer comes back; the same
    # envelope is then posted on a new connection (the inbox answers a repeat with its first receipt).
    assert outbox.http_post(inbox.url, b"second")[0] == 200
    assert outbox.http_post(inbox.url, b"third")[0] == 200
    assert inbox.requests == [b"first", b"second", b"third"]
    assert inbox.connections == 3


def test_a_connection_idle_for_too_long_is_not_reused(inbox: Inbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox, "IDLE_CONNECTION_SECONDS", 0.0)
    outbox.http_post(inbox.url, b"first")
    outbox.http_post(inbox.url, b"second")
    assert inbox.connections == 2


def test_each_thread_has_its_own_connection(inbox: Inbox) -> None:
    def post_twice() -> None:
        outbox.http_post(inbox.url, b"x")
        outbox.http_post(inbox.url, b"y")
        outbox.close_connections()

    threads = [threading.Thread(target=post_twice) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(inbox.requests) == 6
    assert inbox.connections == 3


def test_no_server_is_an_oserror_and_is_not_retried(inbox: Inbox) -> None:
    port = inbox.server_address[1]
    inbox.shutdown()
    inbox.server_close()
    with pytest.raises(ConnectionRefusedError):
        outbox.http_post(f"http://127.0.0.1:{port}/messaging/inbox", b"lost")
    with pytest.raises(OSError, match="not an http"):
        outbox.http_post("ftp://127.0.0.1/messaging/inbox", b"not http")


def test_the_answer_s_headers_come_with_it_named_in_lower_case(inbox: Inbox) -> None:
    status, body, headers = outbox.http_post_with_headers(inbox.url, b"envelope")
    assert (status, body) == (200, b'{"ok": true}')
    assert headers["content-type"] == "application/json"
