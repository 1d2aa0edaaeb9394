"""The lean reference `make bench` measures beside the agenda: the URLs it serves with
(`bench_settings`, scripts/ on the path), never deployed.

`/reference/` answers the agenda's default question as plainly as this stack allows: the
same count of what is still on (up to COUNT_UP_TO, as the agenda counts) and the same first
page (PAGE_SIZE occurrences, in the agenda's order, with their event's title, venue and
category) in two hand-written queries (the page's rows sorted narrow, then joined) over
the same indexes (what is still on began at most STILL_ON_SINCE ago), through the same
middleware, rendered by a bare template. It is the practical limit for that page here: the
agenda's throughput is reported as a share of it.
"""

from datetime import UTC, datetime

from django.db import connection
from django.http import HttpResponse
from django.template import engines
from django.urls import path
from django.utils import timezone

from config.urls import *  # noqa: F403
from diary.querysets import STILL_ON_SINCE
from diary.views import COUNT_UP_TO, PAGE_SIZE

PAGE = engines["django"].from_string(
    "<!doctype html><title>What’s on</title>"
    "<p>{% if count > limit %}More than {{ limit }}{% else %}{{ count }}{% endif %} dates</p><ul>"
    "{% for start, slug, title, venue, category in rows %}"
    '<li><time>{{ start|date:"D j M H:i" }}</time> <a href="/events/{{ slug }}/">{{ title }}</a>'
    " {{ venue|default:'' }} {{ category }}</li>{% endfor %}</ul>"
)

STILL_ON = 'o.published AND o."end" >= %s AND o.start >= %s'
COUNT = f"SELECT count(*) FROM (SELECT 1 FROM diary_occurrence o WHERE {STILL_ON} LIMIT %s) AS n"
ROWS = f"""
    WITH page AS (
        SELECT o.start, o.event_id FROM diary_occurrence o WHERE {STILL_ON}
        ORDER BY o.start, o.event_id LIMIT %s
    )
    SELECT page.start, e.slug,
           COALESCE(NULLIF(e.title_en, ''), NULLIF(e.title_fr, ''), e.title_nl),
           v.name_en, c.name_en
    FROM page
    JOIN diary_event e ON e.id = page.event_id
    LEFT JOIN venues_venue v ON v.id = e.venue_id
    LEFT JOIN diary_category c ON c.id = e.category_id
    ORDER BY page.start, page.event_id
"""


def reference(request):
    now = timezone.now()
    still_on = [
        connection.ops.adapt_datetimefield_value(moment) for moment in (now, now - STILL_ON_SINCE)
    ]
    with connection.cursor() as cursor:
        cursor.execute(COUNT, [*still_on, COUNT_UP_TO + 1])
        (count,) = cursor.fetchone()
        cursor.execute(ROWS, [*still_on, PAGE_SIZE])
        rows = [(local(start), *rest) for start, *rest in cursor.fetchall()]
    return HttpResponse(PAGE.render({"count": count, "limit": COUNT_UP_TO, "rows": rows}))


def local(start: datetime) -> datetime:
    """In the city's time zone; SQLite gives naive UTC."""
    return timezone.localtime(start if timezone.is_aware(start) else start.replace(tzinfo=UTC))


urlpatterns = [path("reference/", reference), *urlpatterns]  # noqa: F405
