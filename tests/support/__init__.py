"""Builders shared by tests and benchmarks (never a conftest)."""
