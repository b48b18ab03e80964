"""Routers of the REST API (``/api/v1``): thin shells over the service layer."""
