"""The `ro` command: one module per command group."""

from ro_core.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
