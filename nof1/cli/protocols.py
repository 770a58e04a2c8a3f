"""``nof1 protocols``: list, show, validate and copy protocol files."""

from __future__ import annotations

import click

from nof1.cli import Nof1Group

__all__ = ["protocols"]


@click.group(cls=Nof1Group)
def protocols():
    """List, inspect, validate and copy protocol files."""


@protocols.command("list")
def list_():
    """List the shipped protocols: id, title and a one-line design."""
    from nof1.protocol import load_protocol, shipped_ids
    from nof1.protocol.summary import describe_design

    for pid in shipped_ids():
        p = load_protocol(pid)
        click.echo(f"{pid}\n  {p.title}\n  {describe_design(p)}")


@protocols.command()
@click.argument("protocol", metavar="ID_OR_FILE")
def show(protocol):
    """Summarize a protocol: timeline in weeks, blinding, randomization, outcomes and
    the analysis plan."""
    from nof1.cli._common import warn_visible_differences
    from nof1.protocol import read_protocol
    from nof1.protocol.summary import summarize

    pf = read_protocol(protocol)
    click.echo(summarize(pf.protocol, pf.sha256), nl=False)
    warn_visible_differences(pf.protocol)


@protocols.command()
@click.argument("file", type=click.Path(dir_okay=False))
def validate(file):
    """Check a protocol file; list every problem with its field path (exit 1 if any)."""
    from nof1.cli._common import warn_visible_differences
    from nof1.protocol import read_protocol
    from nof1.protocol.summary import describe_design

    pf = read_protocol(file)
    click.echo(f"{file}: valid protocol '{pf.protocol.id}' ({describe_design(pf.protocol)})")
    warn_visible_differences(pf.protocol)


@protocols.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--from",
    "source",
    required=True,
    metavar="ID_OR_FILE",
    help="The protocol to copy (a shipped id or a file).",
)
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def new(file, source, force):
    """Write a copy of a protocol to FILE, to edit into your own."""
    import re
    from pathlib import Path

    from nof1.outputs import write_file
    from nof1.protocol import read_protocol

    pf = read_protocol(source)
    target = Path(file)
    # A copy keeping the shipped id would pass for the shipped protocol in every result:
    # it takes its file's name as id when that is a valid id.
    new_id = re.sub(r"[^a-z0-9-]+", "-", target.stem.lower()).strip("-")
    text, renamed = pf.text, False
    if re.fullmatch(r"[a-z0-9][a-z0-9-]{0,59}", new_id) and new_id != pf.protocol.id:
        text, renamed = re.subn(
            rf"^id:\s*{re.escape(pf.protocol.id)}\s*$", f"id: {new_id}", text, count=1, flags=re.M
        )
    write_file(target, text, force=force, inputs={"--from protocol": pf.path})
    if renamed:
        done = f"a copy of {pf.protocol.id}, with id '{new_id}'"
    else:
        done = f"a copy of {pf.protocol.id}; give it an id of its own, it still has that one"
    click.echo(
        f"Wrote {target} ({done}). Edit it, then check it with: nof1 protocols validate {target}",
        err=True,
    )


@protocols.command()
def schema():
    """Print the JSON Schema that protocol files follow."""
    from nof1.protocol.schema import protocol_schema_text

    click.echo(protocol_schema_text(), nl=False)
