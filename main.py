"""The Cloud Functions entry module: every registered entry point, imported on first use.

functions-framework resolves `--target` with `getattr(main, target)`, so each deployed function
imports only its own module (and what that needs), which keeps cold starts short.
"""

from __future__ import annotations

import importlib
from typing import Any

import flask

from functions.registry import FUNCTIONS
from shared.http.errors import json_fallback_errors

__all__ = [spec.entry_point for spec in FUNCTIONS]

if flask.has_app_context():  # functions-framework loads this module inside the app it builds for a function
    json_fallback_errors(flask.current_app)


def __getattr__(name: str) -> Any:
    for spec in FUNCTIONS:
        if spec.entry_point == name:
            return getattr(importlib.import_module(spec.module), name)
    raise AttributeError(f"module 'main' has no entry point {name!r}")
