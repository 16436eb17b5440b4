"""openapi.yaml is valid OpenAPI 3.1, and the live server keeps every promise it makes (schemathesis)."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import OpenAPIV31SpecValidator
from openapi_spec_validator.readers import read_from_filename
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.checks import not_a_server_error

from conftest import ROOT

SPEC = ROOT / "openapi.yaml"

# Tools that would keep a synchronous call (or the server) busy: the fuzzer runs them as tasks.
SLOW_TOOLS = {"sleep", "slow_computation", "analyze_molecules", "deep_research", "run_tests", "approve_deployment",
              "must_be_background", "fail"}

schema = schemathesis.openapi.from_path(SPEC)


def test_spec_is_valid_openapi_3_1():
    document, _ = read_from_filename(str(SPEC))
    assert document["openapi"].startswith("3.1")
    OpenAPIV31SpecValidator(document).validate()


def test_server_serves_its_spec(base_url):
    response = httpx.get(f"{base_url}/api/openapi.yaml")
    assert response.status_code == 200
    assert response.text == SPEC.read_text()


@schema.exclude(path="/api/events").parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms(case, base_url):
    if case.path == "/api/tools/{name}/call" and (case.path_parameters or {}).get("name") in SLOW_TOOLS:
        case.query = {**(case.query or {}), "task": "true"}
    if case.path == "/api/tasks/{id}/result" and case.query and "wait" in case.query:
        case.query["wait"] = "10ms"
    case.call_and_validate(
        base_url=base_url, timeout=15,
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
                response_schema_conformance, negative_data_rejection])


@pytest.mark.parametrize("path", ["/api/events", "/api/events?task=x&tool=y"])
def test_event_stream_answers_event_stream(base_url, path):
    with httpx.stream("GET", base_url + path, timeout=5) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        first = next(response.iter_lines())
        assert first.startswith("id: ") or first.startswith("event: ")
