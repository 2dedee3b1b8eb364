"""Maintenance steps, one module each (SPEC §5)."""
