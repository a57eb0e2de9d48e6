from __future__ import annotations

import importlib

import functions_framework
import pytest
from functions_framework import _function_registry

import main
from functions.registry import FUNCTIONS, Trigger


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)
def test_every_registered_entry_point_is_exported_by_main_under_its_own_name(spec) -> None:
    function = getattr(main, spec.entry_point)
    assert function.__name__ == spec.entry_point
    assert spec.entry_point in main.__all__


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)
def test_functions_framework_sees_the_declared_signature_type(spec) -> None:
    getattr(main, spec.entry_point)
    assert _function_registry.REGISTRY_MAP[spec.entry_point] == spec.signature_type


@pytest.mark.parametrize("spec", [s for s in FUNCTIONS if s.trigger is Trigger.HTTP], ids=lambda s: s.name)
def test_an_http_function_builds_as_a_functions_framework_app_and_answers_health(spec, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("DB_CONNECT_TIMEOUT_S", "0.2")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    from shared.cache import reset_redis
    from shared.config import get_settings
    from shared.db.pool import reset_pool

    get_settings.cache_clear()
    reset_pool()
    reset_redis()
    app = functions_framework.create_app(target=spec.entry_point, source="main.py")
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert response.get_json() == {"status": "DOWN", "database": "down", "cache": "down"}
    get_settings.cache_clear()
    reset_pool()
    reset_redis()


def test_names_entry_points_and_paths_are_unique() -> None:
    names = [spec.name for spec in FUNCTIONS]
    entry_points = [spec.entry_point for spec in FUNCTIONS]
    paths = [path for spec in FUNCTIONS for path in spec.paths]
    assert len(set(names)) == len(names)
    assert len(set(entry_points)) == len(entry_points)
    assert len(set(paths)) == len(paths)


def test_http_rows_have_paths_and_event_rows_have_a_topic_or_schedule() -> None:
    for spec in FUNCTIONS:
        if spec.trigger is Trigger.HTTP:
            assert spec.paths and all(p.startswith("/") for p in spec.paths), spec.name
        elif spec.trigger is Trigger.PUBSUB:
            assert spec.topic, spec.name
        else:
            assert spec.schedule, spec.name


def test_push_invoked_functions_finish_within_the_ack_deadline() -> None:
    """Pub/Sub pushes (events and schedules) wait at most 600 s; Terraform's precondition refuses more."""
    slow = [spec.name for spec in FUNCTIONS if spec.trigger is not Trigger.HTTP and spec.timeout_s > 600]
    assert slow == []


def test_main_refuses_names_that_are_not_entry_points() -> None:
    with pytest.raises(AttributeError):
        main.__getattr__("not_a_function")


def test_importing_main_loads_no_function_module() -> None:
    import subprocess
    import sys

    code = "import sys, main; print(sorted(m for m in sys.modules if m.startswith(('functions.', 'shared.'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "functions.organizations" not in out
    assert importlib.util.find_spec("functions.organizations") is not None
