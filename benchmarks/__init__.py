"""Cold-start, import-time and warm-latency benchmarks of the HTTP functions (`python -m benchmarks`)."""
