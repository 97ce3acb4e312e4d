"""The `directmem` group: Ctrl-C handling and the subcommands imported only when they are used."""

from __future__ import annotations

from typing import Any

import click

from .errors import EXIT_INTERRUPTED

# Subcommands imported only when invoked (or listed by --help): `directmem run` does not pay for them.
LAZY_COMMANDS = {"incidents": ("incidents", "incidents"), "reproduce": ("incidents", "reproduce"),
                 "image": ("image", "image"), "diagnose": ("diagnose", "diagnose")}


class Group(click.Group):
    """Ctrl-C anywhere: the runs clean up on their way out (finally blocks), then one line and exit 130.
    The commands of LAZY_COMMANDS are imported when asked for; a missing module (the incident library
    is optional) leaves its command out."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *(n for n in LAZY_COMMANDS if self.get_command(ctx, n))})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in LAZY_COMMANDS:
            return super().get_command(ctx, cmd_name)
        module, attr = LAZY_COMMANDS[cmd_name]
        try:
            from importlib import import_module

            command = getattr(import_module(f".{module}", __package__), attr, None)
        except ImportError:
            return None
        if not isinstance(command, click.Command):
            return None
        self.add_command(command, cmd_name)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("\ndirectmem: interrupted (Ctrl-C); the run's worker or container was stopped and removed", err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
