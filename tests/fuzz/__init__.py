"""API fuzzing (issue 10): schemathesis against the served OpenAPI document, as every demo role.

`python -m tests.fuzz` (`make fuzz`) is the full run; tests/e2e/test_fuzz_smoke.py the bounded one in `make test`.
"""
