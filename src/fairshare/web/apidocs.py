"""The API reference at /docs, rendered on the server from the OpenAPI schema.

FastAPI's default /docs page loads Swagger UI from a CDN and runs inline scripts; both are
forbidden here (no internet, strict CSP), so the reference is plain HTML. The machine-readable
schema is at /openapi.json.
"""

from __future__ import annotations

from html import escape
from typing import Any


def _schema_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"list[{_schema_name(schema.get('items', {}))}]"
    if "anyOf" in schema:
        return " | ".join(_schema_name(s) for s in schema["anyOf"])
    return str(schema.get("type", "object"))


def render_reference(spec: dict[str, Any]) -> str:
    """An HTML page listing every operation with its parameters, body and responses."""
    parts = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
             f"<title>{escape(spec['info']['title'])} API reference</title>",
             '<link rel="stylesheet" href="/static/app.css"></head><body><main id="main">',
             f"<h1>{escape(spec['info']['title'])} API {escape(spec['info']['version'])}</h1>",
             f"<p>{escape(spec['info'].get('description', ''))}</p>",
             '<p>Machine-readable schema: <a href="/openapi.json">/openapi.json</a>.</p>']
    for path, item in sorted(spec.get("paths", {}).items()):
        for method, op in sorted(item.items()):
            parts.append(f"<section class=\"panel\"><h2><code>{method.upper()} {escape(path)}</code>"
                         f"</h2><p>{escape(op.get('summary', ''))}</p>")
            if op.get("description"):
                parts.append(f"<p>{escape(op['description'])}</p>")
            params = op.get("parameters", [])
            if params:
                parts.append("<h3>Parameters</h3><ul>")
                for p in params:
                    parts.append(f"<li><code>{escape(p['name'])}</code> ({escape(p['in'])}, "
                                 f"{escape(_schema_name(p.get('schema', {})))}"
                                 f"{', required' if p.get('required') else ''})</li>")
                parts.append("</ul>")
            body = op.get("requestBody", {}).get("content", {})
            for ctype, content in body.items():
                parts.append(f"<p>Body ({escape(ctype)}): <code>"
                             f"{escape(_schema_name(content.get('schema', {})))}</code></p>")
            parts.append("<h3>Responses</h3><ul>")
            for status, resp in sorted(op.get("responses", {}).items()):
                schema = resp.get("content", {}).get("application/json", {}).get("schema", {})
                parts.append(f"<li>{escape(str(status))}: {escape(resp.get('description', ''))} "
                             f"<code>{escape(_schema_name(schema)) if schema else ''}</code></li>")
            parts.append("</ul></section>")
    parts.append("</main></body></html>")
    return "".join(parts)
