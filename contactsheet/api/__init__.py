"""The HTTP API: one router per resource; errors mapped in one place."""
