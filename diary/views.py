"""The agenda's pages. Thin: read the request, ask AgendaFilter or a queryset, render."""

import logging
from datetime import timedelta

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.views import defaults
from django.views.decorators.cache import never_cache

from common.caching import cacheable
from common.http import is_api
from common.listing import IdsFirstPaginator, feed_links, group_by_day, page_number
from common.translation import in_any_language, named
from diary import month, runs
from diary.cache import REMEMBERED, remembered_as
from diary.filters import (
    AgendaFilter,
    WhenChoices,
    describe,
    present,
    selection,
    when_window,
)
from diary.models import Article, Category, Event, Language, Occurrence, Tag, shown_language_name
from diary.related import related_articles
from diary.sharing import (
    found_pictures,
    google_calendar_url,
    outlook_calendar_url,
    share_links,
    shared_picture,
)
from diary.structured_data import event_json_ld, json_ld_script
from venues.models import Municipality, Venue

logger = logging.getLogger(__name__)

PAGE_SIZE = 40
COUNT_UP_TO = 1000  # "More than 1000 dates": a count that stops there, whatever the city holds
PICKS_SHOWN = 4  # editors' picks the agenda opens with
# The picks' dates read to find PICKS_SHOWN events: a pick on every evening of the week
# takes seven of them.
PICKS_READ = 24


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


def selection_query(request, *drop: str) -> str:
    """The query string without `page` (and whatever else is named) and without empty
    values: the selection itself, as links and subscriptions should carry it."""
    return selection(request.GET, *drop).urlencode()


def filter_choices() -> dict:
    """What the filter form offers, remembered until the data version moves (a new tag, a
    renamed area), per language: four queries the first time, then none. Not the venues: a
    capital's thousand made most of every page's weight and rendering; the venue box asks
    for the few whose names match what is typed (`venue_options`)."""
    key = remembered_as("filter-choices", translation.get_language())
    return cache.get_or_set(key, choices_now, REMEMBERED)


def choices_now() -> dict:
    return {
        "categories": list(Category.objects.all()),
        "areas": named(Municipality.objects.all()),
        "tags": named(Tag.objects.all()),
        "languages": sorted(
            (
                (code, shown_language_name(name))
                for code, name in Language.objects.values_list("code", "name")
            ),
            key=lambda choice: choice[1],
        ),
    }


@cacheable
def agenda(request):
    chosen = present(request.GET)
    if not is_htmx(request) and chosen != request.GET:
        # The form without JavaScript sends its empty fields: show the selection's own URL,
        # the one to bookmark, share or subscribe to.
        query = chosen.urlencode()
        return redirect(reverse("diary:agenda") + (f"?{query}" if query else ""))
    agenda = AgendaFilter(request.GET, queryset=Occurrence.objects.public().listed())
    # A selection with a bad value lists nothing: every date, as if nothing had been asked,
    # would read as its answer. The message says what to correct.
    dates = runs.listed(agenda) if agenda.is_valid() else agenda.queryset.none()
    paginator = IdsFirstPaginator(dates, PAGE_SIZE, count_up_to=COUNT_UP_TO, narrow=True)
    page = paginator.get_page(request.GET.get("page"))
    query = selection_query(request)
    selected = request.GET.copy()
    if agenda.dates_chosen:
        selected.pop("when", None)  # the form shows what applies: the dates
    choices = filter_choices()
    context = {
        "filter": agenda,
        "selected": selected,
        "suggested_venues": suggested_venues(agenda),
        "chosen_words": describe(agenda) if agenda.is_valid() else "",  # the folded panel's
        "page": page,
        "runs": runs.runs_on(agenda, choices["categories"]) if page.number == 1 else None,
        "picks": week_picks(agenda, query) if page.number == 1 and agenda.is_valid() else [],
        "picks_query": selection_query(request, "when", "start", "end", "pick"),
        "days": group_by_day(page.object_list, since=agenda.first_day()),
        "query": query,
        "feed": feed_links(request, query),
    }
    if is_htmx(request):
        response = render(request, "diary/_results.html", context)
    else:
        response = render(request, "diary/agenda.html", context | choices)
    patch_vary_headers(response, ["HX-Request"])
    return response


def week_picks(agenda: AgendaFilter, query: str) -> list[Occurrence]:
    """The editors' picks of the selection that are on this week (the `when=week` window),
    each event once at its next date, soonest first, at most PICKS_SHOWN; none when the
    selection is the picks already. Remembered per data version, selection and day, as
    long as the form's choices: a page asked again runs no more queries than before."""
    agenda.is_valid()  # filter_queryset reads the cleaned selection
    if agenda.form.cleaned_data.get("pick"):
        return []
    start, end = when_window(WhenChoices.WEEK, agenda.now)

    def picks_now() -> list[Occurrence]:
        first: dict[int, Occurrence] = {}
        for occurrence in (
            agenda.filter_queryset(Occurrence.objects.public().for_day_lists())
            .still_on(start)
            .filter(start__lt=end, event__is_pick=True)
            .order_by("start", "event_id")[:PICKS_READ]
        ):
            first.setdefault(occurrence.event_id, occurrence)
        return list(first.values())

    key = remembered_as("week-picks", query, timezone.localdate(agenda.now))
    # What ended since the picks were remembered is no longer on this week.
    on = [
        occurrence
        for occurrence in cache.get_or_set(key, picks_now, REMEMBERED)
        if occurrence.is_still_on(agenda.now)
    ]
    for occurrence in on:
        occurrence.ongoing = occurrence.start < agenda.now
    return on[:PICKS_SHOWN]


VENUE_OPTIONS = 20
VENUES_SUGGESTED = 5


def venues_named_like(typed: str) -> list[tuple[str, str]]:
    """(slug, name) of the venues whose name, in any language, holds `typed`, by name."""
    return named(Venue.objects.filter(in_any_language("name", "icontains", typed)))


def suggested_venues(agenda: AgendaFilter) -> list[tuple[str, str]]:
    """For a `venue` that names none ("Flag"), the venues whose names hold it, each with
    the agenda's address for the same selection at that venue: (name, URL)."""
    if "venue" not in agenda.form.errors:
        return []
    typed = [value.strip() for value in agenda.data.getlist("venue") if len(value.strip()) >= 2]
    if not typed:
        return []
    suggestions = []
    for slug, name in venues_named_like(typed[0])[:VENUES_SUGGESTED]:
        query = selection(agenda.data)
        query.setlist("venue", [slug])
        suggestions.append((name, reverse("diary:agenda") + "?" + query.urlencode()))
    return suggestions


@cacheable
def venue_options(request):
    """The `<option>`s of the agenda's venue box: the venues whose name, in any language,
    holds what is typed (`venue`, two letters at least), by name, at most VENUE_OPTIONS."""
    typed = request.GET.get("venue", "").strip()
    choices = venues_named_like(typed)[:VENUE_OPTIONS] if len(typed) >= 2 else []
    return render(request, "diary/_venue_options.html", {"choices": choices})


@cacheable
def agenda_month(request):
    """A month grid of the same selection as the agenda (the `month` parameter: 2026-12)."""
    first = month.month_start(request.GET.get("month"))
    last = month.month_end(first)
    params = request.GET.copy()
    for name in ("when", "page", "month"):
        params.pop(name, None)
    params["start"], params["end"] = first.isoformat(), last.isoformat()
    agenda = AgendaFilter(params, queryset=Occurrence.objects.public())
    by_day, month_runs = {}, None
    if agenda.is_valid():  # a bad value shows nothing, as on the agenda
        by_day = month.month_days(agenda, first, last)
        month_runs = runs.runs_on(
            agenda, filter_choices()["categories"], shown=month.MONTH_RUNS_SHOWN
        )
    query = selection_query(request, "month", "start", "end", "when")
    previous_month = (first - timedelta(days=1)).replace(day=1)
    return render(
        request,
        "diary/agenda_month.html",
        {
            "filter": agenda,
            "month": first,
            "weeks": month.weeks(first, by_day, query),
            "runs": month_runs,
            "query": query,
            "previous_month": previous_month,
            "next_month": last + timedelta(days=1),
            "feed": feed_links(request, selection_query(request, "month")),
        },
    )


@cacheable
def event_detail(request, slug: str):
    event = get_object_or_404(
        Event.objects.published()
        .for_reading()
        .select_related("venue__municipality", "category", "organiser")
        .prefetch_related("languages", "tags"),
        slug=slug,
    )
    return event_page(request, event)


def event_page(request, event: Event, *, preview: bool = False):
    """An event's page; `preview` (editors only, diary.admin) for one not yet published."""
    upcoming = list(event.occurrences.upcoming()[:100])
    past = [] if upcoming else list(event.occurrences.order_by("-start")[:10])[::-1]
    next_occurrence = upcoming[0] if upcoming else (past[-1] if past else None)
    url = request.build_absolute_uri(event.get_absolute_url())
    picture, picture_width, picture_height = shared_picture(event)
    image_url = request.build_absolute_uri(picture) if picture else ""
    context = {
        "event": event,
        "days": group_by_day(upcoming),
        "past": past,
        "next": next_occurrence,
        "next_ongoing": bool(upcoming) and upcoming[0].start < timezone.now(),
        "stories": related_articles(event),
        "url": url,
        "image_url": image_url,
        "image_width": picture_width,
        "image_height": picture_height,
        "share_links": share_links(event.title, url),
        "json_ld": json_ld_script(
            event_json_ld(
                event,
                next_occurrence,
                url=url,
                images=[request.build_absolute_uri(found) for found in found_pictures(event)],
            )
        ),
        "preview": preview,
    }
    if next_occurrence:
        context["google_url"] = google_calendar_url(event, next_occurrence, url)
        context["outlook_url"] = outlook_calendar_url(event, next_occurrence, url)
    return render(request, "diary/event_detail.html", context)


def page_not_found(request, exception):
    """API clients get JSON errors even for URLs no route matches."""
    if is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)


TAG_DATES = 40  # a tag page's dates at a time


@cacheable
def tag_detail(request, slug: str):
    """A topic, both ways: the magazine's stories about it first, then what is on, a page of
    dates at a time (one more is read to know whether a next page exists: no count)."""
    tag = get_object_or_404(Tag, slug=slug)
    number = page_number(request.GET.get("page"))
    start = (number - 1) * TAG_DATES
    dates = list(
        Occurrence.objects.public()
        .upcoming()
        .filter(event__tags=tag)
        .for_day_lists()[start : start + TAG_DATES + 1]
    )
    stories = []
    if number == 1:
        stories = Article.objects.visible().filter(tags=tag).order_by("-published_on", "pk")[:20]
    return render(
        request,
        "diary/tag_detail.html",
        {
            "tag": tag,
            "days": group_by_day(dates[:TAG_DATES]),
            "stories": stories,
            "page": number,
            "later": len(dates) > TAG_DATES,
            "feed": feed_links(request, f"tag={tag.slug}"),
        },
    )


def robots_txt(request) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /api/",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


@never_cache
def healthz(request) -> HttpResponse:
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any failure at all means "not healthy"
        # Hosts, ports and driver messages go to the log, never to whoever asks.
        logger.exception("Health check: the database does not answer")
        return JsonResponse({"status": "down"}, status=503)
    return JsonResponse({"status": "ok"})
