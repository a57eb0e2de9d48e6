"""`make chaos`: fault scenarios under load, each bounded in time, all traffic on loopback (issue 10).

`python -m benchmarks.chaos [names...]` runs them (all by default); see docs/stress.md, "Faults".
"""
