"""The request a Cloud Scheduler job sends (terraform/modules/scheduler) reaches a CloudEvent function.

The headers and body are read from the Terraform configuration itself, and posted through
functions-framework to the production entry module (main.py), as Cloud Functions would serve it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import functions_framework
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCHEDULER = ROOT / "terraform" / "modules" / "scheduler" / "main.tf"
PROJECT, REGION, NAME = "my-project", "us-central1", "outbox-relay"


def scheduler_request() -> tuple[dict[str, str], bytes]:
    """The job's http_target for the outbox-relay row, its interpolations resolved."""
    hcl2 = pytest.importorskip("hcl2")
    options = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)
    parsed: dict[str, Any] = hcl2.loads(SCHEDULER.read_text(encoding="utf-8"), serialization_options=options)
    job = next(block["google_cloud_scheduler_job"]["job"] for block in parsed["resource"]
               if "google_cloud_scheduler_job" in block)
    target = job["http_target"][0]
    assert target["http_method"] == "POST"
    assert target["body"] == '${base64encode("{}")}', "update the body this test posts"
    values = {"var.project_id": PROJECT, "var.region": REGION, "each.key": NAME}
    headers = {key.strip('"'): re.sub(r"\$\{([^}]+)\}", lambda m: values[m.group(1)], value)
               for key, value in target["headers"].items()}
    return headers, b"{}"


def post(headers: dict[str, str], body: bytes) -> Any:
    app = functions_framework.create_app(target=NAME.replace("-", "_"), source=str(ROOT / "main.py"))
    return app.test_client().post("/", headers=headers, data=body)


def test_the_scheduler_request_is_a_cloud_event_the_function_accepts(env: None) -> None:
    headers, body = scheduler_request()
    job = f"projects/{PROJECT}/locations/{REGION}/jobs/schedule-{NAME}"
    assert headers["ce-source"] == f"//cloudscheduler.googleapis.com/{job}"
    response = post(headers, body)
    assert 200 <= response.status_code < 300, response.get_data(as_text=True)


def test_without_the_cloud_event_headers_the_function_refuses(env: None) -> None:
    headers, body = scheduler_request()
    response = post({"Content-Type": headers["Content-Type"]}, body)
    assert response.status_code == 400
