"""Schemathesis drives every operation of /api/schema/ with generated requests: the API must
never answer 5xx, and every answer must match the schema (status, content type, body)."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from diary.demo import demo_city_seed
from diary.models import ApiToken
from tests.factories import OrganiserFactory

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def requests_inside_the_test_transaction():
    """Schemathesis calls the real WSGI handler, whose close_old_connections would close a
    PostgreSQL connection in the middle of the test's transaction; Django's test client
    disconnects it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(db, monkeypatch, requests_inside_the_test_transaction):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": None, "user": None})
    demo_city_seed(events=30, venues=18, seed=2)
    return ApiToken.objects.create(organiser=OrganiserFactory()).key


# The schema view reads no database, so it can be fetched at collection time.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_honours_its_schema(case, token):
    response = case.call(headers={"Authorization": f"Token {token}"})
    case.validate_response(response, checks=CHECKS)
