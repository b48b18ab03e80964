"""Fuzz the OpenAPI schema with schemathesis (bounded): no 500, unknown fields rejected,
responses match their declared schemas, authentication enforced on every protected route."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import load_all_checks

from fairshare.api import Settings, create_app
from webapp_helpers import SeededApp, seeded_app

load_all_checks()
CHECKS = schemathesis.checks

# The schema must exist when pytest collects (schemathesis' from_fixture does not support this
# pytest); building the app touches no database, the fixture below initialises and seeds it.
HOME = Path(tempfile.mkdtemp(prefix="fairshare-fuzz-"))
atexit.register(shutil.rmtree, HOME, ignore_errors=True)
APP = create_app(Settings.for_home(HOME, secure_cookies=False))
schema = schemathesis.openapi.from_dict(APP.openapi())
schema.app = APP


@pytest.fixture(scope="module")
def seeded() -> SeededApp:
    return seeded_app(HOME, families=12)

EXCLUDED = []
for name in ("positive_data_acceptance", "missing_required_header", "unsupported_method",
             "use_after_free", "ensure_resource_availability"):
    check = getattr(CHECKS, name, None)
    if check is not None:
        EXCLUDED.append(check)


@schema.parametrize()
@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_and_never_fails(case: schemathesis.Case, seeded: SeededApp) -> None:
    """Valid and invalid inputs as coordinator: only documented 2xx/4xx, never a 500."""
    case.call_and_validate(headers=seeded.auth("coordinator"), excluded_checks=EXCLUDED)


@schema.parametrize()
@settings(max_examples=1, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_protected_routes_reject_missing_and_wrong_credentials(case: schemathesis.Case,
                                                                seeded: SeededApp) -> None:
    """Every route but /health answers 401 without credentials and with a wrong token."""
    if case.path == "/health":
        assert case.call().status_code in (200, 405)  # 405: a method /health does not have
        return
    for headers in ({}, {"Authorization": "Bearer fs_not-a-real-token"},
                    {"Authorization": "Basic YWRtaW46YWRtaW4="}):
        response = case.call(headers=headers)
        if case.method.upper() != case.operation.method.upper():  # an undocumented method
            assert response.status_code in (401, 405)
            continue
        assert response.status_code == 401, (case.method, case.path, response.status_code)
        assert response.json()["error"]["code"] == "unauthenticated"


def test_schema_declares_every_route(seeded: SeededApp) -> None:
    """Health of the API model: every API route has a summary and a response model."""
    spec = seeded.client.app.openapi()
    offenders = [f"{m.upper()} {p}" for p, item in spec["paths"].items() for m, op in item.items()
                 if not op.get("summary") or ("200" not in op["responses"]
                 and "201" not in op["responses"])]
    assert not offenders
