"""``python -m nof1`` runs the command line."""

from nof1.cli import main

main(prog_name="nof1")
