"""How a sync-all run is started: a Cloud Run job execution in production, a thread elsewhere."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.adapters.job_launcher import CloudRunLauncher, ThreadLauncher, configured_launcher
from shared.config import get_settings
from shared.domain.errors import ServiceUnavailable
from shared.domain.provider_mappings import EntityKind, ProviderType
from shared.domain.sync_jobs import SyncJob, SyncJobStatus

NOW = datetime(2026, 1, 1, tzinfo=UTC)
JOB = SyncJob(42, EntityKind.AFFILIATE, ProviderType.EVERFLOW, SyncJobStatus.QUEUED, 3, 0, 0, 0, 0, 9, None, [],
              None, NOW, None, None, NOW)


@dataclass
class Answer:
    status_code: int
    text: str = ""


@dataclass
class FakeSession:
    """Google's AuthorizedSession as far as the launcher uses it."""

    status_code: int = 200
    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def post(self, url: str, *, json: dict[str, Any], timeout: float) -> Answer:
        self.posts.append((url, json))
        return Answer(self.status_code, "denied")


def test_cloud_run_executes_the_job_with_the_runs_own_arguments() -> None:
    session = FakeSession()
    CloudRunLauncher("projects/p/locations/europe-west1/jobs/sync-all", session=session).launch(JOB)
    assert session.posts == [(
        "https://run.googleapis.com/v2/projects/p/locations/europe-west1/jobs/sync-all:run",
        {"overrides": {"containerOverrides": [{"args": [
            "python", "-m", "functions.sync_all", "--kind", "affiliate", "--job-id", "42"]}]}})]


def test_a_refused_execution_is_a_503_the_caller_can_retry() -> None:
    with pytest.raises(ServiceUnavailable):
        CloudRunLauncher("projects/p/locations/r/jobs/sync-all", session=FakeSession(status_code=403)).launch(JOB)


def test_a_thread_runs_the_job_locally_and_can_be_waited_for() -> None:
    ran: list[int] = []
    release = threading.Event()

    def run(job_id: int) -> None:
        release.wait(5)
        ran.append(job_id)

    launcher = ThreadLauncher(run)
    launcher.launch(JOB)
    assert not launcher.wait(0.01)
    release.set()
    assert launcher.wait(5) and ran == [42]


PRODUCTION = {"APP_ENV": "production", "DATABASE_URL": "postgresql://app@db/app", "REDIS_URL": "redis://cache",
              "SUPABASE_JWT_SECRET": "s" * 32, "SUPABASE_WEBHOOK_SECRET": "w" * 32, "CREDENTIALS_KEYS": "k1:x",
              "CREDENTIALS_ACTIVE_KEY_ID": "k1", "EVERFLOW_API_KEY": "ef-key"}


@pytest.fixture
def production(monkeypatch):
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_production_without_a_cloud_run_job_refuses_instead_of_running_in_the_function(
        production, monkeypatch) -> None:
    monkeypatch.delenv("SYNC_ALL_CLOUD_RUN_JOB", raising=False)
    with pytest.raises(ServiceUnavailable, match="SYNC_ALL_CLOUD_RUN_JOB"):
        configured_launcher(lambda job_id: None)
    monkeypatch.setenv("SYNC_ALL_CLOUD_RUN_JOB", "projects/p/locations/r/jobs/sync-all")
    assert isinstance(configured_launcher(lambda job_id: None), CloudRunLauncher)
