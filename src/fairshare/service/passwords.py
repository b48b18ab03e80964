"""Passwords: the rule a new password must pass (OWASP ASVS 5.0, V6.2) and argon2id hashing
that cannot be used to stall the server.

The rule: at least :data:`MIN_PASSWORD` and at most :data:`MAX_PASSWORD` characters, any
characters, no composition rules (no "one digit, one capital"), and not a common password: not
on the offline list shipped in ``fairshare/data/passwords/common.txt`` (the 30,000 most frequent
passwords of a public breach corpus, see ``data/SOURCES.md``), not such a word padded with digits
or symbols, not one or two characters repeated, not the account's name or the product's name.

Hashing: argon2id with the library's defaults (64 MiB, 3 passes). At most
:data:`HASH_SLOTS` hashes run at once in a process; a login that cannot get a slot within
:data:`HASH_WAIT_SECONDS` is refused as busy (the server keeps answering, its memory stays
bounded).
"""

from __future__ import annotations

import functools
import re
import secrets
import threading
from importlib import resources

from fairshare.errors import InputError
from fairshare.i18n import Message, Num, msg

MIN_PASSWORD = 12
MAX_PASSWORD = 256  # ASVS asks for at least 64 permitted; longer is refused before any hashing
HASH_SLOTS = 2
HASH_WAIT_SECONDS = 2.0
PRODUCT_WORDS = ("fairshare",)

_SLOTS = threading.BoundedSemaphore(HASH_SLOTS)
_DUMMY: list[str] = []
_DUMMY_LOCK = threading.Lock()
_PADDING = re.compile(r"^[\W\d_]*(.*?)[\W\d_]*$")
_RUNS = ("0123456789" * 4, "9876543210" * 4, "abcdefghijklmnopqrstuvwxyz",
         "zyxwvutsrqponmlkjihgfedcba", "qwertyuiopasdfghjklzxcvbnm", "1q2w3e4r5t6y7u8i9o0p",
         "1qaz2wsx3edc4rfv5tgb6yhn7ujm")


class HashingBusy(Exception):  # noqa: N818 - a state, not a failure of the caller
    """Every hashing slot stayed busy for :data:`HASH_WAIT_SECONDS`."""


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lowercase)."""
    text = resources.files("fairshare").joinpath("data/passwords/common.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line)


def password_problem(password: str, *, username: str = "") -> str | None:
    """Why ``password`` is not acceptable for ``username`` (in English), or None: the text of
    :func:`password_message`.

    >>> password_problem("short")
    'The password must have at least 12 characters (it has 5).'
    >>> password_problem("Password2024!!") is not None, password_problem("aaaaaaaaaaaaaa") is not None
    (True, True)
    >>> password_problem("alice-example-12", username="alice") is not None
    True
    >>> password_problem("violet kettle under the bridge") is None
    True
    >>> password_problem("123456789012") is not None, password_problem("8302719465738291") is None
    (True, True)
    """
    problem = password_message(password, username=username)
    return None if problem is None else str(problem)


def password_message(password: str, *, username: str = "") -> Message | None:
    """Why ``password`` is not acceptable for ``username``, as a message for its reader, or None.

    >>> password_message("short").render("fr")
    'Le mot de passe doit compter au moins 12 caractères (il en a 5).'
    """
    if len(password) < MIN_PASSWORD:
        return msg("password_too_short", minimum=Num(MIN_PASSWORD), length=Num(len(password)))
    if len(password) > MAX_PASSWORD:
        return msg("password_too_long", maximum=Num(MAX_PASSWORD))
    lowered = password.lower()
    common = common_passwords()
    core = _PADDING.match(lowered)
    base = core.group(1) if core else lowered
    if (lowered in common or (len(base) >= 4 and base in common)
            or any(lowered in run for run in _RUNS)):
        return msg("password_common")
    if len(set(lowered)) <= 2:
        return msg("password_repeats")
    for word in (username.lower(), *PRODUCT_WORDS):
        if len(word) >= 3 and word in lowered:
            return msg("password_contains", word=word)
    return None


def check_new_password(password: str, *, username: str = "") -> None:
    """InputError unless ``password`` passes :func:`password_problem`."""
    problem = password_message(password, username=username)
    if problem is not None:
        raise InputError(problem)


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (with its own salt and parameters)."""
    from argon2 import PasswordHasher

    with _slot():
        return str(PasswordHasher().hash(password))


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches the hash ``stored``; with None (no such user) the same work
    is done against a dummy hash, so the answer takes as long either way.

    Raises:
        HashingBusy: no hashing slot became free in time (nothing was checked).
    """
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    if len(password) > MAX_PASSWORD:
        return False
    target = stored if stored is not None else _dummy_hash()
    with _slot():
        try:
            ok = bool(PasswordHasher().verify(target, password))
        except (VerificationError, InvalidHashError):
            ok = False
    return ok and stored is not None


def _dummy_hash() -> str:
    with _DUMMY_LOCK:
        if not _DUMMY:
            from argon2 import PasswordHasher

            _DUMMY.append(str(PasswordHasher().hash(secrets.token_hex(16))))
        return _DUMMY[0]


class _slot:  # noqa: N801 - used as a context manager, reads like a function
    def __enter__(self) -> None:
        if not _SLOTS.acquire(timeout=HASH_WAIT_SECONDS):
            raise HashingBusy

    def __exit__(self, *_: object) -> None:
        _SLOTS.release()
