"""On SQLite, the database `make run` gives, the agenda's pages read a range of the
publication indexes, never the whole occurrence table nor the whole of an index.

SQLite ranges over an index only on what the query pins: `WHERE "published" AND start >= …`
cannot range over an index led by `published` (it is not an equality), so the indexes are
partial (their condition is `published`), and the month grid gives the month's bounds first
(SQLite ranges over the first bound it is given). The plans hold without statistics, as in a
new database.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CategoryFactory, EventFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="plans are SQLite's"),
]

PAGES = [
    "/",
    "/?when=week",
    "/?start=2026-12-01&end=2026-12-31",
    "/?category=music&free=true",
    "/month/",
    "/month/?month=2026-12&category=music",
    "/api/v1/occurrences/?when=week",
]


def occurrence_plans(client, path: str) -> list[str]:
    """The plan of every step reading diary_occurrence, in the queries `path` runs."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    steps = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}")
            steps += [row[3] for row in cursor.fetchall() if " diary_occurrence " in f"{row[3]} "]
    return steps


@pytest.mark.parametrize("path", PAGES)
def test_pages_read_a_range_of_an_occurrence_index(client, settings, path):
    settings.DIARY_CACHE_RESPONSES = False
    music = CategoryFactory(slug="music")
    for number in range(3):
        EventFactory(category=music if number % 2 else None, rrule="FREQ=DAILY;COUNT=5")
    steps = occurrence_plans(client, path)
    assert steps, "no query read the occurrences"
    for step in steps:
        assert not step.startswith("SCAN"), (path, steps)
    if "category" not in path:  # a category's events may lead instead, by (event, start)
        assert any("occurrence_public_start (start>?" in step for step in steps), (path, steps)
