"""Malformed JSON and malformed JSON-RPC envelopes POSTed to /mcp on a valid session.

Bodies that are not JSON are `400` + `-32700`; JSON that is not one JSON-RPC message is `400` + `-32600`
(docs/mcp-protocol.md §1, §4.2, checklist 12 and 27). A well-formed request for something that does not exist
is a JSON-RPC error with HTTP 200 (checklist 36).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from wire import INVALID_REQUEST, METHOD_NOT_FOUND, MCP, PARSE_ERROR

DEEP = 1000


def nested(depth: int) -> bytes:
    return b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":' + b"[" * depth + b"]" * depth + b"}}"


@dataclass
class Case:
    id: str
    body: bytes
    status: int
    code: int | None  # None: success expected
    echoed_id: object = None  # the id the response must carry (JSON null when the id was unreadable)


CASES: list[Case] = [
    # --- not JSON at all (-32700)
    Case("empty-body", b"", 400, PARSE_ERROR),
    Case("whitespace-only", b" \r\n\t ", 400, PARSE_ERROR),
    Case("truncated-object", b'{"jsonrpc":"2.0","id":1,"method":"pi', 400, PARSE_ERROR),
    Case("truncated-after-comma", b'{"jsonrpc":"2.0","id":1,', 400, PARSE_ERROR),
    Case("unterminated-string", b'{"jsonrpc":"2.0","id":1,"method":"ping}', 400, PARSE_ERROR),
    Case("single-quotes", b"{'jsonrpc':'2.0','id':1,'method':'ping'}", 400, PARSE_ERROR),
    Case("trailing-comma", b'{"jsonrpc":"2.0","id":1,"method":"ping",}', 400, PARSE_ERROR),
    Case("trailing-garbage", b'{"jsonrpc":"2.0","id":1,"method":"ping"} x', 400, PARSE_ERROR),
    Case("two-messages-concatenated", b'{"jsonrpc":"2.0","id":1,"method":"ping"}{"jsonrpc":"2.0","id":2,'
         b'"method":"ping"}', 400, PARSE_ERROR),
    Case("comment", b'{"jsonrpc":"2.0",/* x */"id":1,"method":"ping"}', 400, PARSE_ERROR),
    Case("nan-literal", b'{"jsonrpc":"2.0","id":NaN,"method":"ping"}', 400, PARSE_ERROR),
    Case("infinity-literal", b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":Infinity}}', 400, PARSE_ERROR),
    Case("leading-zero-number", b'{"jsonrpc":"2.0","id":01,"method":"ping"}', 400, PARSE_ERROR),
    Case("1e400-overflows", b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":1e400}}', 400, PARSE_ERROR),
    Case("minus-1e400", b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":-1e400}}', 400, PARSE_ERROR),
    Case("deep-nesting-1000", nested(DEEP), 400, PARSE_ERROR),
    Case("deep-nesting-objects-1000", b'{"jsonrpc":"2.0","id":1,"method":"ping","params":'
         + b'{"a":' * DEEP + b"1" + b"}" * DEEP + b"}", 400, PARSE_ERROR),
    Case("unclosed-deep-array", b"[" * 100_000, 400, PARSE_ERROR),
    Case("invalid-utf8-in-string", b'{"jsonrpc":"2.0","id":1,"method":"pi\xffng"}', 400, PARSE_ERROR),
    Case("overlong-utf8-slash", b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"\xc0\xaf"}}', 400,
         PARSE_ERROR),
    Case("utf8-encoded-surrogate", b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"\xed\xa0\x80"}}', 400,
         PARSE_ERROR),
    Case("truncated-utf8-at-end", b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"\xe2\x82"}}', 400,
         PARSE_ERROR),
    Case("lone-high-surrogate-escape", b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"\\ud800"}}', 400,
         PARSE_ERROR),
    Case("lone-low-surrogate-escape", b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"\\udc00"}}', 400,
         PARSE_ERROR),
    Case("bad-escape", b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"\\q"}}', 400, PARSE_ERROR),
    Case("raw-nul-in-string", b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"a\x00b"}}', 400, PARSE_ERROR),
    Case("raw-newline-in-string", b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"a\nb"}}', 400,
         PARSE_ERROR),
    Case("nul-byte-outside-strings", b'{"jsonrpc":"2.0",\x00"id":1,"method":"ping"}', 400, PARSE_ERROR),
    Case("utf8-bom", b'\xef\xbb\xbf{"jsonrpc":"2.0","id":1,"method":"ping"}', 400, PARSE_ERROR),
    Case("utf16-body", '{"jsonrpc":"2.0","id":1,"method":"ping"}'.encode("utf-16"), 400, PARSE_ERROR),
    # --- JSON, but not one JSON-RPC message (-32600)
    Case("batch-array", b'[{"jsonrpc":"2.0","id":1,"method":"ping"}]', 400, INVALID_REQUEST),
    Case("empty-array", b"[]", 400, INVALID_REQUEST),
    Case("bare-number", b"42", 400, INVALID_REQUEST),
    Case("bare-string", b'"ping"', 400, INVALID_REQUEST),
    Case("bare-null", b"null", 400, INVALID_REQUEST),
    Case("empty-object", b"{}", 400, INVALID_REQUEST),
    Case("jsonrpc-missing", b'{"id":1,"method":"ping"}', 400, INVALID_REQUEST),
    Case("jsonrpc-1.0", b'{"jsonrpc":"1.0","id":1,"method":"ping"}', 400, INVALID_REQUEST),
    Case("jsonrpc-number", b'{"jsonrpc":2.0,"id":1,"method":"ping"}', 400, INVALID_REQUEST),
    Case("method-number", b'{"jsonrpc":"2.0","id":1,"method":42}', 400, INVALID_REQUEST),
    Case("method-null", b'{"jsonrpc":"2.0","id":1,"method":null}', 400, INVALID_REQUEST),
    Case("id-null", b'{"jsonrpc":"2.0","id":null,"method":"ping"}', 400, INVALID_REQUEST),
    Case("id-fraction", b'{"jsonrpc":"2.0","id":1.5,"method":"ping"}', 400, INVALID_REQUEST),
    Case("id-2-pow-64", b'{"jsonrpc":"2.0","id":18446744073709551616,"method":"ping"}', 400, INVALID_REQUEST),
    Case("id-object", b'{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}', 400, INVALID_REQUEST),
    Case("id-array", b'{"jsonrpc":"2.0","id":[1],"method":"ping"}', 400, INVALID_REQUEST),
    Case("id-bool", b'{"jsonrpc":"2.0","id":true,"method":"ping"}', 400, INVALID_REQUEST),
    Case("params-string", b'{"jsonrpc":"2.0","id":1,"method":"ping","params":"x"}', 400, INVALID_REQUEST),
    Case("params-number", b'{"jsonrpc":"2.0","id":1,"method":"ping","params":3}', 400, INVALID_REQUEST),
    Case("params-null", b'{"jsonrpc":"2.0","id":1,"method":"ping","params":null}', 400, INVALID_REQUEST),
    Case("response-without-result-or-error", b'{"jsonrpc":"2.0","id":1}', 400, INVALID_REQUEST),
    Case("error-response-without-code", b'{"jsonrpc":"2.0","id":1,"error":{"message":"x"}}', 400, INVALID_REQUEST),
    Case("error-response-code-string", b'{"jsonrpc":"2.0","id":1,"error":{"code":"x","message":"x"}}', 400,
         INVALID_REQUEST),
    Case("result-with-null-id", b'{"jsonrpc":"2.0","id":null,"result":{}}', 400, INVALID_REQUEST),
    # --- well-formed, and answered with HTTP 200
    Case("unknown-method", b'{"jsonrpc":"2.0","id":9,"method":"no/such/method"}', 200, METHOD_NOT_FOUND, 9),
    Case("method-with-escaped-nul", b'{"jsonrpc":"2.0","id":9,"method":"ping\\u0000"}', 200, METHOD_NOT_FOUND, 9),
    Case("empty-method", b'{"jsonrpc":"2.0","id":"x","method":""}', 200, METHOD_NOT_FOUND, "x"),
    Case("id-minus-zero", b'{"jsonrpc":"2.0","id":-0,"method":"ping"}', 200, None, 0),
    Case("id-int64-max", b'{"jsonrpc":"2.0","id":9223372036854775807,"method":"ping"}', 200, None,
         9223372036854775807),
    Case("id-int64-min", b'{"jsonrpc":"2.0","id":-9223372036854775808,"method":"ping"}', 200, None,
         -9223372036854775808),
    Case("id-huge-string", b'{"jsonrpc":"2.0","id":"' + b"i" * 100_000 + b'","method":"ping"}', 200, None,
         "i" * 100_000),
    Case("id-with-escapes", '{"jsonrpc":"2.0","id":"\\u00e9\\ud83d\\ude00\\"","method":"ping"}'.encode(), 200, None,
         "\u00e9\U0001F600\""),
    Case("duplicate-keys-last-wins", b'{"jsonrpc":"2.0","id":1,"id":2,"method":"nope","method":"ping"}', 200, None,
         2),
    Case("nesting-within-limit", nested(60), 200, None, 1),
    Case("numbers-at-the-edges", b'{"jsonrpc":"2.0","id":3,"method":"ping","params":{"a":-0,"b":-0.0,'
         b'"c":18446744073709551616,"d":1e308,"e":5e-324,"f":1e-400}}', 200, None, 3),
    Case("params-array-ignored-by-ping", b'{"jsonrpc":"2.0","id":4,"method":"ping","params":[1,2]}', 200, None, 4),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_envelope(mcp: MCP, case: Case) -> None:
    resp = mcp.post_raw(case.body)
    assert resp.status_code == case.status, f"{case.id}: {resp.status_code} {resp.text[:300]}"
    assert resp.headers.get("content-type", "").startswith("application/json"), resp.headers
    message = json.loads(resp.content)
    assert message.get("jsonrpc") == "2.0", message
    if case.code is None:
        assert message.get("result") == {}, f"{case.id}: {message}"
    else:
        assert message["error"]["code"] == case.code, f"{case.id}: {message}"
        assert isinstance(message["error"]["message"], str) and message["error"]["message"]
    if case.status == 400:
        assert message.get("id") is None, f"{case.id}: a rejected body has no readable id: {message}"
    else:
        assert message["id"] == case.echoed_id and type(message["id"]) is type(case.echoed_id), message


@pytest.mark.parametrize("body", [
    b'{"jsonrpc":"2.0","method":"notifications/no-such-thing"}',
    b'{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":{"x":1}}}',
    b'{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"never-sent"}}',
    b'{"jsonrpc":"2.0","method":"notifications/cancelled","params":[]}',
    b'{"jsonrpc":"2.0","id":"errand-input-unknown","result":{"action":"accept"}}',
    b'{"jsonrpc":"2.0","id":12345,"error":{"code":-1,"message":"nobody asked"}}',
], ids=["unknown-notification", "cancel-object-request-id", "cancel-unknown-request", "cancel-array-params",
        "result-for-unknown-request", "error-for-unknown-request"])
def test_unsolicited_messages_are_accepted_silently(mcp: MCP, body: bytes) -> None:
    """Notifications and responses nobody waits for: 202, empty body, nothing else happens."""
    resp = mcp.post_raw(body)
    assert resp.status_code == 202 and resp.content == b"", f"{resp.status_code} {resp.text[:200]}"
