"""Starting a run of a sync-all job: a Cloud Run job execution in production, a background thread locally.

A Cloud Function only has CPU while it answers a request, so production hands the run to the Cloud Run
job named by SYNC_ALL_CLOUD_RUN_JOB (`projects/<p>/locations/<r>/jobs/<name>`), overriding its
arguments with `python -m functions.sync_all --kind <kind> --job-id <id>`. `make run` and the tests
run it in a thread of the serving process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.config import Environment, get_settings
from shared.domain.errors import ServiceUnavailable
from shared.domain.sync_jobs import SyncJob

log = logging.getLogger(__name__)
RUN_API = "https://run.googleapis.com/v2"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"


class JobLauncher(Protocol):
    def launch(self, job: SyncJob) -> None:
        """Start a run of the job (which continues after its cursor); raise ServiceUnavailable if it cannot."""


class LauncherSettings(BaseSettings):
    """Read at call time, once (the platform's Settings leave this area alone)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    sync_all_cloud_run_job: str = ""


def command(job: SyncJob) -> list[str]:
    """The command line that runs (or resumes) the job."""
    return ["python", "-m", "functions.sync_all", "--kind", job.kind.value, "--job-id", str(job.sync_job_id)]


class ThreadLauncher:
    """Runs each job in a daemon thread of this process (local runs and tests)."""

    def __init__(self, run: Callable[[int], object]) -> None:
        self._run = run
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def launch(self, job: SyncJob) -> None:
        thread = threading.Thread(target=self._safely, args=(job.sync_job_id,), daemon=True,
                                  name=f"sync-job-{job.sync_job_id}")
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def wait(self, timeout_s: float) -> bool:
        """Join the runs started so far; False when one is still going after `timeout_s` in total."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout_s)
        return not any(thread.is_alive() for thread in threads)

    def _safely(self, sync_job_id: int) -> None:
        try:
            self._run(sync_job_id)
        except Exception:  # a thread has no caller to raise to; the job stays resumable
            log.exception("sync job %s stopped", sync_job_id)


class CloudRunLauncher:
    """Executes the configured Cloud Run job with the job's own arguments."""

    def __init__(self, job_name: str, *, session: Any = None, timeout_s: float = 10.0) -> None:
        self._job_name = job_name.strip("/")
        self._session = session
        self._timeout_s = timeout_s

    def launch(self, job: SyncJob) -> None:
        body = {"overrides": {"containerOverrides": [{"args": command(job)}]}}
        try:
            response = self._authorized().post(f"{RUN_API}/{self._job_name}:run", json=body, timeout=self._timeout_s)
        except Exception as exc:  # google-auth and requests raise many kinds; any means "not started"
            raise ServiceUnavailable("The sync job could not be started; try again shortly.") from exc
        if response.status_code >= 300:
            log.error("Cloud Run refused to run %s: %s %s", self._job_name, response.status_code, response.text[:500])
            raise ServiceUnavailable("The sync job could not be started; try again shortly.")

    def _authorized(self) -> Any:
        if self._session is None:
            import google.auth
            from google.auth.transport.requests import AuthorizedSession

            credentials, _ = google.auth.default(scopes=[SCOPE])
            self._session = AuthorizedSession(credentials)  # type: ignore[no-untyped-call]
        return self._session


def configured_launcher(local_run: Callable[[int], object]) -> JobLauncher:
    """The Cloud Run launcher when a job is configured; a thread outside production; else refuse."""
    job_name = LauncherSettings().sync_all_cloud_run_job
    if job_name:
        return CloudRunLauncher(job_name)
    if get_settings().environment is Environment.PRODUCTION:
        raise ServiceUnavailable("Sync-all jobs are not configured (SYNC_ALL_CLOUD_RUN_JOB).")
    return ThreadLauncher(local_run)
