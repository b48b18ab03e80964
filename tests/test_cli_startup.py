"""A command run imports only the command module holding it; help still lists every command."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import pytest


def _registered() -> dict[str, str]:
    """Each command of the whole tree (``synth`` sub-commands as ``synth <name>``) and the
    module whose function it runs (for a group: its sub-commands')."""
    from typing import Any

    import typer.main

    from fairshare.cli import app

    def module(cmd: Any) -> str:  # typer vendors click: a group is what has commands
        if hasattr(cmd, "commands"):
            found = {module(sub) for sub in cmd.commands.values()}
            assert len(found) == 1, (cmd.name, found)
            return found.pop()
        assert cmd.callback is not None
        return str(inspect.unwrap(cmd.callback).__module__)

    out: dict[str, str] = {}
    root: Any = typer.main.get_command(app)
    for name, cmd in root.commands.items():
        if name == "synth":
            out.update({f"synth {sub}": module(c) for sub, c in cmd.commands.items()})
        else:
            out[name] = module(cmd)
    return out


def test_the_command_table_names_the_module_of_every_command() -> None:
    from fairshare.cli import COMMANDS

    assert _registered() == COMMANDS


_PROBE = """
import json, sys
sys.argv = ["fairshare", *json.loads(sys.argv[1])]
try:
    from fairshare.cli import main
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.startswith("fairshare.cli."))),
      file=sys.stderr)
"""


def _loaded(*args: str) -> tuple[str, list[str]]:
    proc = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(list(args))],
                          capture_output=True, text=True, check=True, timeout=300)
    modules: list[str] = json.loads(proc.stderr.strip().splitlines()[-1])
    return proc.stdout, [m for m in modules if m not in ("fairshare.cli.groups",
                                                         "fairshare.cli.render",
                                                         "fairshare.cli.typer_words")]


@pytest.mark.parametrize(("args", "module"), [
    (("match", "--help"), "fairshare.cli.matching"),
    (("synth", "batch", "--help"), "fairshare.cli.matching"),
    (("apportion", "--help"), "fairshare.cli.apportion"),
])
def test_a_command_loads_only_its_module(args: tuple[str, ...], module: str) -> None:
    out, modules = _loaded(*args)
    assert modules == [module]
    assert "--help" in out


def test_help_and_unknown_commands_load_every_module() -> None:
    from fairshare.cli import COMMANDS

    every = sorted(set(COMMANDS.values()))
    for args in (("--help",), ("synth", "--help"), ("no-such-command",)):
        out, modules = _loaded(*args)
        assert sorted(set(modules) & set(every)) == every, args
    out, _ = _loaded("--help")
    assert all(name in out for name in ("match", "apportion", "serve", "sweep", "synth"))
