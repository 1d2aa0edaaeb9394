"""A database that is down or restarting: every door answers 503 at once, then recovers."""

from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper

from tests.factories import EventFactory

# Every test here makes the database fail on purpose: its 5xx answers are the point.
pytestmark = [pytest.mark.django_db, pytest.mark.server_error]


def database_down():
    return mock.patch.object(
        CursorWrapper, "execute", side_effect=OperationalError("server closed the connection")
    )


@pytest.mark.parametrize(
    "path", ["/", "/api/v1/occurrences/", "/feeds/events.ics", "/events/concert/"]
)
def test_every_door_answers_503_with_retry_after(client, path):
    EventFactory(title="Concert")
    with database_down():
        response = client.get(path)
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    if path.startswith("/api/"):
        assert "briefly unavailable" in response.json()["detail"]
    else:
        assert b"briefly unavailable" in response.content


def test_the_app_recovers_when_the_database_is_back(client):
    EventFactory(title="Concert")
    with database_down():
        assert client.get("/api/v1/occurrences/").status_code == 503
        assert client.get("/healthz").status_code == 503
    assert client.get("/api/v1/occurrences/").json()["count"] == 1
    assert client.get("/healthz").status_code == 200


def test_other_errors_stay_server_errors(client):
    with mock.patch("diary.views.IdsFirstPaginator", side_effect=ValueError("a bug")):
        client.raise_request_exception = False
        assert client.get("/").status_code == 500
