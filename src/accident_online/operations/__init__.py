"""Liveness, readiness and metrics for operators and orchestrators."""
