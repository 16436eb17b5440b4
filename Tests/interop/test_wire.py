"""Raw HTTP conformance checks: docs/mcp-protocol.md section 11, items observable on the wire.

Every JSON-RPC result is validated against `$defs` of the official 2025-11-25 schema.
Test names carry the checklist item numbers (cNN) they cover.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import httpx
import pytest

from harness import (
    ACCEPT_BOTH,
    LATEST,
    RELATED_TASK,
    TERMINAL,
    Contract,
    GetStream,
    Raw,
    Server,
    check_task,
    messages_of,
    parse_sse,
    parse_time,
    text_of,
    validate,
)

DEMO_TASK_SUPPORT = {
    "sleep": "optional",
    "slow_computation": "optional",
    "must_be_background": "required",
    "sync_only": "forbidden",
    "fail": "optional",
    "echo": "forbidden",
}


def task_support(tool: dict[str, Any]) -> str:
    return (tool.get("execution") or {}).get("taskSupport", "forbidden")


# --------------------------------------------------------------------------- lifecycle


@pytest.mark.parametrize("version", ["2025-11-25", "2025-06-18", "2025-03-26"])
def test_c01_initialize_echoes_supported_version(server: Server, version: str) -> None:
    with Raw(server.url) as raw:
        msg = raw.initialize(version)
        validate(msg["result"], "InitializeResult")
        assert msg["result"]["protocolVersion"] == version
        raw.delete()


def test_c02_unknown_version_answered_with_latest(server: Server) -> None:
    with Raw(server.url) as raw:
        msg = raw.initialize("1999-01-01", initialized=False)
        assert raw.last_init_response.status_code == 200
        if "error" in msg:  # the spec's alternative: -32602 with data.supported
            assert msg["error"]["code"] == -32602
        else:
            assert msg["result"]["protocolVersion"] == LATEST
            raw.delete()


def test_c03_c40_initialize_result_shape(server: Server) -> None:
    with Raw(server.url) as raw:
        msg = raw.initialize()
        result = msg["result"]
        validate(result, "InitializeResult")
        assert msg["id"] == 0 and type(msg["id"]) is int
        assert result["protocolVersion"] == LATEST
        assert isinstance(result["serverInfo"]["name"], str) and result["serverInfo"]["name"]
        assert isinstance(result["serverInfo"]["version"], str) and result["serverInfo"]["version"]
        tasks = result["capabilities"]["tasks"]
        assert tasks["list"] == {} and tasks["cancel"] == {}
        assert tasks["requests"]["tools"]["call"] == {}
        assert "tools" in result["capabilities"]
        raw.delete()


@pytest.mark.parametrize("rid", [0, 1, 2**31 + 7, "1", "abc", "", "ümlaut-✓"])
def test_c04_id_echoed_with_same_type(raw: Raw, rid: Any) -> None:
    resp, msg = raw.request("ping", id=rid)
    assert msg["id"] == rid and type(msg["id"]) is type(rid)
    assert msg["jsonrpc"] == "2.0"
    assert msg["result"] == {}


def test_c05_ping_before_initialized_and_with_params(server: Server) -> None:
    with Raw(server.url) as raw:
        raw.initialize(initialized=False)
        assert raw.call("ping") == {}
        assert raw.call("ping", {}) == {}
        assert raw.call("ping", {"_meta": {"k": 1}}) == {}
        raw.notify("notifications/initialized")
        assert raw.call("ping") == {}
        raw.delete()


def test_c06_c36_unknown_method_is_32601_with_http_200(raw: Raw, contract: Contract) -> None:
    resp, msg = raw.request("no/such/method", {})
    assert resp.status_code == 200
    assert "error" in msg
    contract.check(msg["error"]["code"] == -32601, f"unknown method code {msg['error']['code']} != -32601")
    assert isinstance(msg["error"]["message"], str)


def test_c07_unknown_tool_is_32602(raw: Raw, contract: Contract) -> None:
    _, msg = raw.request("tools/call", {"name": "no_such_tool_" + uuid.uuid4().hex[:6], "arguments": {}})
    if "error" in msg:
        assert msg["error"]["code"] == -32602
    else:
        contract.check(False, f"unknown tool answered with a result, not -32602: {msg['result']}")
        assert msg["result"].get("isError") is True


def test_c07_failing_tool_is_error_result(raw: Raw) -> None:
    result = raw.call_tool("fail", {"message": "boom-wire"})
    validate(result, "CallToolResult")
    assert result["isError"] is True
    assert "boom-wire" in text_of(result)


def test_c08_c13_notifications_get_202_and_no_body(raw: Raw) -> None:
    for method, params in [
        ("notifications/initialized", None),
        ("notifications/cancelled", {"requestId": 987654, "reason": "unknown id"}),  # c10
        ("notifications/cancelled", {}),  # c10: absent requestId
        ("notifications/progress", {"progressToken": "nobody", "progress": 1}),
    ]:
        resp = raw.notify(method, params)
        assert resp.status_code == 202, (method, resp.status_code, resp.text)
        assert resp.content == b"", (method, resp.text)
    assert raw.call("ping") == {}  # the session is still fine


def test_c13_response_post_gets_202(raw: Raw) -> None:
    """A client POSTing a JSON-RPC response (to a request we never sent) still gets 202."""
    resp = raw.post({"jsonrpc": "2.0", "id": "never-sent", "result": {}})
    assert resp.status_code in (202, 400), resp.status_code
    if resp.status_code == 202:
        assert resp.content == b""


@pytest.mark.errand_only
def test_c09_cancelled_notification_stops_plain_call(server: Server) -> None:
    with Raw(server.url) as raw:
        raw.initialize()
        rid = 4242
        out: dict[str, Any] = {}

        def run() -> None:
            body = {"jsonrpc": "2.0", "id": rid, "method": "tools/call",
                    "params": {"name": "sleep", "arguments": {"seconds": 5}}}
            try:
                out["resp"] = raw.post(body, timeout=10)
            except httpx.HTTPError as exc:
                out["exc"] = exc

        t0 = time.monotonic()
        th = threading.Thread(target=run)
        th.start()
        time.sleep(0.5)
        with Raw(server.url) as other:
            other.session_id, other.protocol_version = raw.session_id, raw.protocol_version
            r = other.notify("notifications/cancelled", {"requestId": rid, "reason": "test"})
            assert r.status_code == 202
        th.join(10)
        assert not th.is_alive()
        assert time.monotonic() - t0 < 4.0, "the cancelled call ran to completion"
        if "resp" in out:
            msgs = messages_of(out["resp"]) if out["resp"].status_code == 200 else []
            assert not [m for m in msgs if m.get("id") == rid and "result" in m]
        raw.delete()


def test_c11_progress_tokens_unchanged_and_increasing(raw: Raw) -> None:
    for token in ["tok-" + uuid.uuid4().hex[:6], 31337]:
        rid = raw.new_id()
        body = {"jsonrpc": "2.0", "id": rid, "method": "tools/call",
                "params": {"name": "slow_computation", "arguments": {"duration": 2},
                           "_meta": {"progressToken": token}}}
        resp = raw.post(body)
        assert resp.status_code == 200
        msgs = messages_of(resp)
        final = [m for m in msgs if m.get("id") == rid]
        assert len(final) == 1 and text_of(final[0]["result"]) == "computed 2 steps"
        progress = [m["params"] for m in msgs if m.get("method") == "notifications/progress"]
        values = [p["progress"] for p in progress]
        for p in progress:
            assert p["progressToken"] == token and type(p["progressToken"]) is type(token)
        assert values == sorted(values) and len(set(values)) == len(values), values


def test_c12_array_body_rejected(raw: Raw, contract: Contract) -> None:
    resp = raw.post([{"jsonrpc": "2.0", "id": 1, "method": "ping"}])
    assert resp.status_code == 400, resp.status_code
    body = resp.json()
    assert "error" in body
    contract.check(body["error"]["code"] == -32600, f"array body error code {body['error']['code']} != -32600")


# --------------------------------------------------------------------------- Streamable HTTP


def test_c14_c15_c16_c17_post_answers(raw: Raw) -> None:
    rid = raw.new_id()
    resp = raw.post({"jsonrpc": "2.0", "id": rid, "method": "tools/list"})
    assert resp.status_code == 200
    ctype = resp.headers["content-type"]
    assert ctype.startswith("application/json") or ctype.startswith("text/event-stream")
    if ctype.startswith("application/json"):
        body = resp.json()
        assert isinstance(body, dict) and body["id"] == rid
    else:
        events = parse_sse(resp.text)
        for ev in events:
            assert ev.event in (None, "", "message"), ev.event
            if ev.data.strip():
                json.loads(ev.data)  # exactly one JSON message per event
        answered = [json.loads(e.data) for e in events if e.data.strip()]
        assert [m for m in answered if m.get("id") == rid]
        last = answered[-1]
        assert last.get("id") == rid, "the stream must end after the response"


@pytest.mark.parametrize("version,priming_allowed", [("2025-11-25", True), ("2025-06-18", False)])
def test_c18_priming_only_for_latest(server: Server, version: str, priming_allowed: bool) -> None:
    with Raw(server.url) as raw:
        raw.initialize(version)
        resp = raw.post({"jsonrpc": "2.0", "id": 5, "method": "tools/call",
                         "params": {"name": "echo", "arguments": {"text": "p"}}})
        if resp.headers["content-type"].startswith("text/event-stream"):
            events = parse_sse(resp.text)
            empties = [e for e in events if not e.data.strip()]
            if priming_allowed:
                if empties:
                    assert events[0] is empties[0] and events[0].id, "priming event must come first, with an id"
            else:
                assert not empties, "no priming (empty data) events before 2025-11-25"
        raw.delete()


def test_c23_get_stream_is_sse_or_405(raw: Raw) -> None:
    for accept in ["text/event-stream", ACCEPT_BOTH]:
        headers = raw.headers({"accept": accept})
        headers.pop("content-type")
        with httpx.Client(timeout=httpx.Timeout(5.0)) as http:
            with http.stream("GET", raw.url, headers=headers) as resp:
                assert resp.status_code in (200, 405), resp.status_code
                if resp.status_code == 200:
                    assert resp.headers["content-type"].startswith("text/event-stream")


def test_c25_post_without_acceptable_accept_is_406(raw: Raw) -> None:
    resp = raw.post({"jsonrpc": "2.0", "id": 1, "method": "ping"}, {"accept": "text/html"})
    assert resp.status_code == 406, resp.status_code


def test_c26_wrong_content_type_is_415(raw: Raw) -> None:
    resp = raw.post({"jsonrpc": "2.0", "id": 1, "method": "ping"}, {"content-type": "text/plain"})
    assert resp.status_code in (415, 400), resp.status_code


def test_c27_bad_json_is_400_parse_error(raw: Raw) -> None:
    resp = raw.post(None, raw=b'{"jsonrpc": "2.0", "id": 1, "method": ')
    assert resp.status_code == 400, resp.status_code
    assert resp.json()["error"]["code"] == -32700


def test_c28_session_id_visible_ascii_and_random(server: Server) -> None:
    ids = set()
    for _ in range(3):
        with Raw(server.url) as raw:
            raw.initialize()
            sid = raw.session_id
            assert sid, "initialize must issue an Mcp-Session-Id"
            assert all(0x21 <= ord(c) <= 0x7E for c in sid), sid
            assert len(sid) >= 22, f"session id too short to carry 122 random bits: {sid!r}"
            ids.add(sid)
            raw.delete()
    assert len(ids) == 3


def test_c29_missing_session_is_400(raw: Raw) -> None:
    resp = raw.post({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, session=False)
    assert resp.status_code == 400, resp.status_code


def test_c30_unknown_session_is_404(raw: Raw) -> None:
    resp = raw.post({"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                    {"mcp-session-id": uuid.uuid4().hex})
    assert resp.status_code == 404, resp.status_code


def test_c31_delete_ends_session(server: Server) -> None:
    with Raw(server.url) as raw:
        raw.initialize()
        resp = raw.delete()
        assert resp is not None
        assert 200 <= resp.status_code < 300 or resp.status_code == 405, resp.status_code
        if resp.status_code != 405:
            again = raw.post({"jsonrpc": "2.0", "id": 1, "method": "ping"})
            assert again.status_code == 404, again.status_code


def test_c32_protocol_version_header(raw: Raw) -> None:
    bad = raw.post({"jsonrpc": "2.0", "id": 1, "method": "ping"}, {"mcp-protocol-version": "1999-12-31"})
    assert bad.status_code == 400, bad.status_code
    headers = raw.headers()
    headers.pop("mcp-protocol-version")
    missing = raw.http.post(raw.url, content=b'{"jsonrpc":"2.0","id":2,"method":"ping"}', headers=headers)
    assert missing.status_code == 200, missing.status_code


def test_c33_initialize_without_version_header(server: Server) -> None:
    with Raw(server.url) as raw:
        raw.initialize()  # Raw never sends mcp-protocol-version on initialize
        assert raw.session_id
        raw.delete()


def test_c34_origin(raw: Raw, server: Server, contract: Contract) -> None:
    evil = raw.post({"jsonrpc": "2.0", "id": 1, "method": "ping"}, {"origin": "http://evil.example.com"})
    contract.check(evil.status_code == 403, f"bad Origin answered {evil.status_code}, not 403")
    for origin in [f"http://127.0.0.1:{server.port}", f"http://localhost:{server.port}"]:
        ok = raw.post({"jsonrpc": "2.0", "id": 2, "method": "ping"}, {"origin": origin})
        assert ok.status_code == 200, (origin, ok.status_code)


def test_c35_host(raw: Raw, server: Server, contract: Contract) -> None:
    evil = raw.post({"jsonrpc": "2.0", "id": 1, "method": "ping"},
                    {"host": "evil.example.com", "origin": "http://evil.example.com"})
    contract.check(400 <= evil.status_code < 500, f"bad Host answered {evil.status_code}, not 4xx")
    for host in [f"localhost:{server.port}", f"127.0.0.1:{server.port}", f"[::1]:{server.port}"]:
        ok = raw.post({"jsonrpc": "2.0", "id": 2, "method": "ping"}, {"host": host})
        contract.check(ok.status_code == 200, f"Host {host} answered {ok.status_code}")


def test_c37_discover_probe_fails_fast(server: Server, contract: Contract) -> None:
    """The mcp 2.x probe is answered at once: by a legacy-only server with an error that makes the client
    fall back, by Errand (which speaks 2026-07-28 too) with a DiscoverResult that still lists 2025-11-25."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "mcp", "version": "0.1.0"},
        "io.modelcontextprotocol/clientCapabilities": {}}}}
    headers = {"accept": ACCEPT_BOTH, "content-type": "application/json",
               "mcp-protocol-version": "2026-07-28", "mcp-method": "server/discover"}
    t0 = time.monotonic()
    resp = httpx.post(server.url, content=json.dumps(body), headers=headers, timeout=5)
    elapsed = time.monotonic() - t0
    assert elapsed < 1.0, f"probe took {elapsed:.2f}s"
    contract.check("mcp-session-id" not in resp.headers, "the probe's answer carries an Mcp-Session-Id")
    if resp.status_code == 200:
        msg = [m for m in messages_of(resp) if m.get("id") == 1][0]
        if "result" in msg:  # a server that speaks 2026-07-28 too (Errand): it must still offer 2025-11-25
            assert {"2026-07-28", "2025-11-25"} <= set(msg["result"]["supportedVersions"])
        else:
            assert msg["error"]["code"] == -32601
    else:
        assert 400 <= resp.status_code < 500
        if resp.content and resp.headers.get("content-type", "").startswith("application/json"):
            assert resp.json().get("error", {}).get("code") != -32022


@pytest.mark.errand_only
def test_healthz(server: Server) -> None:
    resp = httpx.get(server.base + "/healthz", timeout=5)
    assert resp.status_code == 200


# --------------------------------------------------------------------------- tools


def test_c42_tools_list_and_task_support(raw: Raw) -> None:
    result = raw.call("tools/list")
    validate(result, "ListToolsResult")
    tools = {t["name"]: t for t in result["tools"]}
    for tool in tools.values():
        if "execution" in tool and "taskSupport" in tool["execution"]:
            assert tool["execution"]["taskSupport"] in ("forbidden", "optional", "required")
    for name, mode in DEMO_TASK_SUPPORT.items():
        assert name in tools, f"demo tool {name} missing"
        assert task_support(tools[name]) == mode, (name, tools[name].get("execution"))
    assert "execution" not in tools["echo"] or tools["echo"]["execution"].get("taskSupport") in (None, "forbidden")
    for seed in ("analyze_molecules", "deep_research", "run_tests"):
        if seed in tools:  # seed scenario tools: smoke only, names may still change
            assert tools[seed]["inputSchema"]["type"] == "object"
            assert task_support(tools[seed]) in ("optional", "required")


def test_plain_calls(raw: Raw) -> None:
    echo = raw.call_tool("echo", {"text": "héllo wire"})
    validate(echo, "CallToolResult")
    assert text_of(echo) == "héllo wire" and not echo.get("isError")
    t0 = time.monotonic()
    slept = raw.call_tool("sleep", {"seconds": 0.5})
    assert time.monotonic() - t0 >= 0.45
    assert text_of(slept) == "slept 0.5"
    assert text_of(raw.call_tool("sync_only")) == "sync done"
    assert text_of(raw.call_tool("sleep", {"seconds": 0})) == "slept 0"


def test_c44_task_on_forbidden_tool_is_32601(raw: Raw, contract: Contract) -> None:
    for name, args in [("echo", {"text": "x"}), ("sync_only", {})]:
        _, msg = raw.request("tools/call", {"name": name, "arguments": args, "task": {"ttl": 60000}})
        if "error" in msg:
            assert msg["error"]["code"] == -32601, (name, msg["error"])
        else:
            contract.check(False, f"task-augmented call of forbidden tool {name} ran anyway: {msg['result']}")


def test_c45_required_tool_without_task_is_32601(raw: Raw, contract: Contract) -> None:
    _, msg = raw.request("tools/call", {"name": "must_be_background", "arguments": {}})
    if "error" in msg:
        assert msg["error"]["code"] == -32601, msg["error"]
    else:
        contract.check(False, f"required tool called without task did not get -32601: {msg['result']}")
        assert msg["result"].get("isError") is True


# --------------------------------------------------------------------------- tasks


def test_c43_c47_c48_c49_c50_c51_create_task(raw: Raw) -> None:
    t0 = time.monotonic()
    result = raw.call_tool("sleep", {"seconds": 3}, task={"ttl": 60000})
    elapsed = time.monotonic() - t0
    validate(result, "CreateTaskResult")
    task = result["task"]
    assert elapsed < 1.0, f"CreateTaskResult took {elapsed:.2f}s"
    assert task["status"] == "working"
    check_task(task)
    got = raw.call("tasks/get", {"taskId": task["taskId"]})
    validate(got, "GetTaskResult")
    check_task(got)
    assert got["taskId"] == task["taskId"] and got["createdAt"] == task["createdAt"]
    raw.call("tasks/cancel", {"taskId": task["taskId"]})


def test_c51_last_updated_changes_on_status_change(raw: Raw) -> None:
    task = raw.start_task("sleep", {"seconds": 0.3})
    done = raw.wait_task(task["taskId"])
    assert done["status"] == "completed"
    check_task(done)
    assert parse_time(done["lastUpdatedAt"]) > parse_time(task["lastUpdatedAt"])


def test_c52_task_without_ttl(raw: Raw) -> None:
    task = raw.start_task("sleep", {"seconds": 0.1}, ttl=None)
    check_task(task)
    assert "ttl" in task


def test_c53_ttl_clamped_and_reported(raw: Raw, contract: Contract) -> None:
    huge = 10**12  # ~31 years
    task = raw.start_task("sleep", {"seconds": 0.1}, ttl=huge)
    check_task(task)
    contract.check(task["ttl"] is not None and task["ttl"] < huge,
                   f"ttl {huge} reported back as {task['ttl']} (not clamped)")
    small = raw.start_task("sleep", {"seconds": 0.1}, ttl=60000)
    assert type(small["ttl"]) is int or small["ttl"] is None


def test_c54_task_ids_unique_and_long(raw: Raw) -> None:
    ids = {raw.start_task("sleep", {"seconds": 0})["taskId"] for _ in range(5)}
    assert len(ids) == 5
    for tid in ids:
        assert len(tid) >= 22, f"task id too short to be a 128-bit capability: {tid!r}"


def test_c57_c64_failed_task(raw: Raw, contract: Contract) -> None:
    task = raw.start_task("fail", {"message": "kaput-42"})
    done = raw.wait_task(task["taskId"])
    assert done["status"] == "failed"
    contract.check("kaput-42" in done.get("statusMessage", ""),
                   f"failed task statusMessage {done.get('statusMessage')!r} lacks the message")
    result = raw.call("tasks/result", {"taskId": task["taskId"]})
    validate(result, "CallToolResult")
    assert result["isError"] is True and "kaput-42" in text_of(result)
    assert result["_meta"][RELATED_TASK]["taskId"] == task["taskId"]


def test_c58_tasks_get_is_json_without_related_task(raw: Raw, contract: Contract) -> None:
    task = raw.start_task("sleep", {"seconds": 0.2})
    resp, msg = raw.request("tasks/get", {"taskId": task["taskId"],
                                          "_meta": {RELATED_TASK: {"taskId": "ignored"}}})
    contract.check(resp.headers["content-type"].startswith("application/json"),
                   f"tasks/get answered as {resp.headers['content-type']}")
    assert msg["result"]["taskId"] == task["taskId"]
    assert RELATED_TASK not in msg["result"].get("_meta", {})


@pytest.mark.parametrize("method", ["tasks/get", "tasks/result", "tasks/cancel"])
def test_c59_unknown_task_id_is_32602(raw: Raw, method: str) -> None:
    for tid in [str(uuid.uuid4()), "", "../../etc/passwd"]:
        err = raw.error(method, {"taskId": tid})
        assert err["code"] == -32602, (method, tid, err)


def test_c61_c62_result_blocks_until_done(raw: Raw, contract: Contract) -> None:
    task = raw.start_task("sleep", {"seconds": 1})
    t0 = time.monotonic()
    _, msg = raw.request("tasks/result", {"taskId": task["taskId"]})
    elapsed = time.monotonic() - t0
    if not contract.check("result" in msg, f"tasks/result on a working task did not block: {msg.get('error')}"):
        raw.wait_task(task["taskId"])
        _, msg = raw.request("tasks/result", {"taskId": task["taskId"]})
    else:
        assert elapsed >= 0.5, f"tasks/result returned after {elapsed:.2f}s, before the work was done"
    result = msg["result"]
    validate(result, "CallToolResult")
    assert text_of(result) == "slept 1"
    contract.check(result.get("_meta", {}).get(RELATED_TASK) == {"taskId": task["taskId"]},
                   f"tasks/result lacks related-task _meta (merged with the tool's own): {result.get('_meta')}")
    assert raw.call("tasks/get", {"taskId": task["taskId"]})["status"] == "completed"
    again = raw.call("tasks/result", {"taskId": task["taskId"]})  # results can be fetched again
    assert text_of(again) == "slept 1"


def test_c65_cancelled_result_releases_blocked_callers(server: Server, raw: Raw, contract: Contract) -> None:
    task = raw.start_task("sleep", {"seconds": 30})
    out: dict[str, Any] = {}

    def blocked() -> None:
        with Raw(server.url) as other:
            other.session_id, other.protocol_version = raw.session_id, raw.protocol_version
            try:
                out["msg"] = other.request("tasks/result", {"taskId": task["taskId"]}, timeout=20)[1]
            except (AssertionError, httpx.HTTPError) as exc:
                out["exc"] = exc

    th = threading.Thread(target=blocked)
    th.start()
    time.sleep(0.5)
    cancelled = raw.call("tasks/cancel", {"taskId": task["taskId"]})
    t0 = time.monotonic()
    th.join(15)
    assert not th.is_alive(), "tasks/result stayed blocked after tasks/cancel"
    assert time.monotonic() - t0 < 5
    assert cancelled["status"] == "cancelled"
    _, msg = raw.request("tasks/result", {"taskId": task["taskId"]})
    for m in [msg, out.get("msg")]:
        if m is None:
            contract.check(False, f"blocked tasks/result failed: {out.get('exc')}")
            continue
        if contract.check("error" in m, f"tasks/result of a cancelled task returned a result: {m.get('result')}"):
            assert m["error"]["code"] == -32602
            contract.check(m["error"].get("data") == {"taskId": task["taskId"], "status": "cancelled"},
                           f"cancelled-result error data is {m['error'].get('data')!r}")


def test_c55_c56_c68_cancel_then_stays_cancelled(raw: Raw, contract: Contract) -> None:
    task = raw.start_task("sleep", {"seconds": 0.8})
    cancelled = raw.call("tasks/cancel", {"taskId": task["taskId"]})
    validate(cancelled, "CancelTaskResult")
    check_task(cancelled)
    assert cancelled["status"] == "cancelled"
    assert raw.call("tasks/get", {"taskId": task["taskId"]})["status"] == "cancelled"
    time.sleep(1.2)  # the work would have finished by now
    later = raw.call("tasks/get", {"taskId": task["taskId"]})
    assert later["status"] == "cancelled"
    contract.check(later["lastUpdatedAt"] == cancelled["lastUpdatedAt"],
                   f"a cancelled task changed lastUpdatedAt ({cancelled['lastUpdatedAt']} -> {later['lastUpdatedAt']})")


def test_c69_cancel_terminal_is_32602(raw: Raw, contract: Contract) -> None:
    task = raw.start_task("sleep", {"seconds": 0})
    assert raw.wait_task(task["taskId"])["status"] == "completed"
    _, msg = raw.request("tasks/cancel", {"taskId": task["taskId"]})
    if contract.check("error" in msg, f"cancel of a completed task succeeded: {msg.get('result')}"):
        assert msg["error"]["code"] == -32602
    cancelled = raw.start_task("sleep", {"seconds": 5})
    raw.call("tasks/cancel", {"taskId": cancelled["taskId"]})
    _, msg = raw.request("tasks/cancel", {"taskId": cancelled["taskId"]})
    if contract.check("error" in msg, "a second cancel of a cancelled task succeeded"):
        assert msg["error"]["code"] == -32602


def test_c66_c67_tasks_list(server: Server, raw: Raw, contract: Contract) -> None:
    mine = {raw.start_task("sleep", {"seconds": 0})["taskId"] for _ in range(3)}
    for params in [None, {}, {"unknownParam": True}]:
        seen: list[str] = []
        result = raw.call("tasks/list", params)
        pages = 0
        while True:
            validate(result, "ListTasksResult")
            pages += 1
            for task in result["tasks"]:
                check_task(task)
                assert RELATED_TASK not in task.get("_meta", {})
            seen += [t["taskId"] for t in result["tasks"]]
            if "nextCursor" not in result:
                break
            assert isinstance(result["nextCursor"], str)
            assert pages < 100
            result = raw.call("tasks/list", {"cursor": result["nextCursor"]})
        if not contract.check(mine <= set(seen), f"tasks/list misses the caller's tasks (listed {len(seen)})"):
            continue
        assert len(seen) == len(set(seen)), "tasks/list returned duplicates across pages"
    _, msg = raw.request("tasks/list", {"cursor": "not-a-cursor-" + uuid.uuid4().hex})
    if contract.check("error" in msg, f"a bad tasks/list cursor was accepted: {msg.get('result')}"):
        assert msg["error"]["code"] == -32602
    with Raw(server.url) as other:
        other.initialize()
        theirs = [t["taskId"] for t in other.call("tasks/list").get("tasks", [])]
        contract.check(not (mine & set(theirs)), "tasks/list shows another session's tasks")
        other.delete()


def test_c70_status_notifications_on_get_stream(raw: Raw, contract: Contract) -> None:
    stream = GetStream(raw)
    try:
        assert stream.status in (200, 405)
        if not contract.check(stream.status == 200, "no GET stream (405)"):
            return
        assert stream.content_type and stream.content_type.startswith("text/event-stream")
        task = raw.start_task("sleep", {"seconds": 0.5})  # the stream is open: its 200 has been read

        def final(m: dict[str, Any]) -> bool:
            return (m.get("method") == "notifications/tasks/status"
                    and m["params"]["taskId"] == task["taskId"] and m["params"]["status"] in TERMINAL)

        got = stream.collect(final, timeout=10)
        for m in got:
            assert "method" in m, f"a JSON-RPC response on the GET stream: {m}"  # c24
        notes = [m for m in got if m.get("method") == "notifications/tasks/status"
                 and m["params"].get("taskId") == task["taskId"]]
        if contract.check(bool(notes) and final(notes[-1]), f"no terminal status notification: {got}"):
            for note in notes:
                validate(note, "TaskStatusNotification")
                check_task(note["params"])
                assert RELATED_TASK not in note["params"].get("_meta", {})
            assert notes[-1]["params"]["status"] == "completed"
    finally:
        stream.close()


def test_status_message_reports_steps(raw: Raw, contract: Contract) -> None:
    task = raw.start_task("slow_computation", {"duration": 3})
    messages = set()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        got = raw.call("tasks/get", {"taskId": task["taskId"]})
        if got.get("statusMessage"):
            messages.add(got["statusMessage"])
        if got["status"] in TERMINAL:
            break
        time.sleep(0.2)
    assert got["status"] == "completed"
    contract.check(any(m.startswith("step ") and m.endswith("/3") for m in messages),
                   f"no 'step i/3' statusMessage while working: {messages}")
    assert text_of(raw.call("tasks/result", {"taskId": task["taskId"]})) == "computed 3 steps"


def test_required_tool_as_task(raw: Raw) -> None:
    task = raw.start_task("must_be_background")
    assert raw.wait_task(task["taskId"])["status"] == "completed"
    result = raw.call("tasks/result", {"taskId": task["taskId"]})
    assert text_of(result) == "background done"


def test_other_session_reads_task_by_id(server: Server, raw: Raw, contract: Contract) -> None:
    """The product promise: a task id is a capability that works from any session."""
    task = raw.start_task("sleep", {"seconds": 0.3})
    raw.delete()
    raw.session_id = None
    with Raw(server.url) as phone:
        phone.initialize()
        deadline = time.monotonic() + 10  # the task ends after its creator's session is gone
        while (state := phone.request("tasks/get", {"taskId": task["taskId"]})[1]).get("result", {}).get(
                "status") not in TERMINAL and "error" not in state:
            assert time.monotonic() < deadline, state
            time.sleep(0.05)
        _, got = phone.request("tasks/get", {"taskId": task["taskId"]})
        if contract.check("result" in got, f"new session cannot tasks/get: {got.get('error')}"):
            _, res = phone.request("tasks/result", {"taskId": task["taskId"]})
            if contract.check("result" in res, f"new session cannot tasks/result: {res.get('error')}"):
                assert text_of(res["result"]) == "slept 0.3"
        phone.delete()


def test_c19_event_ids_unique_across_streams(raw: Raw) -> None:
    ids: list[str] = []
    for n in range(4):
        resp = raw.post({"jsonrpc": "2.0", "id": 700 + n, "method": "tools/call",
                         "params": {"name": "echo", "arguments": {"text": str(n)}}})
        if resp.headers["content-type"].startswith("text/event-stream"):
            ids += [e.id for e in parse_sse(resp.text) if e.id]
    assert len(ids) == len(set(ids)), f"SSE event ids repeat across streams: {ids}"


def test_c39_disconnect_does_not_cancel(server: Server, raw: Raw) -> None:
    """A client that gives up waiting on tasks/result does not cancel the task."""
    task = raw.start_task("sleep", {"seconds": 1})
    try:  # a blocking tasks/result times out here; one that does not block (the reference) answers
        raw.post({"jsonrpc": "2.0", "id": 801, "method": "tasks/result",
                  "params": {"taskId": task["taskId"]}}, timeout=0.3)
    except httpx.TimeoutException:
        pass
    raw.http.close()
    with Raw(server.url) as again:
        again.session_id, again.protocol_version = raw.session_id, raw.protocol_version
        assert again.wait_task(task["taskId"])["status"] == "completed"
    raw.http = httpx.Client(timeout=30)
