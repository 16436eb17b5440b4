"""README.md's curl session, run for real so its examples never rot.

Convention in README.md:

* a line `<!-- example -->` directly before a ```sh block marks it as an example;
* an optional line `<!-- prints -->` directly before a ```text block right after an example gives what
  the example prints. Every listed line must appear in the example's output, in that order (other
  lines may come in between, e.g. extra tools); `…` in a line matches any text.

All examples run in one bash process, in order (they share shell variables), with the README's server
URL replaced by the server under test. Each must exit 0 and print what its `prints` block says.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness import REPO_ROOT, Server

README = REPO_ROOT / "README.md"
README_URL = "http://127.0.0.1:8080/mcp"
FENCE_RE = re.compile(r"^```(\w*)\s*$")


@dataclass
class Example:
    line: int
    code: str
    expected: list[str] | None


def parse_examples(text: str) -> list[Example]:
    lines = text.splitlines()
    examples: list[Example] = []
    i = 0

    def fenced(start: int, lang: str) -> tuple[list[str], int]:
        m = FENCE_RE.match(lines[start]) if start < len(lines) else None
        assert m and m.group(1) == lang, f"README line {start + 1}: expected a ```{lang} block"
        end = start + 1
        while not lines[end].startswith("```"):
            end += 1
        return lines[start + 1:end], end + 1

    while i < len(lines):
        if lines[i].strip() == "<!-- example -->":
            code, i = fenced(i + 1, "sh")
            expected = None
            if i < len(lines) and lines[i].strip() == "<!-- prints -->":
                expected, i = fenced(i + 1, "text")
            examples.append(Example(line=i, code="\n".join(code), expected=expected))
        else:
            i += 1
    return examples


def line_pattern(expected: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(part) for part in expected.split("…")) + "$")


def assert_prints(example: Example, output: str) -> None:
    if example.expected is None:
        return
    got = output.splitlines()
    pos = 0
    for want in example.expected:
        pattern = line_pattern(want)
        while pos < len(got) and not pattern.match(got[pos]):
            pos += 1
        assert pos < len(got), (
            f"README example above line {example.line}: expected a line {want!r} "
            f"(in order) in its output:\n{output}"
        )
        pos += 1


def test_readme_has_examples() -> None:
    examples = parse_examples(README.read_text())
    assert len(examples) >= 7
    joined = "\n".join(e.code for e in examples)
    for method in ["initialize", "notifications/initialized", "tools/list", "tools/call",
                   '"task":', "tasks/get", "tasks/result"]:
        assert method in joined, f"the README's curl session lacks {method}"
    assert README_URL in examples[0].code


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("jq") is None, reason="needs curl and jq")
def test_readme_curl_session(server: Server, tmp_path: Path) -> None:
    examples = parse_examples(README.read_text())
    marker = "@@" + uuid.uuid4().hex
    script = ["set -eo pipefail"]
    for n, ex in enumerate(examples):
        code = ex.code.replace(README_URL, server.url)
        script += [f"echo '{marker} start {n}'", code, f"echo '{marker} end {n}'"]
    (tmp_path / "readme.sh").write_text("\n".join(script) + "\n")
    proc = subprocess.run(["bash", str(tmp_path / "readme.sh")], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, stdin=subprocess.DEVNULL)
    outputs: dict[int, list[str]] = {}
    finished: set[int] = set()
    current = None
    for line in proc.stdout.splitlines():
        if line.startswith(marker):
            _, what, n = line.split()
            current = int(n) if what == "start" else None
            if what == "end":
                finished.add(int(n))
            outputs.setdefault(int(n), [])
        elif current is not None:
            outputs[current].append(line)
    for n, ex in enumerate(examples):
        assert n in finished, (
            f"README example above line {ex.line} failed (bash exit {proc.returncode}):\n"
            f"{ex.code}\n--- stdout:\n{chr(10).join(outputs.get(n, []))}\n--- stderr:\n{proc.stderr}"
        )
        assert_prints(ex, "\n".join(outputs[n]))
    assert proc.returncode == 0, proc.stderr
