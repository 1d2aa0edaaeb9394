"""The lean reference `make bench` measures beside the agenda: the URLs it serves with
(`bench_settings`, scripts/ on the path), never deployed.

`/reference/` answers the agenda's default question as plainly as this stack allows: the
same count of what is still on and the same first page (PAGE_SIZE occurrences, in the
agenda's order, with their event's title, venue and category) in two hand-written queries,
through the same middleware, rendered by a bare template. It is the practical limit for that
page here: the agenda's throughput is reported as a share of it.
"""

from django.db import connection
from django.http import HttpResponse
from django.template import engines
from django.urls import path
from django.utils import timezone

from diary.urls import *  # noqa: F403
from diary.views import PAGE_SIZE

PAGE = engines["django"].from_string(
    "<!doctype html><title>What’s on</title><p>{{ count }} dates</p><ul>"
    "{% for start, slug, title, venue, category in rows %}"
    '<li><time>{{ start|date:"D j M H:i" }}</time> <a href="/events/{{ slug }}/">{{ title }}</a>'
    " {{ venue|default:'' }} {{ category }}</li>{% endfor %}</ul>"
)

COUNT = 'SELECT count(*) FROM diary_occurrence WHERE published AND "end" >= %s'
ROWS = """
    SELECT o.start, e.slug, COALESCE(NULLIF(e.title_en, ''), NULLIF(e.title_fr, ''), e.title_nl),
           v.name_en, c.name_en
    FROM diary_occurrence o
    JOIN diary_event e ON e.id = o.event_id
    LEFT JOIN venues_venue v ON v.id = e.venue_id
    LEFT JOIN diary_category c ON c.id = e.category_id
    WHERE o.published AND o."end" >= %s
    ORDER BY o.start, o.event_id
    LIMIT %s
"""


def reference(request):
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(COUNT, [now])
        (count,) = cursor.fetchone()
        cursor.execute(ROWS, [now, PAGE_SIZE])
        rows = [(timezone.localtime(start), *rest) for start, *rest in cursor.fetchall()]
    return HttpResponse(PAGE.render({"count": count, "rows": rows}))


urlpatterns = [path("reference/", reference), *urlpatterns]  # noqa: F405
