"""Deployed functions: one thin module per function, the registry, and the local runner."""
