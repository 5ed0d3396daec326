"""Plumbing that knows nothing of accidents: database, problems, pagination, tokens, time."""
