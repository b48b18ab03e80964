"""``python -m fairshare`` runs the CLI."""

from fairshare.cli import main

main()
