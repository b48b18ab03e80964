"""`fairshare synth members`: the members file that `fairshare outcomes predict` needs."""

from __future__ import annotations

from pathlib import Path

import typer

from fairshare.cli.groups import synth_app
from fairshare.cli.render import HELP, cli_text
from fairshare.errors import InputError, at
from fairshare.i18n import msg


def read_family_sizes(path: Path) -> list[tuple[str, int]]:
    """(family_id, size) of a families.csv (the `fairshare match` format); clear errors naming the
    file, row and column."""
    from fairshare.reference import read_csv_rows

    header, rows = read_csv_rows(path)
    missing = [c for c in ("family_id", "size") if c not in header]
    if missing:
        raise InputError(msg("members_families_columns", where=at(path),
                             missing=", ".join(missing)))
    out, seen = [], set()
    for line, row in enumerate(rows, start=2):
        family_id = row["family_id"].strip()
        if not family_id:
            raise InputError(msg("members_family_id_empty", where=at(path, line, "family_id")))
        if family_id in seen:
            raise InputError(msg("members_family_id_again", where=at(path, line, "family_id")))
        seen.add(family_id)
        try:
            size = int(row["size"])
        except ValueError:
            raise InputError(msg("cell_not_whole", where=at(path, line, "size"),
                                 raw=row["size"])) from None
        if not 1 <= size <= 30:
            raise InputError(msg("members_size_range", where=at(path, line, "size"),
                                 low=1, high=30))
        out.append((family_id, size))
    if not out:
        raise InputError(msg("members_no_families", where=at(path)))
    return out


@synth_app.command("members", help=HELP.t("cli_help_synth_members"))
def synth_members_cmd(
    families: Path = typer.Option(..., "--families", help=HELP.t("cli_help_synth_members_families")),
    seed: int = typer.Option(0, "--seed", help=HELP.t("cli_help_synth_members_seed")),
    out: Path = typer.Option(..., "--out", help=HELP.t("cli_help_synth_members_out")),
) -> None:
    from fairshare.members_synth import synth_members

    if not out.parent.exists():
        raise InputError(msg("cli_err_no_folder", where=at(out), folder=str(out.parent)))
    members = synth_members(read_family_sizes(families), seed)
    members.to_csv(out, index=False)
    t = cli_text()
    typer.echo(t("cli_wrote_members", members=t.number(len(members)),
                 families=t.number(members["family_id"].nunique()), out=out))
