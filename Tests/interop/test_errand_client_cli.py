"""`errand` as an MCP client (`errand call`, `errand tasks …`) end to end: the binary against a freshly started
Errand in both eras, and against the FastMCP 3.4.10 reference server (MCP 2025-11-25 tasks,
scripts/bench/peers/reference_server.py). The 2026-07-28 FastMCP peer is in Tests/interop_v2.

Every failure path has its documented exit status: unreachable server, unknown task id, bad key=value, usage,
a question with no terminal to ask it on."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from errand_cli import (
    EXIT_CANCELLED,
    EXIT_COMPLETED,
    EXIT_FAILED,
    EXIT_NEEDS_INPUT,
    EXIT_REFUSED,
    EXIT_TOOL_ERROR,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    PeerServer,
    Terminal,
    cli_env,
    free_port,
    run_cli,
    run_json,
)
from mcpwire import start_errand, stop_errand

ERAS = ["2025-11-25", "2026-07-28"]


# A command tool that outlives its timeout: its task fails (a JSON-RPC error, not a tool error).
STUCK_TOOL = """\
tools:
  - name: stuck
    description: Sleeps past its timeout
    command: ["sleep", "30"]
    timeout: 1s
"""


@pytest.fixture(scope="module")
def errand_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tools = tmp_path_factory.mktemp("tools") / "tools.yaml"
    tools.write_text(STUCK_TOOL)
    started = start_errand(["--tools", str(tools)])
    try:
        yield started.base + "/mcp"
    finally:
        stop_errand(started.process)


@pytest.fixture(scope="module")
def fastmcp3_url() -> Iterator[str]:
    peer = PeerServer("reference_server.py")
    try:
        yield peer.url
    finally:
        peer.stop()


@pytest.fixture(params=["errand-2025-11-25", "errand-2026-07-28", "fastmcp-3.4.10"])
def target(request: pytest.FixtureRequest) -> tuple[str, list[str]]:
    """(url, extra options): Errand in each era, and the FastMCP 3.4.10 peer (negotiated: it falls back)."""
    if request.param.startswith("errand-"):
        return request.getfixturevalue("errand_url"), ["--protocol", request.param.removeprefix("errand-")]
    return request.getfixturevalue("fastmcp3_url"), []


def test_a_plain_call_prints_the_text(target: tuple[str, list[str]]) -> None:
    url, options = target
    done = run_cli("call", "echo", "text=hello there", *options, url=url)
    assert done.returncode == EXIT_COMPLETED, done.stderr
    assert done.stdout.strip() == "hello there"


def test_a_task_call_shows_its_statuses_and_prints_the_result(target: tuple[str, list[str]]) -> None:
    url, options = target
    done = run_cli("call", "sleep", "seconds=0.2", "--task", *options, url=url)
    assert done.returncode == EXIT_COMPLETED, done.stderr
    assert done.stdout.strip() == "slept 0.2"
    # stderr is piped: plain lines, the last status the terminal one.
    statuses = [line for line in done.stderr.splitlines() if line.startswith("status ")]
    assert statuses[0].startswith("status working") and statuses[-1].startswith("status completed"), done.stderr


def test_detach_then_watch_get_and_result_by_id(target: tuple[str, list[str]]) -> None:
    url, options = target
    detached = run_cli("call", "sleep", "seconds=0.3", "--task", "--detach", *options, url=url)
    assert detached.returncode == EXIT_COMPLETED, detached.stderr
    task_id = detached.stdout.strip()
    assert task_id and "\n" not in task_id
    watched = run_cli("tasks", "watch", task_id, *options, url=url)
    assert watched.returncode == EXIT_COMPLETED, watched.stderr
    assert watched.stdout.splitlines()[-1].startswith("status completed"), repr(watched.stdout)
    status, result = run_json("tasks", "result", task_id, *options, url=url)
    assert status == EXIT_COMPLETED
    assert result["status"] == "completed" and result["result"]["content"][0]["text"] == "slept 0.3"
    status, task = run_json("tasks", "get", task_id, *options, url=url)
    assert status == EXIT_COMPLETED and task["taskId"] == task_id and task["status"] == "completed"


def test_watch_by_polling_alone(target: tuple[str, list[str]]) -> None:
    url, options = target
    task_id = run_cli("call", "sleep", "seconds=0.3", "--task", "--detach", *options, url=url).stdout.strip()
    watched = run_cli("tasks", "watch", task_id, "--poll", *options, url=url)
    assert watched.returncode == EXIT_COMPLETED, watched.stderr
    assert watched.stdout.splitlines()[-1].startswith("status completed"), repr(watched.stdout)


def test_a_tool_error_has_its_own_exit_status(target: tuple[str, list[str]]) -> None:
    url, options = target
    done = run_cli("call", "fail", "message=boom", "--task", *options, url=url)
    assert done.returncode == EXIT_TOOL_ERROR, (done.stdout, done.stderr)
    assert "boom" in done.stdout


def test_cancel_then_result_says_cancelled(target: tuple[str, list[str]]) -> None:
    url, options = target
    task_id = run_cli("call", "sleep", "seconds=60", "--task", "--detach", *options, url=url).stdout.strip()
    cancelled = run_cli("tasks", "cancel", task_id, *options, url=url)
    assert cancelled.returncode == EXIT_COMPLETED, cancelled.stderr
    status, result = run_json("tasks", "result", task_id, *options, url=url)
    assert status == EXIT_CANCELLED and result["status"] == "cancelled"


def test_an_unknown_task_id_is_refused(target: tuple[str, list[str]]) -> None:
    url, options = target
    for command in (["tasks", "get"], ["tasks", "watch"], ["tasks", "result"], ["tasks", "cancel"]):
        done = run_cli(*command, "no-such-task", *options, url=url)
        assert done.returncode == EXIT_REFUSED, (command, done.stderr)
        assert "refused" in done.stderr


def test_an_unknown_tool_is_refused(target: tuple[str, list[str]]) -> None:
    url, options = target
    status, answer = run_json("call", "no_such_tool", *options, url=url)
    if options:  # Errand: JSON-RPC -32602
        assert status == EXIT_REFUSED and answer["exitCode"] == EXIT_REFUSED
    else:  # FastMCP 3.4.10 answers an unknown tool with a tool error (isError), which has its own status
        assert status == EXIT_TOOL_ERROR and answer["result"]["isError"] is True


@pytest.mark.parametrize("era", ERAS)
def test_a_failed_task_has_its_own_exit_status(errand_url: str, era: str) -> None:
    done = run_cli("call", "stuck", "--task", "--protocol", era, url=errand_url)
    assert done.returncode == EXIT_FAILED, (done.stdout, done.stderr)
    assert "task failed" in done.stderr
    status, result = run_json("call", "stuck", "--task", "--protocol", era, url=errand_url)
    assert status == EXIT_FAILED and result["status"] == "failed" and result["error"]["message"]


@pytest.mark.parametrize("era", ERAS)
def test_task_support_is_the_servers_choice(errand_url: str, era: str) -> None:
    # A tool that only runs as a task, called plainly: refused, with the fix named.
    plain = run_cli("call", "must_be_background", "--protocol", era, url=errand_url)
    assert plain.returncode == EXIT_REFUSED and "--task" in plain.stderr, plain.stderr
    # A tool that never runs as a task, called with --task: 2026-07-28 runs it inline, 2025-11-25 refuses.
    forced = run_cli("call", "sync_only", "--task", "--protocol", era, url=errand_url)
    if era == "2026-07-28":
        assert forced.returncode == EXIT_COMPLETED and forced.stdout.strip() == "sync done", forced.stderr
    else:
        assert forced.returncode == EXIT_REFUSED, forced.stderr


def test_tasks_list_prints_json(errand_url: str) -> None:
    status, tasks = run_json("tasks", "list", url=errand_url)
    assert status == EXIT_COMPLETED and isinstance(tasks, list)


@pytest.mark.parametrize("era", ERAS)
def test_call_json_prints_one_object(errand_url: str, era: str) -> None:
    status, result = run_json("call", "slow_computation", "duration=1", "--task", "--protocol", era, url=errand_url)
    assert status == EXIT_COMPLETED
    assert result["status"] == "completed" and result["result"]["content"][0]["text"] == "computed 1 steps"


def test_watch_json_prints_one_update_per_line(errand_url: str) -> None:
    task_id = run_cli("call", "slow_computation", "duration=1", "--task", "--detach", "--protocol", "2025-11-25",
                      url=errand_url).stdout.strip()
    done = run_cli("tasks", "watch", task_id, "--json", url=errand_url)
    assert done.returncode == EXIT_COMPLETED, done.stderr
    updates = [json.loads(line) for line in done.stdout.splitlines()]
    assert updates[0]["type"] == "status"
    assert updates[-1]["status"] == "completed" and updates[-1]["taskId"] == task_id


def test_the_log_comes_from_errands_rest_endpoint(errand_url: str) -> None:
    task_id = run_cli("call", "slow_computation", "duration=1", "--task", "--detach", url=errand_url).stdout.strip()
    followed = run_cli("tasks", "log", task_id, "--follow", url=errand_url)
    assert followed.returncode == EXIT_COMPLETED, followed.stderr
    whole = run_cli("tasks", "log", task_id, url=errand_url)
    assert whole.returncode == EXIT_COMPLETED, whole.stderr
    assert len(whole.stdout.splitlines()) == len(followed.stdout.splitlines())
    unknown = run_cli("tasks", "log", "no-such-task", url=errand_url)
    assert unknown.returncode == EXIT_REFUSED


def test_the_log_fails_clearly_against_a_server_without_it(fastmcp3_url: str) -> None:
    done = run_cli("tasks", "log", "some-task", url=fastmcp3_url)
    assert done.returncode == EXIT_REFUSED
    assert "Errand" in done.stderr


@pytest.mark.parametrize("era", ERAS)
def test_a_question_without_a_terminal_stops_with_its_status(errand_url: str, era: str) -> None:
    done = run_cli("call", "approve_deployment", "service=api", "--task", "--protocol", era, url=errand_url)
    assert done.returncode == EXIT_NEEDS_INPUT, done.stderr
    assert "Deploy api to production?" in done.stderr
    status, error = run_json("call", "approve_deployment", "service=api", "--task", "--protocol", era,
                             url=errand_url)
    assert status == EXIT_NEEDS_INPUT and "asks for input" in error["error"]


@pytest.mark.parametrize("era", ERAS)
def test_a_question_is_asked_on_the_terminal_and_answered(errand_url: str, era: str) -> None:
    terminal = Terminal("call", "approve_deployment", "service=api", "--task", "--protocol", era,
                        "--url", errand_url)
    terminal.expect("Approve [y/n]")
    terminal.send("y")
    assert terminal.wait() == EXIT_COMPLETED, terminal.output
    assert b"deployed api" in terminal.output


def test_an_unreachable_server_has_its_own_exit_status() -> None:
    url = f"http://127.0.0.1:{free_port()}/mcp"  # nothing listens there
    for command in (["call", "echo", "text=x"], ["tasks", "get", "x"], ["tasks", "list"], ["tasks", "log", "x"]):
        done = run_cli(*command, url=url)
        assert done.returncode == EXIT_UNREACHABLE, (command, done.stderr)
        assert "unreachable" in done.stderr


@pytest.mark.parametrize("words", [
    ["call", "echo", "=x"],                      # no key
    ["call", "echo", "text"],                    # no '='
    ["call", "echo", "--args", "[1]"],           # not an object
    ["call", "echo", "--args", "{nope"],         # not JSON
    ["call", "sleep", "--detach"],               # --detach without --task
    ["call", "echo", "--url", "ftp://x/mcp"],    # not http(s)
    ["call", "echo", "--protocol", "1999-01-01"],
    ["tasks", "frobnicate"],
    ["tasks", "get"],                            # no id
])
def test_usage_errors_exit_64(words: list[str]) -> None:
    done = run_cli(*words)
    assert done.returncode == EXIT_USAGE, (words, done.stderr)


def test_key_value_words_are_json_when_valid(errand_url: str) -> None:
    # `echo` returns its text: a JSON string value stays a string; a number where a string is needed is refused.
    assert run_cli("call", "echo", 'text="quoted"', url=errand_url).stdout.strip() == "quoted"
    assert run_cli("call", "echo", "text=plain words", url=errand_url).stdout.strip() == "plain words"
    status, result = run_json("call", "sleep", "seconds=0.1", url=errand_url)
    assert status == EXIT_COMPLETED and result["result"]["content"][0]["text"] == "slept 0.1"


def test_help_documents_the_exit_statuses() -> None:
    done = run_cli("call", "--help")
    assert done.returncode == 0
    for code in ("0 completed", "69 server unreachable", "64 usage"):
        assert code in " ".join(done.stdout.split()), done.stdout


@pytest.fixture(scope="module")
def authenticated_errand(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Errand with a tokens file: (url, alice's token)."""
    made = run_cli("token", "new", "--principal", "alice")
    assert made.returncode == 0, made.stderr
    fields = dict(line.split(": ", 1) for line in made.stdout.splitlines() if line.startswith(("token: ", "hash: ")))
    tokens = tmp_path_factory.mktemp("auth") / "tokens.json"
    tokens.write_text(json.dumps({"principals": [{"name": "alice", "tokens": [fields["hash"]]}]}))
    started = start_errand(["--auth-file", str(tokens)])
    try:
        yield started.base + "/mcp", fields["token"]
    finally:
        stop_errand(started.process)


def test_the_token_authenticates_and_tasks_list_shows_the_principals_tasks(
        authenticated_errand: tuple[str, str]) -> None:
    url, token = authenticated_errand
    refused = run_cli("tasks", "list", url=url)
    assert refused.returncode == 77, refused.stderr  # no token: HTTP 401
    wrong = run_cli("call", "echo", "text=x", "--token", "not-the-token", url=url)
    assert wrong.returncode == 77, wrong.stderr
    detached = run_cli("call", "sleep", "seconds=0.1", "--task", "--detach", "--token", token, url=url)
    assert detached.returncode == EXIT_COMPLETED, detached.stderr
    task_id = detached.stdout.strip()
    # ERRAND_TOKEN works like --token; a new session lists the principal's tasks.
    env = {**cli_env(), "ERRAND_TOKEN": token}
    listed = run_cli("tasks", "list", "--json", url=url, env=env)
    assert listed.returncode == EXIT_COMPLETED, listed.stderr
    assert task_id in [task["taskId"] for task in json.loads(listed.stdout)]
    log = run_cli("tasks", "log", task_id, url=url, env=env)
    assert log.returncode == EXIT_COMPLETED, log.stderr


def test_the_url_comes_from_errand_url(errand_url: str) -> None:
    done = run_cli("call", "echo", "text=from the environment", env={**cli_env(), "ERRAND_URL": errand_url})
    assert done.returncode == EXIT_COMPLETED, done.stderr
    assert done.stdout.strip() == "from the environment"
