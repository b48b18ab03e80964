"""No error a reader sees is written in English only (issue 14): every FairshareError (and every
ProblemError, a validator's message) is built from a catalogue message, ``msg("key", ...)``,
never from a string literal, an f-string or a concatenation of strings, which the shells could
only show in English.

The scan reads the source (AST) of ``src/fairshare``: each construction of such a class (a
``raise``, or a factory that returns one) with a text written in the code as its message or
among its ``details``, by file and line. A message passed on from another error
(``exc.source``) or held in a variable is not flagged (the variable is filled from the catalogue
too). Exceptions that are not FairshareErrors (a ValueError about a damaged stored snapshot, the
job runner's RuntimeError) are internal: they never reach a reader as a message.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "fairshare"
BASES = frozenset({"FairshareError", "ProblemError"})

# Files allowed to raise English errors: none (every one is a catalogue message). A file added
# here that has no English error left fails the test, so the set only shrinks.
ALLOW: frozenset[str] = frozenset()


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def error_classes(trees: list[ast.Module], bases: frozenset[str] = BASES) -> frozenset[str]:
    """``bases`` and every class of ``trees`` that derives from one of them, at any depth."""
    found = set(bases)
    classes = [n for tree in trees for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    grew = True
    while grew:
        grew = False
        for cls in classes:
            if cls.name not in found and any(_name(b) in found for b in cls.bases):
                found.add(cls.name)
                grew = True
    return frozenset(found)


def is_english(node: ast.expr) -> bool:
    """Whether ``node`` builds its text in the code: a str literal, an f-string, a ``+`` or
    ``%`` with a string side, or a literal's ``.format()`` / ``.join()``."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return is_english(node.left) or is_english(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in ("format", "join") and is_english(node.func.value)
    return False


def _details_english(node: ast.expr) -> bool:
    if isinstance(node, ast.List | ast.Tuple):
        return any(is_english(e) for e in node.elts)
    if isinstance(node, ast.ListComp):
        return is_english(node.elt)
    return False


def english_errors(tree: ast.Module, classes: frozenset[str], where: str) -> list[str]:
    """``where:line Class`` of each construction of one of ``classes`` in ``tree`` whose message
    (first argument or ``message=``) or ``details=`` is text written in the code."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _name(node.func) in classes):
            continue
        message = node.args[0] if node.args else next(
            (k.value for k in node.keywords if k.arg == "message"), None)
        details = next((k.value for k in node.keywords if k.arg == "details"), None)
        if (message is not None and is_english(message)) or (
                details is not None and _details_english(details)):
            found.append(f"{where}:{node.lineno} {_name(node.func)}")
    return sorted(found, key=lambda hit: int(hit.split(":")[1].split()[0]))


def _sources() -> dict[str, ast.Module]:
    return {path.relative_to(ROOT).as_posix(): ast.parse(path.read_text(encoding="utf-8"))
            for path in sorted(ROOT.rglob("*.py"))}


SAMPLE = '''
class FairshareError(Exception): ...
class InputError(FairshareError): ...
class RowError(InputError): ...
class Unrelated(Exception): ...

def bad(x, exc):
    raise InputError("plain")
    raise RowError(f"row {x}")
    raise InputError(
        "a " + str(x))
    raise errors.InputError("%s broken" % x)
    raise InputError(message="{} is wrong".format(x))
    return RowError(msg("ok"), details=[f"detail {x}"])
    raise InputError(msg("ok"), details=[f"{d}" for d in x])

def good(x, exc):
    raise InputError(msg("key", x=x))
    raise RowError(exc.source, details=exc.raw_details)
    raise InputError(msg("key"), details=[msg("d", x=d) for d in x])
    raise Unrelated(f"internal {x}")
    raise ValueError("internal")
'''


def test_the_scan_finds_english_messages_and_passes_catalogue_ones() -> None:
    tree = ast.parse(SAMPLE)
    classes = error_classes([tree])
    assert classes == {"FairshareError", "ProblemError", "InputError", "RowError"}
    assert english_errors(tree, classes, "t.py") == [
        "t.py:8 InputError", "t.py:9 RowError", "t.py:10 InputError", "t.py:12 InputError",
        "t.py:13 InputError", "t.py:14 RowError", "t.py:15 InputError"]


def test_the_real_error_classes_are_found() -> None:
    classes = error_classes(list(_sources().values()))
    assert {"InputError", "NotFoundError", "ConflictError", "KeyDefinitionError", "DataError",
            "PermissionDeniedError", "DemoModeError", "JsonBodyError", "ProblemError"} <= classes


def test_no_error_is_raised_with_an_english_text() -> None:
    sources = _sources()
    classes = error_classes(list(sources.values()))
    found = [hit for where, tree in sources.items() for hit in english_errors(tree, classes, where)]
    outside = [hit for hit in found if hit.split(":")[0] not in ALLOW]
    assert outside == [], "errors raised with English text: use msg('key', ...) (see i18n.py)"
    converted = ALLOW - {hit.split(":")[0] for hit in found}
    assert converted == set(), "no English error left in these files: remove them from ALLOW"
