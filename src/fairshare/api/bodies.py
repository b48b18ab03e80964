"""JSON request bodies checked before any route parses them: a bad body is a 422 that says
what is wrong, never a 500 (or a stalled worker).

Refused: text that is not JSON or not UTF-8, nesting deeper than :data:`MAX_DEPTH`, integers of
more than :data:`MAX_DIGITS` digits (or beyond 64-bit: no count here is that large, and the
database cannot store it), ``NaN`` and ``Infinity``, and strings holding lone surrogates
(``"\\ud800"``: not text, and no database accepts it). Nothing of the body is echoed back.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from fairshare.api.errors import reader_language
from fairshare.api.security import (
    ASGIApp,
    Receive,
    Scope,
    Send,
    _header,
    _send_json,
    read_body,
    replaying,
)
from fairshare.errors import JsonBodyError
from fairshare.i18n import N_, Message, Num, msg, render

MAX_DEPTH = 32
MAX_DIGITS = 19
INT_LIMIT = 2**63
_METHODS = frozenset({"POST", "PUT", "PATCH"})


# The reasons Python's json decoder gives (json.decoder and its C accelerator), by how they
# start, each in the reader's words; a reason not listed reads "a syntax error".
JSON_REASONS: tuple[tuple[str, str], ...] = (
    ("Expecting value", N_("json_reason_value")),
    ("Expecting ',' delimiter", N_("json_reason_comma")),
    ("Expecting ':' delimiter", N_("json_reason_colon")),
    ("Expecting property name", N_("json_reason_name")),
    ("Unterminated string", N_("json_reason_unterminated")),
    ("Invalid control character", N_("json_reason_control")),
    ("Invalid \\uXXXX escape", N_("json_reason_unicode_escape")),  # Python's text, verbatim
    ("Invalid \\escape", N_("json_reason_escape")),
    ("Extra data", N_("json_reason_extra")),
    ("Illegal trailing comma", N_("json_reason_trailing_comma")),
)
JSON_REASON_OTHER = N_("json_reason_other")


def json_reason(reason: str) -> Message:
    """Python's English reason for a JSON syntax error, as a message for the reader."""
    for start, key in JSON_REASONS:
        if reason.startswith(start):
            return msg(key)
    return msg(JSON_REASON_OTHER)


def _depth(text: str) -> int:
    """The deepest nesting of arrays and objects in ``text`` (strings skipped), without
    recursion.

    >>> _depth('{"a": [1, {"b": "[[["}]}')
    3
    """
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS or not -INT_LIMIT <= int(text) < INT_LIMIT:
        raise JsonBodyError(msg("json_too_many_digits", digits=Num(MAX_DIGITS)))
    return int(text)


def _constant(name: str) -> Any:
    raise JsonBodyError(msg("json_not_a_number", name=name))


def _check_strings(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            texts = [item]
        elif isinstance(item, dict):
            texts = list(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
            continue
        else:
            continue
        for t in texts:
            try:
                t.encode("utf-8")
            except UnicodeEncodeError:
                raise JsonBodyError(msg("json_lone_surrogate")) from None


def check_json(body: bytes) -> Any:
    """The decoded body, or :class:`JsonBodyError` saying what is wrong with it.

    >>> check_json(b'{"persons": 12}')
    {'persons': 12}
    >>> check_json(b'[' * 40 + b']' * 40)
    Traceback (most recent call last):
    ...
    fairshare.errors.JsonBodyError: the JSON is nested 40 levels deep; at most 32 are accepted
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise JsonBodyError(msg("json_not_utf8")) from None
    depth = _depth(text)
    if depth > MAX_DEPTH:
        raise JsonBodyError(msg("json_too_deep", depth=Num(depth), limit=Num(MAX_DEPTH)))
    try:
        value = json.loads(text, parse_int=_integer, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise JsonBodyError(msg("json_invalid", line=exc.lineno, column=exc.colno,
                                    problem=json_reason(exc.msg))) from None
    _check_strings(value)
    return value


class JsonBodyGuard:
    """Answers 422 to an API write whose JSON body :func:`check_json` refuses."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ctype = (_header(scope, b"content-type") or b"").split(b";")[0].strip().lower()
        if (scope["type"] != "http" or scope.get("method") not in _METHODS
                or not str(scope.get("path", "")).startswith("/api/")
                or not (ctype == b"application/json" or ctype.endswith(b"+json"))):
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        if body is None:
            return
        try:
            if body.strip():
                check_json(bytes(body))
        except JsonBodyError as exc:
            lang = reader_language(Request(scope))
            message = render(msg("json_body_refused", problem=exc.source), lang)
            await _send_json(send, 422, {"error": {
                "status": 422, "code": "invalid_json", "message": message, "details": []}})
            return
        replay = replaying(body, receive)

        await self.app(scope, replay, send)
