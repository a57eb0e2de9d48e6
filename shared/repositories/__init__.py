"""Repositories own all SQL: one module per aggregate, returning domain objects."""
