"""The command line. Thin: each command parses its options, calls one function of the
application, and prints what came back."""

from contactsheet.cli import jobs, library, server  # noqa: F401  (each registers its commands)
from contactsheet.cli.app import app

__all__ = ["app"]
