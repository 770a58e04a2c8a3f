"""The CLI reference (docs/cli.md), generated from every command's --help.

Regenerate with ``python -m nof1.cli.reference > docs/cli.md``; a test keeps it current.
"""

from __future__ import annotations

import click

from nof1.cli import main

__all__ = ["command_paths", "help_text", "reference_markdown"]


def command_paths(group: click.Group = main, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path, e.g. ('protocols', 'show'), depth first."""
    ctx = click.Context(group)
    paths = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths.extend(command_paths(command, (*prefix, name)))
    return paths


def help_text(path: tuple[str, ...]) -> str:
    """The --help output of ``nof1 <path>``."""
    from click.testing import CliRunner

    result = CliRunner().invoke(main, [*path, "--help"], prog_name="nof1", terminal_width=88)
    return result.output


def reference_markdown() -> str:
    parts = [
        "# nof1 command reference",
        "",
        "Generated from each command's `--help` by `python -m nof1.cli.reference`.",
        "",
    ]
    for path in [(), *command_paths()]:
        title = " ".join(("nof1", *path))
        parts += [f"## `{title}`", "", "```", help_text(path).rstrip(), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    print(reference_markdown(), end="")
