"""iCalendar downloads and subscriptions.

`/feeds/events.ics` answers the agenda's own query string through the same AgendaFilter, so
any agenda URL's selection can be subscribed to. Each matching event is exported once, with
its recurrence rule, not expanded into copies. Calendar apps poll feeds for years: a poll
whose data did not change is answered 304 from the validators remembered for the data
version, before any query (`polled`); after a change, one aggregate decides whether the
feed's own events changed.
"""

import functools
import hashlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.cache import cache
from django.db.models import Count, Max, Min, Sum
from django.http import Http404, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.caching import cacheable, drop_unknown, reads_only
from common.listing import feed_links
from common.translation import in_language
from diary.cache import remembered_as
from diary.filters import AgendaFilter, describe, selection
from diary.languages import LANG
from diary.letters import LetterForm
from diary.models import Event, Occurrence
from diary.views import is_htmx, selection_query
from feeds import ical

# Without a size budget (DIARY_FEED_MAX_BYTES=0), a feed with at most this many events (about
# 7 MB) is built whole, so that it can be cached; larger ones are streamed.
CACHEABLE_EVENTS = 10_000
# By default a feed runs from 7 days ago (subscribers still see last week's cancellations) to
# the materialisation horizon, nearest events first.
FEED_PAST_DAYS = 7
MAX_AGE = 15 * 60
STATS_TTL = 24 * 60 * 60  # a selection's validators, for one data version
CONTENT_TYPE = "text/calendar; charset=utf-8"
# What a feed and the subscribe page read: the agenda's public parameters (DESIGN.md) and
# `lang`. Any other is dropped, not refused: links shared on social networks and in letters
# gain `fbclid`, `utm_source` and the like, some calendar clients add a cache-busting `_=`,
# and a feed address once subscribed to must keep working for years, so a 400 would break
# real subscriptions; dropped, they are one answer and one cache entry with the address
# without them, and nobody can make the diary render a feed again by adding `?zzz=1`.
PARAMETERS = frozenset(AgendaFilter.base_filters) | {LANG}


def feed_filter(request, **fixed: str) -> AgendaFilter:
    """The agenda's filter on the request's query string, with `fixed` parameters imposed."""
    params = request.GET.copy()
    for name, value in fixed.items():
        params.setlist(name, [value])
    if not params.get("start") and not params.get("when"):
        today = timezone.localdate()
        params["start"] = (today - timedelta(days=FEED_PAST_DAYS)).isoformat()
        if not params.get("end"):
            params["end"] = (today + timedelta(days=settings.DIARY_HORIZON_DAYS)).isoformat()
    return AgendaFilter(params, queryset=Occurrence.objects.public())


def calendar_response(
    request, events, *, name: str, filename: str = "", agenda: AgendaFilter | None = None
):
    """The events as iCalendar, with validators derived from the change journal alone (one
    aggregate query answers a calendar app's poll).

    A subscription (the `agenda`'s selection) keeps to DIARY_FEED_MAX_BYTES: Google Calendar
    silently ignores a feed much over 1 MB. It carries the events nearest to the window's
    start that fit, and says in its description that it was cut and how to narrow it; the
    same data gives the same cut, so its ETag still holds. A download (`filename`) is whole.
    """
    budget = 0 if filename or agenda is None else settings.DIARY_FEED_MAX_BYTES
    stats = selection_stats(request, events)
    modified = stats["changed"]
    key = repr(
        (
            sorted(stats.items()),
            request.get_full_path(),
            request.get_host(),
            timezone.localdate(),
            name,
            translation.get_language(),  # `lang`, or Accept-Language: the texts differ
            budget,
        )
    )
    etag = '"' + hashlib.sha1(key.encode()).hexdigest() + '"'
    last_modified = int(modified.timestamp()) if modified else None
    cache.set(validators_key(request), (etag, last_modified), STATS_TTL)
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        info = replace(
            calendar_info(events, name=name, stats=stats),
            source=settings.SITE_URL + request.get_full_path(),
        )
        if budget:
            content, _kept = within_budget(request, agenda, info, total=stats["count"])
            response = HttpResponse(content, content_type=CONTENT_TYPE)
        else:
            chunks = ical.calendar_stream(events.order_by("start", "pk"), info)
            if filename or stats["count"] <= CACHEABLE_EVENTS:
                response = HttpResponse(b"".join(chunks), content_type=CONTENT_TYPE)
            else:
                response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPE)
        if filename:
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return validated(response, etag, last_modified)


def validated(response, etag: str, last_modified: int | None):
    """A feed's answer (its body, or 304) with its validators and its public lifetime."""
    response["ETag"] = etag
    if last_modified:
        response["Last-Modified"] = http_date(last_modified)
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


def validators_key(request) -> str:
    """Where a feed's validators are remembered: the feed as asked (its address and query,
    host, day and language)."""
    return remembered_as(
        "feed-validators",
        request.get_full_path(),
        request.get_host(),
        timezone.localdate(),
        translation.get_language(),
    )


def polled(view):
    """A calendar app's poll of a feed whose data did not change is answered 304 from the
    validators `calendar_response` remembered for this data version, before any query: no
    lookup of the venue or category, no check of the query (it passed them to be
    remembered), no aggregate."""

    @functools.wraps(view)
    def answer(request, *args, **kwargs):
        remembered = cache.get(validators_key(request))
        if remembered:
            etag, last_modified = remembered
            response = get_conditional_response(request, etag=etag, last_modified=last_modified)
            if response is not None:
                return validated(response, etag, last_modified)
        return view(request, *args, **kwargs)

    return answer


def selection_stats(request, events) -> dict:
    """What decides a feed's body: its events (their number and ids), the latest change
    each shows (its own, its venue's, area's or category's: a row of the change journal
    stamps it, diary.journal), its first date and its time zones. One aggregate over the
    selection, remembered until the data version moves (a new subscriber of a feed, or its
    other languages, run none)."""
    key = remembered_as(
        "feed-stats", request.path, sorted(request.GET.lists()), timezone.localdate()
    )
    stats = cache.get(key)
    if stats is None:
        stats = events.aggregate(
            count=Count("pk"),
            ids=Sum("pk"),
            last_change=Max("last_change"),
            changed=Max("changed"),
            first=Min("start"),
            zones=Count("timezone", distinct=True),
            zone=Max("timezone"),  # the zone, when there is one
        )
        cache.set(key, stats, STATS_TTL)
    return stats


def calendar_info(events, *, name: str, stats: dict) -> ical.CalendarInfo:
    """The calendar's head: its name, and a VTIMEZONE for each zone its events use from
    the day before the first (`stats`: `selection_stats`). The zone is in the stats when
    the events share one (a city's usual case); a query more lists several."""
    if stats["zones"] <= 1:
        zones = (stats["zone"],) if stats["zone"] else ()
    else:
        zones = tuple(sorted(set(events.order_by().values_list("timezone", flat=True))))
    first_date = (stats["first"] or timezone.now()).date() - timedelta(days=1)
    return ical.CalendarInfo(name=name, time_zones=zones, first_date=first_date)


def within_budget(
    request, agenda: AgendaFilter, info: ical.CalendarInfo, *, total: int
) -> tuple[bytes, int]:
    """The subscription to the selection as its feed carries it, within DIARY_FEED_MAX_BYTES,
    and how many of its `total` events it holds: the feed and the subscribe page alike."""
    return ical.calendar_within(
        nearest_first(agenda),
        info,
        settings.DIARY_FEED_MAX_BYTES,
        cut_note=lambda kept: cut_note(request, agenda, kept=kept, total=total),
    )


def matching_events(agenda: AgendaFilter):
    return Event.objects.published().filter(pk__in=agenda.qs.values("event_id"))


def nearest_first(agenda: AgendaFilter) -> Iterator[int]:
    """The selection's events by their first date in it (a weekly class that began last
    year comes with this week's dates), then by id: the same order for the same data. One
    grouped query over the selection's dates, read only as far as a feed needs."""
    return (
        agenda.qs.order_by()
        .values("event_id")
        .annotate(first=Min("start"))
        .order_by("first", "event_id")
        .values_list("event_id", flat=True)
        .iterator(chunk_size=ical.BATCH)
    )


def subscribe_page_url(query: str) -> str:
    """The agenda's subscribe page for a selection, in the active language."""
    return settings.SITE_URL + reverse("diary:subscribe") + (f"?{query}" if query else "")


def cut_note(request, agenda: AgendaFilter, *, kept: int, total: int) -> str:
    # The selection without the feed's own window (not the person's choice) and without
    # `lang` (the page's language is its address).
    window = [name for name in ("start", "end") if name not in request.GET]
    query = selection(agenda.data, LANG, *window)
    return _(
        "This selection holds %(total)s events, more than calendar apps such as Google "
        "Calendar accept in one feed, so this feed carries the %(kept)s nearest ones. To "
        "have them all, subscribe to narrower selections (one category, one area or one "
        "venue): %(url)s"
    ) % {"total": total, "kept": kept, "url": subscribe_page_url(query.urlencode())}


def bad_request(agenda: AgendaFilter) -> HttpResponseBadRequest:
    return HttpResponseBadRequest(
        "\n".join(agenda.error_messages) + "\n", content_type="text/plain; charset=utf-8"
    )


def selection_name(agenda: AgendaFilter) -> str:
    """The agenda feed's name: "Event Diary: Music · free"."""
    words = describe(agenda)
    return _("Event Diary") + (f": {words}" if words else "")


@cacheable
@reads_only(PARAMETERS)
@polled
def events_ics(request):
    agenda = feed_filter(request)
    if not agenda.is_valid():
        return bad_request(agenda)
    return calendar_response(
        request, matching_events(agenda), name=selection_name(agenda), agenda=agenda
    )


def shortcut_feed(request, *, parameter: str, slug: str):
    """The agenda's feed with one parameter fixed by the URL, named after what it fixes. The
    filter's own check of the parameter finds it (no lookup of its own); an unknown one, or a
    name where the address wants a slug, is a 404."""
    agenda = feed_filter(request, **{parameter: slug})
    valid = agenda.is_valid()
    found = [] if parameter in agenda.form.errors else list(agenda.form.cleaned_data[parameter])
    if len(found) != 1 or found[0].slug != slug:
        raise Http404
    if not valid:
        return bad_request(agenda)
    return calendar_response(request, matching_events(agenda), name=found[0].name, agenda=agenda)


@cacheable
@reads_only(PARAMETERS)
@polled
def venue_ics(request, slug: str):
    return shortcut_feed(request, parameter="venue", slug=slug)


@cacheable
@reads_only(PARAMETERS)
@polled
def category_ics(request, slug: str):
    return shortcut_feed(request, parameter="category", slug=slug)


@cacheable
@polled
def event_ics(request, slug: str):
    """One published event as an iCalendar file, for "Add to calendar"."""
    event = get_object_or_404(Event.objects.published(), slug=slug)
    return calendar_response(
        request, Event.objects.filter(pk=event.pk), name=event.title, filename=f"{event.slug}.ics"
    )


class NewEventsFeed(Feed):
    """RSS of newly published events, for the same selection as any agenda URL, shared
    through the response cache like the iCal feeds."""

    limit = 50
    description_template = "feeds/event_description.html"
    cacheable = True
    parameters = PARAMETERS

    def __call__(self, request, *args, **kwargs):
        drop_unknown(request, self.parameters)
        agenda = AgendaFilter(request.GET, queryset=Occurrence.objects.public())
        if not agenda.is_valid():
            return bad_request(agenda)
        request.agenda = agenda
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request):
        return request

    def title(self, request) -> str:
        selection = describe(request.agenda)
        return _("Event Diary") + (f": {selection}" if selection else "")

    def link(self, request) -> str:
        query = request.GET.urlencode()
        return reverse("diary:agenda") + (f"?{query}" if query else "")

    def description(self, request) -> str:
        return _("Events newly published in the diary.")

    def items(self, request):
        return (
            matching_events(request.agenda)
            .for_reading()
            .select_related("venue__municipality", "category")
            .order_by("-published_at", "-pk")[: self.limit]
        )

    def item_title(self, event: Event) -> str:
        return event.title

    def item_guid(self, event: Event) -> str:
        return event.uid

    item_guid_is_permalink = False

    def item_pubdate(self, event: Event):
        return event.published_at

    def item_updateddate(self, event: Event):
        return event.updated

    def item_categories(self, event: Event) -> list[str]:
        return [event.category.name] if event.category else []


class NewEventsAtomFeed(NewEventsFeed):
    feed_type = Atom1Feed
    subtitle = NewEventsFeed.description


# The narrower selections a too-large subscription page offers: each parameter, what names
# it, and the path to its values from an event.
NARROWER = (
    ("category", gettext_lazy("By category"), "category"),
    ("area", gettext_lazy("By area"), "venue__municipality"),
    ("venue", gettext_lazy("By venue"), "venue"),
)
NARROWER_CHOICES = 6


def narrower_choices(request, events, fits: int) -> list[tuple[str, list[dict]]]:
    """For each parameter the selection leaves open (category, area, venue), its commonest
    values in the selection, with how many events each keeps and whether a feed of them
    `fits` (one that does not is a step on the way: its page offers narrower ones again).
    One query each, names included."""
    groups = []
    for parameter, legend, field in NARROWER:
        if request.GET.get(parameter):
            continue
        rows = (
            events.order_by()
            .exclude(**{f"{field}__isnull": True})
            .values_list(f"{field}__pk", f"{field}__slug")
            .annotate(n=Count("pk"), name=in_language("name", prefix=f"{field}__"))
            .order_by("-n", f"{field}__pk")[:NARROWER_CHOICES]
        )
        choices = []
        for _pk, slug, count, name in rows:
            params = selection(request.GET)
            params.setlist(parameter, [slug])
            choices.append(
                {"name": name, "count": count, "fits": count <= fits, "query": params.urlencode()}
            )
        if choices:
            groups.append((legend, choices))
    return groups


@cacheable
@reads_only(PARAMETERS)
def subscribe(request):
    """The ways to follow a selection: a calendar subscription (how many events its feed
    holds, and a warning with narrower choices before it is too large for Google), the
    weekly letter, and the widget for another website."""
    agenda = feed_filter(request)
    query = selection_query(request)
    context = {"filter": agenda, "query": query, "feed": feed_links(request, query)}
    if agenda.is_valid():
        events = matching_events(agenda)
        stats = selection_stats(request, events)
        total = kept = stats["count"]
        if settings.DIARY_FEED_MAX_BYTES:  # what the feed carries, built as the feed builds it
            info = calendar_info(events, name=selection_name(agenda), stats=stats)
            _content, kept = within_budget(request, agenda, info, total=total)
        context |= {
            "selection": describe(agenda),
            "total": total,
            "kept": kept,
            "narrower": narrower_choices(request, events, kept) if kept < total else [],
            "google_url": "https://calendar.google.com/calendar/r?"
            + urlencode({"cid": context["feed"]["webcal"]}),
            "letter_form": LetterForm(initial={"query": query}),
        }
    template = "feeds/_subscribe_options.html" if is_htmx(request) else "feeds/subscribe.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
