"""PostgreSQL access: a pooled pg8000 connection per transaction."""
