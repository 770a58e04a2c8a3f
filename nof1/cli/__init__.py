"""The ``nof1`` command line.

Only parses options, calls the package and formats what comes back; nothing here
computes a statistic. Subcommands are imported on first use so ``nof1 --help`` stays
fast (pandas, scipy and friends load only when a command needs them).
"""

from __future__ import annotations

import importlib

import click

from nof1 import __version__

__all__ = ["Nof1Group", "main"]


class Nof1Group(click.Group):
    """A click group whose subcommands load lazily and whose errors are one line.

    Any :class:`nof1.errors.Nof1Error` becomes ``Error: ...`` on stderr with exit
    code 1; never a traceback.
    """

    def __init__(self, *args, lazy_subcommands: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = lazy_subcommands or {}

    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx, name):
        if name in self.lazy_subcommands:
            module, attr = self.lazy_subcommands[name].split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)

    def invoke(self, ctx):
        from nof1.errors import Nof1Error

        try:
            return super().invoke(ctx)
        except Nof1Error as exc:
            raise click.ClickException(str(exc)) from None


@click.group(
    cls=Nof1Group,
    lazy_subcommands={
        "analyze": "nof1.cli.analyze:analyze",
        "import": "nof1.cli.import_:import_group",
        "protocols": "nof1.cli.protocols:protocols",
        "power": "nof1.cli.power:power",
        "report": "nof1.cli.report:report",
        "schedule": "nof1.cli.schedule:schedule",
        "series": "nof1.cli.series:series",
        "simulate": "nof1.cli.simulate:simulate",
    },
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, "--version", prog_name="nof1")
def main():
    """nof1: n-of-1 trials, from protocol to blinded schedule to analysis and report.

    \b
    Start with:
      nof1 protocols list                 the shipped protocols
      nof1 protocols show ID              what a protocol does, week by week
      nof1 schedule ID --patient P01 --start 2026-01-05 --seed 7 --out DIR

    Wherever a PROTOCOL is taken, a shipped id or a path to a YAML file works.
    """
