"""The server-rendered, bilingual (English/French) dashboard: templates, catalogues, static files.

Every script and style is served from ``static/`` (no CDN); pages carry no inline script, so the
Content-Security-Policy forbids inline scripts. Maps and charts are SVG drawn on the server.
"""
