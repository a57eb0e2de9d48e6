"""Mixed load and soak (issue 10): `python -m benchmarks load|soak`, locust against one process per function."""
