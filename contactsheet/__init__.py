"""Contact Sheet: a self-hosted photo manager for photographers."""

__version__ = "0.1.0"
