"""Everflow Network API: the production client, its request budget and typed errors."""
