"""The HTTP kit: routing inside a function, request parsing, errors, paging, logs and OpenAPI."""
