"""Derivatives that never lie: what to make, when a cached one may be trusted, making them,
and checking the whole library against the disk (docs/derivatives.md)."""
