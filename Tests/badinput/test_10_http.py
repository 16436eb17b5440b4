"""Malformed HTTP/1.1 on raw sockets: framing, smuggling shapes, limits, versions, bytes that do not belong.

Every refused request must get its status, `Connection: close`, and a closed connection; a well-formed
request pipelined behind it must not be answered (after a framing error the server cannot know where it
would start, so answering it is what request smuggling exploits).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from wire import RawConnection, Server, raw_exchange, request_bytes

MAX_BODY = 4 * 1024 * 1024  # HTTPServerConfiguration.maxBodyBytes
MAX_LINE = 8 * 1024  # maxRequestLineLength and maxHeaderFieldLength
MAX_HEADERS = 100  # maxHeaderCount
MAX_HEAD_BYTES = 32 * 1024  # maxHeaderBytes

PING = b'{"jsonrpc":"2.0","id":1,"method":"ping"}'


@dataclass
class Case:
    id: str
    build: Callable[[Server], bytes]
    status: int


def head(s: Server, lines: list[str], *, request_line: str = "POST /mcp HTTP/1.1", host: bool = True) -> bytes:
    all_lines = [request_line] + ([f"Host: {s.authority}"] if host else []) + lines
    return ("\r\n".join(all_lines) + "\r\n\r\n").encode("latin-1")


def raw_head(s: Server, text: bytes) -> bytes:
    return text.replace(b"{host}", s.authority.encode())


REFUSED: list[Case] = [
    # --- smuggling shapes (RFC 9112 §6.1, §6.3)
    Case("cl-and-te", lambda s: head(s, ["Content-Length: 4", "Transfer-Encoding: chunked"]) + b"0\r\n\r\n", 400),
    Case("te-and-cl", lambda s: head(s, ["Transfer-Encoding: chunked", "Content-Length: 4"]) + b"0\r\n\r\n", 400),
    Case("two-different-cl", lambda s: head(s, ["Content-Length: 4", "Content-Length: 5"]) + b"abcde", 400),
    Case("cl-list", lambda s: head(s, ["Content-Length: 5, 5"]) + b"abcde", 400),
    Case("cl-plus-sign", lambda s: head(s, ["Content-Length: +5"]) + b"abcde", 400),
    Case("cl-negative", lambda s: head(s, ["Content-Length: -1"]), 400),
    Case("cl-hex", lambda s: head(s, ["Content-Length: 0x5"]) + b"abcde", 400),
    Case("te-gzip", lambda s: head(s, ["Transfer-Encoding: gzip"]) + b"abc", 400),
    Case("te-chunked-twice", lambda s: head(s, ["Transfer-Encoding: chunked, chunked"]) + b"0\r\n\r\n", 400),
    Case("te-chunked-then-gzip", lambda s: head(s, ["Transfer-Encoding: chunked, gzip"]) + b"0\r\n\r\n", 400),
    Case("te-empty-element", lambda s: head(s, ["Transfer-Encoding: ,chunked"]) + b"0\r\n\r\n", 400),
    Case("te-in-http10", lambda s: head(s, ["Transfer-Encoding: chunked"], request_line="POST /mcp HTTP/1.0")
         + b"0\r\n\r\n", 400),
    Case("te-gzip-chunked-unsupported", lambda s: head(s, ["Transfer-Encoding: gzip, chunked"]) + b"0\r\n\r\n", 501),
    Case("bare-cr-in-header", lambda s: raw_head(s, b"GET /healthz HTTP/1.1\r\nHost: {host}\r\nX-A: 1\rX-B: 2\r\n\r\n"),
         400),
    Case("bare-cr-in-request-line", lambda s: raw_head(s, b"GET /healthz\rHTTP/1.1\r\nHost: {host}\r\n\r\n"), 400),
    Case("obs-fold", lambda s: raw_head(s, b"GET /healthz HTTP/1.1\r\nHost: {host}\r\nX-A: 1\r\n  folded\r\n\r\n"),
         400),
    Case("space-before-colon", lambda s: head(s, ["Content-Length : 5"]) + b"abcde", 400),
    Case("tab-before-colon", lambda s: head(s, ["Transfer-Encoding\t: chunked"]) + b"0\r\n\r\n", 400),
    Case("header-without-colon", lambda s: head(s, ["X-No-Colon"], request_line="GET /healthz HTTP/1.1"), 400),
    Case("empty-header-name", lambda s: head(s, [": value"], request_line="GET /healthz HTTP/1.1"), 400),
    Case("missing-host", lambda s: head(s, [], request_line="GET /healthz HTTP/1.1", host=False), 400),
    Case("two-hosts", lambda s: head(s, [f"Host: {s.authority}"], request_line="GET /healthz HTTP/1.1"), 400),
    # --- bytes that do not belong in a head
    Case("nul-in-header-value", lambda s: raw_head(s, b"GET /healthz HTTP/1.1\r\nHost: {host}\r\nX-A: a\x00b\r\n\r\n"),
         400),
    Case("nul-in-target", lambda s: raw_head(s, b"GET /heal\x00thz HTTP/1.1\r\nHost: {host}\r\n\r\n"), 400),
    Case("del-in-header-value", lambda s: raw_head(s, b"GET /healthz HTTP/1.1\r\nHost: {host}\r\nX-A: a\x7fb\r\n\r\n"),
         400),
    Case("invalid-method-char", lambda s: raw_head(s, b"G(T /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n"), 400),
    Case("utf8-in-header-name", lambda s: raw_head(s, b"GET /healthz HTTP/1.1\r\nHost: {host}\r\nX-\xc3\xa9: 1\r\n\r\n"),
         400),
    Case("two-spaces-in-request-line", lambda s: raw_head(s, b"GET  /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n"), 400),
    # --- versions
    Case("http-2.0-request-line", lambda s: raw_head(s, b"GET /healthz HTTP/2.0\r\nHost: {host}\r\n\r\n"), 505),
    Case("http-3.0-request-line", lambda s: raw_head(s, b"GET /healthz HTTP/3.0\r\nHost: {host}\r\n\r\n"), 505),
    Case("http-1.2-request-line", lambda s: raw_head(s, b"GET /healthz HTTP/1.2\r\nHost: {host}\r\n\r\n"), 505),
    Case("http-3-without-minor", lambda s: raw_head(s, b"GET /healthz HTTP/3\r\nHost: {host}\r\n\r\n"), 400),
    Case("lowercase-http-name", lambda s: raw_head(s, b"GET /healthz http/1.1\r\nHost: {host}\r\n\r\n"), 400),
    # --- chunked bodies
    Case("chunk-size-not-hex", lambda s: head(s, ["Transfer-Encoding: chunked"]) + b"zz\r\nabc\r\n0\r\n\r\n", 400),
    Case("chunk-size-overflow", lambda s: head(s, ["Transfer-Encoding: chunked"]) + b"f" * 40 + b"\r\n", 400),
    Case("chunk-without-crlf", lambda s: head(s, ["Transfer-Encoding: chunked"]) + b"3\r\nabcXY0\r\n\r\n", 400),
    # --- limits (HTTPServerConfiguration)
    Case("request-line-over-8k", lambda s: raw_head(
        s, b"GET /" + b"a" * (MAX_LINE + 10) + b" HTTP/1.1\r\nHost: {host}\r\n\r\n"), 414),
    Case("header-field-over-8k", lambda s: head(s, ["X-Big: " + "b" * (MAX_LINE + 10)],
                                                   request_line="GET /healthz HTTP/1.1"), 431),
    Case("over-100-headers", lambda s: head(s, [f"X-H{i}: {i}" for i in range(MAX_HEADERS + 1)],
                                               request_line="GET /healthz HTTP/1.1"), 431),
    Case("header-section-over-32k", lambda s: head(s, [f"X-H{i}: " + "v" * 1000 for i in range(40)],
                                                      request_line="GET /healthz HTTP/1.1"), 431),
    Case("content-length-over-limit", lambda s: head(s, [f"Content-Length: {MAX_BODY + 1}",
                                                         "Content-Type: application/json"]), 413),
    Case("content-length-beyond-int64", lambda s: head(s, ["Content-Length: 99999999999999999999999"]), 413),
    Case("chunked-over-limit", lambda s: head(s, ["Transfer-Encoding: chunked", "Content-Type: application/json"])
         + f"{MAX_BODY + 1:x}\r\n".encode(), 413),
    Case("chunks-summing-over-limit", lambda s: head(s, ["Transfer-Encoding: chunked"])
         + (f"{MAX_BODY // 2:x}\r\n".encode() + b"x" * (MAX_BODY // 2) + b"\r\n") * 2 + b"1\r\n", 413),
    Case("unsupported-expectation", lambda s: head(s, ["Expect: 200-ok", "Content-Length: 2"]) + b"{}", 417),
]


@pytest.mark.parametrize("case", REFUSED, ids=[c.id for c in REFUSED])
def test_refused_and_closed(server: Server, case: Case) -> None:
    follow_up = request_bytes(server, "GET", "/healthz")
    exchange = raw_exchange(server, case.build(server) + follow_up)
    assert exchange.responses, f"{case.id}: no response at all (connection closed silently)"
    first = exchange.responses[0]
    assert first.status == case.status, f"{case.id}: {first.status} {first.body[:200]!r}"
    assert first.headers.get("connection", "").lower() == "close", f"{case.id}: no Connection: close"
    assert len(exchange.responses) == 1, f"{case.id}: the pipelined request behind it was answered too"
    assert exchange.closed, f"{case.id}: the connection stayed open after a {first.status}"


ACCEPTED: list[Case] = [
    # Tolerated on purpose (documented in HTTPRequestParser): bare LF line ends and leading empty lines.
    Case("lf-only-line-ends", lambda s: raw_head(s, b"GET /healthz HTTP/1.1\nHost: {host}\n\n"), 200),
    Case("leading-empty-lines", lambda s: raw_head(s, b"\r\n\r\nGET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n"), 200),
    Case("identical-duplicate-cl", lambda s: head(s, ["Content-Length: 2", "Content-Length: 2"],
                                                     request_line="POST /healthz HTTP/1.1") + b"{}", 200),
    Case("chunked-with-extension-and-trailer", lambda s: head(s, ["Transfer-Encoding: chunked"],
                                                                 request_line="POST /healthz HTTP/1.1")
         + b"2;ext=1\r\n{}\r\n0\r\nX-Trailer: t\r\n\r\n", 200),
    # obs-text (bytes >= 0x80) is legal in field values; invalid UTF-8 there must not hurt routing.
    Case("invalid-utf8-in-unrelated-header", lambda s: raw_head(
        s, b"GET /healthz HTTP/1.1\r\nHost: {host}\r\nX-Junk: \xff\xfe\xc3\x28\r\n\r\n"), 200),
    Case("invalid-utf8-in-host", lambda s: raw_head(s, b"GET /mcp HTTP/1.1\r\nHost: \xff\xfe:1\r\n"
                                                       b"Accept: text/event-stream\r\n\r\n"), 403),
    Case("invalid-utf8-in-session-id", lambda s: head(
        s, ["Accept: application/json, text/event-stream", "Content-Type: application/json",
            f"Content-Length: {len(PING)}", "Mcp-Session-Id: \xff\xfe\xc3\x28"]) + PING, 404),
    Case("wrong-method-on-mcp", lambda s: head(s, ["Content-Length: 0"], request_line="PUT /mcp HTTP/1.1"), 405),
    Case("unknown-method-token", lambda s: head(s, [], request_line="BREW /mcp HTTP/1.1"), 405),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=[c.id for c in ACCEPTED])
def test_tolerated_shapes_keep_the_connection(server: Server, case: Case) -> None:
    exchange = raw_exchange(server, case.build(server) + request_bytes(server, "GET", "/healthz"), expect=2)
    statuses = [r.status for r in exchange.responses]
    assert statuses == [case.status, 200], f"{case.id}: {statuses} {exchange.responses[:1]}"
    assert not exchange.closed, f"{case.id}: closed a connection that had nothing wrong with its framing"


def test_405_on_mcp_names_the_allowed_methods(server: Server) -> None:
    exchange = raw_exchange(server, head(server, ["Content-Length: 0"], request_line="PATCH /mcp HTTP/1.1"))
    response = exchange.responses[0]
    assert response.status == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST", "DELETE"}


def test_body_at_exactly_the_limit_is_read(server: Server) -> None:
    """The limit is inclusive: maxBodyBytes of not-JSON reaches the JSON parser (400 -32700), not 413."""
    body = b"x" * MAX_BODY
    data = head(server, ["Accept: application/json, text/event-stream", "Content-Type: application/json",
                         f"Content-Length: {len(body)}"]) + body
    exchange = raw_exchange(server, data, timeout=20)
    assert [r.status for r in exchange.responses] == [400]
    assert exchange.responses[0].json()["error"]["code"] == -32700


@pytest.mark.parametrize("cut", [5, 20, 60], ids=["in-request-line", "in-headers", "in-body"])
def test_truncated_request_then_hangup(server: Server, cut: int) -> None:
    """Half a request and a hang-up: nothing to answer, nothing must break (checked again at the end)."""
    data = head(server, ["Content-Type: application/json", f"Content-Length: {len(PING) + 50}"]) + PING
    with RawConnection(server) as conn:
        conn.send(data[:cut] if cut < 60 else data)
        conn.sock.shutdown(1)  # SHUT_WR: the request will never be completed
        response = conn.read_response()
    assert response is None or response.status == 400, response
    assert raw_exchange(server, request_bytes(server, "GET", "/healthz")).responses[0].status == 200


def test_h2_preface_then_http1_bytes_is_a_closed_http2_connection(server: Server) -> None:
    """The preface hands the connection to HTTP/2 (h2c); HTTP/1.1 bytes after it are not frames, so the
    server answers in HTTP/2 (SETTINGS, then GOAWAY) and closes, never in HTTP/1.1."""
    with RawConnection(server) as conn:
        conn.send(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + request_bytes(server, "GET", "/healthz"))
        closed = conn.is_closed(wait=3.0)
        received = conn.buffer
    assert closed, "the HTTP/2 connection stayed open after a protocol error"
    assert not received.startswith(b"HTTP/1.1"), received[:80]
    frame_types = []
    while len(received) >= 9:
        length = int.from_bytes(received[:3], "big")
        frame_types.append(received[3])
        received = received[9 + length:]
    assert 0x7 in frame_types, f"no GOAWAY among frame types {frame_types}"
