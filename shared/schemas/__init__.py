"""Pydantic models of the API edge: `XCreate`, `XUpdate`, `XRead`; they also generate the OpenAPI document."""
