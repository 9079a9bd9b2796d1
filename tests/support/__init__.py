"""Helpers for tests that run real workers against a real broker."""
