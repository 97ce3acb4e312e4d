"""The documented exit status of the `directmem` commands, and the error that carries one."""

from __future__ import annotations

import click

EXIT_OK, EXIT_MISMATCH, EXIT_USAGE, EXIT_UNAVAILABLE = 0, 1, 2, 3


class CliError(click.ClickException):
    """An error with the documented exit status."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code
