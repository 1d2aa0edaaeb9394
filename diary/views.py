from collections.abc import Iterable
from datetime import date
from itertools import groupby

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from diary.models import Event, Occurrence

HOME_LIMIT = 50


def group_by_day(occurrences: Iterable[Occurrence]) -> list[tuple[date, list[Occurrence]]]:
    """Occurrences (sorted by start) grouped by their day in the city's time zone.

    Whatever started before today and is still on (an exhibition, a festival) is listed
    under today, not under a day that has passed.
    """
    today = timezone.localdate()
    return [
        (day, list(group))
        for day, group in groupby(
            occurrences, key=lambda o: max(timezone.localdate(o.start), today)
        )
    ]


def home(request):
    """The next occurrences; the full filterable agenda replaces this."""
    occurrences = Occurrence.objects.public().upcoming().for_listing()[:HOME_LIMIT]
    return render(request, "diary/home.html", {"days": group_by_day(occurrences)})


def event_detail(request, slug: str):
    event = get_object_or_404(
        Event.objects.published().select_related("venue__municipality", "category"), slug=slug
    )
    occurrences = event.occurrences.upcoming()[:100]
    return render(
        request,
        "diary/event_detail.html",
        {"event": event, "days": group_by_day(occurrences), "hide_event_title": True},
    )


@never_cache
def healthz(request) -> HttpResponse:
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:
        return JsonResponse({"status": "error", "database": str(error)}, status=503)
    return JsonResponse({"status": "ok"})
