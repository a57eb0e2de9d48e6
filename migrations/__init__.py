"""Numbered, forward-only SQL migrations and their runner (`python -m migrations up|status`)."""
