"""Maintenance steps, one module each; the tasks that run them are in docs/jobs.md."""
