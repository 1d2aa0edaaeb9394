import json
import re
from datetime import date, timedelta
from html import escape as html_escape

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from diary.demo import demo_city_seed
from diary.filters import AgendaFilter
from diary.models import Event, Language, Occurrence
from diary.month import MONTH_SHOWN, month_days
from tests.factories import (
    ArticleFactory,
    CategoryFactory,
    EventFactory,
    MunicipalityFactory,
    OrganiserFactory,
    TagFactory,
    VenueFactory,
    html_of,
    local,
    titles,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def july_first(time_machine):
    """Wednesday 1 July 2026, noon in Brussels."""
    time_machine.move_to(local(2026, 7, 1, 12))


# The agenda page


def test_the_agenda_lists_upcoming_published_occurrences(client):
    EventFactory(title="Late concert", start=timezone.now() + timedelta(days=2))
    EventFactory(title="Secret", publication_state=Event.PublicationState.PENDING)
    EventFactory(title="Refused", publication_state=Event.PublicationState.REJECTED)
    html = html_of(client.get("/"))
    assert "Late concert" in html
    assert "Secret" not in html
    assert "Refused" not in html
    assert "1 date" in html


def test_the_agenda_applies_the_filters_from_the_url(client, july_first):
    music = CategoryFactory(slug="music", name="Music")
    EventFactory(title="Saturday gig", start=local(2026, 7, 4, 21), category=music)
    theatre = CategoryFactory(slug="theatre", name="Theatre")
    EventFactory(title="Saturday play", start=local(2026, 7, 4, 20), category=theatre)
    EventFactory(title="Next week gig", start=local(2026, 7, 9, 21), category=music)
    html = html_of(client.get("/", {"when": "weekend", "category": "music"}))
    assert "Saturday gig" in html
    assert "Saturday play" not in html
    assert "Next week gig" not in html
    assert 'value="weekend" checked' in html
    assert 'value="music" checked' in html


def test_a_late_evening_occurrence_is_listed_on_its_local_day(client, july_first):
    # 00:30 on 2 July in Brussels is 22:30 UTC on 1 July: it belongs to 2 July.
    EventFactory(title="After midnight", start=local(2026, 7, 2, 0, 30), end=None)
    response = client.get("/")
    [(day, occurrences)] = response.context["days"]
    assert day.isoformat() == "2026-07-02"
    assert titles(occurrences) == ["After midnight"]
    assert "00:30" in html_of(response)


def test_times_are_shown_in_the_city_time_zone_across_dst(client, time_machine):
    time_machine.move_to(local(2026, 10, 20, 12))
    EventFactory(title="Weekly", start=local(2026, 10, 21, 19), rrule="FREQ=WEEKLY;COUNT=2")
    html = html_of(client.get("/"))
    # 17:00 UTC before the change and 18:00 UTC after: both 19:00 in Brussels.
    assert html.count("19:00–21:00") == 2
    assert "2026-10-21T19:00:00+02:00" in html
    assert "2026-10-28T19:00:00+01:00" in html


def test_runs_are_grouped_apart_and_listed_under_today_when_asked_for(client, time_machine):
    time_machine.move_to(local(2026, 6, 1, 12))
    EventFactory(title="Exhibition", start=local(2026, 5, 20), end=local(2026, 6, 30), all_day=True)
    EventFactory(title="Tonight", start=local(2026, 6, 1, 20), end=None)
    EventFactory(title="Market", start=local(2026, 6, 2), end=local(2026, 6, 3), all_day=True)
    response = client.get("/")
    [(_, happening), (_, market)] = response.context["days"]
    assert (titles(happening), titles(market)) == (["Tonight"], ["Market"])  # all day: one day
    runs = response.context["runs"]
    assert (runs.total, titles(runs.closing)) == (1, ["Exhibition"])
    html = html_of(response)
    assert "Also on: 1 exhibition, festival or other run" in html
    assert "20 May – 29 Jun" in html
    assert 'href="/?kind=run"' in html
    response = client.get("/?kind=run")
    [(day, occurrences)] = response.context["days"]
    assert day.isoformat() == "2026-06-01"
    assert titles(occurrences) == ["Exhibition"]
    assert response.context["runs"] is None
    assert "Also on" not in html_of(response)


@pytest.mark.parametrize(
    "query",
    [
        "start=2026-13-45",
        "end=tomorrow",
        "when=someday",
        "category=nope",
        "tag=nope",
        "venue=nope",
        "area=nope",
        "language=xx",
        "free=maybe",
        "accessible=2",
        "family=perhaps",
        "page=999",
        "page=abc",
        "q=" + "x" * 5000,
    ],
)
def test_bad_values_show_the_agenda_with_a_message_never_an_error(client, query):
    """A bad value is named as the form names it, and nothing is listed (every date, as if
    nothing had been asked, would read as the answer)."""
    EventFactory(title="Listed")
    html = html_of(client.get(f"/?{query}"))
    if query.startswith(("page", "q")):
        assert "Listed" in html or query.startswith("q=")
        return
    assert "Nothing is listed until this is corrected" in html
    assert "Listed" not in html.split("</form>")[-1]
    label = AgendaFilter().form.fields[query.split("=")[0]].label
    assert f"{label}: " in html


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "Lieu : «\xa0Flag\xa0» ne fait pas partie des choix."),
        ("nl", "Locatie: “Flag” is geen geldige keuze."),
        ("en", "Venue: “Flag” is not one of the choices."),
    ],
)
def test_a_venue_that_names_none_is_named_in_the_pages_language_with_suggestions(
    client, language, expected
):
    flagey = VenueFactory(name="Flagey", slug="flagey")
    VenueFactory(name="Studio Flagey 4", slug="studio-4")
    EventFactory(title="Piano at Flagey", venue=flagey)
    prefix = "" if language == "en" else f"/{language}"
    html = html_of(client.get(f"{prefix}/?venue=Flag&free=true"))
    assert html_escape(expected) in html
    assert "Piano at Flagey" not in html
    # Only the message: no picks, no count, no subscription to a selection that is wrong.
    assert 'class="results-bar"' not in html and 'class="picks"' not in html
    assert f'href="{prefix}/?venue=flagey&amp;free=true">Flagey</a>' in html
    assert "studio-4" in html


def test_the_agenda_paginates_and_keeps_the_filters(client):
    EventFactory(title="Music", category=CategoryFactory(slug="music"), rrule="FREQ=DAILY;COUNT=45")
    html = html_of(client.get("/", {"category": "music"}))
    assert "45 dates" in html
    assert "category=music&amp;page=2" in html
    second = html_of(client.get("/", {"category": "music", "page": 2}))
    assert second.count('<li class="occurrence') == 5


def test_a_long_agenda_counts_up_to_a_bound_and_every_page_stays_reachable(
    client, monkeypatch, django_assert_max_num_queries
):
    """Counting every date still on in a capital cost more than the rest of the page: the
    count stops at a bound, says so, and still counts far enough for the page asked for and
    the link to the next."""
    monkeypatch.setattr("diary.views.COUNT_UP_TO", 10)
    monkeypatch.setattr("diary.views.PAGE_SIZE", 4)
    EventFactory(title="Daily", rrule="FREQ=DAILY;COUNT=30")
    with django_assert_max_num_queries(9):
        first = html_of(client.get("/"))
    assert "More than 10 dates" in first
    assert "Page 1 of more than 3" in first
    deep = html_of(client.get("/", {"page": 5}))
    assert deep.count('<li class="occurrence') == 4
    assert "Page 5 of more than 6" in deep
    assert 'rel="next"' in deep
    last = html_of(client.get("/", {"page": 8}))
    assert last.count('<li class="occurrence') == 2  # dates 29 and 30: the count is exact
    assert "30 dates" in last
    assert "Page 8 of 8" in last
    assert 'rel="next"' not in last
    assert "Page 8 of 8" in html_of(client.get("/", {"page": 99}))  # past the end: the last


def test_the_venue_box_keeps_the_chosen_venue_and_offers_names_as_one_types(client):
    """A thousand venues made most of every agenda page: the box asks for the few whose
    names hold what is typed (escaped), and without JavaScript a name typed in full works."""
    VenueFactory(name="Arts & <Crafts>", slug="arts")
    botanique = VenueFactory(name="Botanique", slug="botanique")
    EventFactory(title="At the Botanique", venue=botanique)
    EventFactory(title="Elsewhere")
    html = html_of(client.get("/", {"venue": "botanique"}))
    assert 'name="venue" value="botanique"' in html
    assert "<option" not in html[html.index('name="venue"') : html.index("</datalist>")]
    assert html_of(client.get("/venue-options/", {"venue": "ART"})) == (
        '<option value="arts">Arts &amp; &lt;Crafts&gt;</option>\n'
    )
    assert html_of(client.get("/venue-options/", {"venue": "b"})) == "\n"  # two letters at least
    typed = html_of(client.get("/", {"venue": "botanique "}))
    assert "At the Botanique" in typed and "Elsewhere" not in typed
    typed = html_of(client.get("/", {"venue": "BOTANIQUE"}))
    assert "At the Botanique" in typed and "Elsewhere" not in typed
    assert "“Botan” is not one of the choices" in html_of(client.get("/", {"venue": "Botan"}))


def test_a_thousand_venues_weigh_nothing_on_the_agenda_page(client):
    VenueFactory.create_batch(300, municipality=MunicipalityFactory())
    html = html_of(client.get("/"))
    assert html.count("<option") < 120  # areas, topics and languages; no venue
    assert len(html) < 40_000


def test_the_language_filter_offers_the_languages_events_are_held_in(client):
    """Not the site's own languages, which the header's language switcher offers."""
    Language.objects.create(code="sw", name="Swahili")
    html = html_of(client.get("/", {"language": "sw"}))
    filter_select = html[html.index('<select name="language">') :]
    filter_select = filter_select[: filter_select.index("</select>")]
    assert '<option value="sw" selected>Swahili</option>' in filter_select
    assert "français" not in filter_select


def test_an_empty_selection_suggests_widening_the_search(client):
    html = html_of(client.get("/", {"q": "nothing-matches-this"}))
    assert "Nothing matches this selection." in html
    assert "everything that is on" in html


def test_the_agenda_offers_to_subscribe_to_the_same_selection(client):
    html = html_of(client.get("/", {"category": "music", "free": "true", "page": "2"}))
    assert 'href="webcal://testserver/feeds/events.ics?category=music&amp;free=true"' in html
    assert 'href="http://testserver/feeds/events.ics?category=music&amp;free=true"' in html
    assert 'href="/feeds/events.rss?category=music&amp;free=true"' in html


def test_htmx_requests_get_only_the_results(client):
    EventFactory(title="Gig")
    response = client.get("/", headers={"HX-Request": "true"})
    html = html_of(response)
    assert "Gig" in html
    assert "<form" not in html
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_the_month_grid_shows_the_same_selection(client, july_first):
    music = CategoryFactory(slug="music", name="Music")
    EventFactory(title="July gig", start=local(2026, 7, 14, 21), category=music)
    theatre = CategoryFactory(slug="theatre", name="Theatre")
    EventFactory(title="July play", start=local(2026, 7, 15, 20), category=theatre)
    EventFactory(title="August gig", start=local(2026, 8, 1, 21), category=music)
    html = html_of(client.get("/month/", {"category": "music"}))
    assert "July 2026" in html
    assert "July gig" in html
    assert "July play" not in html
    assert "August gig" not in html
    assert "category=music&amp;month=2026-08" in html
    assert "August gig" in html_of(client.get("/month/", {"month": "2026-08"}))


def test_a_busy_month_shows_every_day_with_its_right_count(
    client, july_first, django_assert_max_num_queries
):
    """More dates than a grid could load (70 daily events: 2,170 in July, over the 2,000 it
    once cut at, without a word): each day lists its first three and links to the rest."""
    for n in range(70):
        start = local(2026, 7, 1, 8) + timedelta(minutes=n)
        EventFactory(
            title=f"Daily {n:02d}",
            start=start,
            end=start + timedelta(minutes=30),
            rrule="FREQ=DAILY;COUNT=31",
        )
    EventFactory(
        title="Summer show", start=local(2026, 7, 20), end=local(2026, 8, 10), all_day=True
    )
    EventFactory(
        title="Closed show",
        start=local(2026, 7, 2),
        end=local(2026, 7, 5),
        all_day=True,
        status=Event.Status.CANCELLED,
    )
    with django_assert_max_num_queries(8):
        html = html_of(client.get("/month/", {"month": "2026-07"}))
    cells = re.findall(r'<td class="[^"]*">(.*?)</td>', html, re.S)
    july = [cell for cell in cells if "2026-07-" in cell]
    assert len(july) == 31
    for day, cell in enumerate(july, start=1):
        assert cell.count("<li>") == 3, day
        assert "67 more" in cell, day
        assert f"start=2026-07-{day:02d}&amp;end=2026-07-{day:02d}" in cell
        assert "show" not in cell  # the runs are listed once, beside the grid
    assert "Daily 00" in july[0] and "Daily 03" not in july[0]
    assert '<a href="/events/daily-00/" title="Daily 00">08:00 Daily 00</a>' in july[0]
    runs = html[html.index('class="month-runs"') :]
    assert "Also on: 2 exhibitions, festivals and other runs" in runs
    closed = r'class="is-cancelled">.*Closed show</a> <strong class="status">Cancelled'
    assert re.search(closed, runs)
    assert "2 Jul – 4 Jul" in runs and "20 Jul – 9 Aug" in runs
    assert "?start=2026-07-01&amp;end=2026-07-31&amp;kind=run" in runs


def days_listed(occurrence, first: date, last: date) -> list[date]:
    """The month grid's rule, plainly: a happening (on for a day at most: 25 hours when the
    clocks go back) on its start day, in the city's time zone, if that day is in [first,
    last]; a run on none (it is listed beside the grid)."""
    start_day = timezone.localdate(occurrence.start)
    if occurrence.end - occurrence.start > timedelta(hours=25):
        return []
    return [start_day] if first <= start_day <= last else []


DATES = st.lists(
    st.tuples(
        st.integers(min_value=-40 * 24, max_value=35 * 24),  # hours from 1 October, 00:00
        st.integers(min_value=0, max_value=59),
        st.sampled_from([0, 30, 23 * 60, 25 * 60, 3 * 24 * 60, 45 * 24 * 60]),  # minutes
        st.booleans(),
    ),
    max_size=40,
)


@given(dates=DATES)
@hypothesis_settings(max_examples=40)
def test_each_day_of_a_month_lists_its_first_dates_and_counts_them_all(dates):
    """The grid's counts and first dates, worked out by the database, agree with the plain
    rule day by day: in October 2026 (summer time ends on the 25th), with dates across
    midnight, all-day ones and exhibitions from before the month."""
    first, last = date(2026, 10, 1), date(2026, 10, 31)
    cache.clear()  # the dates below are written past the services, which move the data version
    with transaction.atomic():
        event = EventFactory(start=local(2026, 10, 1, 20))
        event.occurrences.all().delete()
        rows = []
        for hours, minute, minutes, all_day in dates:
            start = local(2026, 10, 1) + timedelta(hours=hours, minutes=minute)
            if all_day:
                start = local(*timezone.localdate(start).timetuple()[:3])
                end = local(
                    *(timezone.localdate(start) + timedelta(days=1 + minutes // 1440)).timetuple()[
                        :3
                    ]
                )
            else:
                end = start + timedelta(minutes=minutes)
            is_run = Occurrence.is_run_of(start, end)
            rows.append(
                Occurrence(
                    event=event,
                    start=start,
                    end=end,
                    all_day=all_day,
                    is_run=is_run,
                    published=True,
                )
            )
        unique = {row.start: row for row in rows}  # an event has one date per start
        Occurrence.objects.bulk_create(unique.values())
        month = AgendaFilter(
            QueryDict("start=2026-10-01&end=2026-10-31"),
            queryset=Occurrence.objects.public().for_day_lists(),
        )
        expected: dict[date, list] = {}
        for occurrence in sorted(month.qs, key=lambda o: (o.start, o.pk)):
            for day in days_listed(occurrence, first, last):
                expected.setdefault(day, []).append(occurrence.pk)
        grid = month_days(month, first, last)
        assert {day: ([o.pk for o in shown], count) for day, (shown, count) in grid.items()} == {
            day: (pks[:MONTH_SHOWN], len(pks)) for day, pks in expected.items()
        }
        transaction.set_rollback(True)


def test_a_month_in_french_names_its_dates_in_french_and_says_which_are_not(client, july_first):
    EventFactory(title="Concert", title_fr="Concert du soir", start=local(2026, 7, 3, 20))
    EventFactory(title="Talk in English", start=local(2026, 7, 3, 18), text_language="en")
    EventFactory(title="Gone", start=local(2026, 7, 4, 18), status=Event.Status.CANCELLED)
    html = html_of(client.get("/fr/month/", {"month": "2026-07"}))
    assert '<a href="/fr/events/concert/" title="Concert du soir">20:00 Concert du soir</a>' in html
    assert 'title="Talk in English" lang="en">18:00 Talk in English</a>' in html
    assert '<li class="is-cancelled"><a href="/fr/events/gone/"' in html
    assert '</a> <strong class="status">Annulé</strong></li>' in html


def test_the_month_grid_accepts_a_bad_month_and_shows_this_one(client, july_first):
    assert "July 2026" in html_of(client.get("/month/", {"month": "2026-13"}))


# The event page


def test_an_event_page_shows_what_a_visitor_needs(client, july_first):
    organiser = OrganiserFactory(name="Les Amis", website="https://amis.example")
    venue = VenueFactory(name="Flagey", latitude="50.827600", longitude="4.372200")
    event = EventFactory(
        title="Open air cinema",
        summary="Films under the stars",
        description="<p>Bring a <em>chair</em></p>",
        start=local(2026, 7, 10, 21, 30),
        end=local(2026, 7, 10, 23, 30),
        venue=venue,
        organiser=organiser,
        price_min=8,
        price_max=12,
        ticket_url="https://tickets.example/cinema",
        family_friendly=True,
    )
    html = html_of(client.get(event.get_absolute_url()))
    assert html.count("Open air cinema") >= 2
    assert "<em>chair</em>" in html
    assert "Fri 10 Jul 2026, 21:30–23:30" in html
    assert "€8–12" in html
    assert "https://tickets.example/cinema" in html
    assert "Les Amis" in html
    assert 'data-lat="50.827600"' in html
    assert "vendor/leaflet-1.9.4/leaflet.js" in html
    assert reverse("diary:event-ics", args=[event.slug]) in html
    assert "calendar.google.com" in html
    assert "outlook.live.com" in html
    assert "facebook.com/sharer" in html


def test_a_recurring_event_lists_its_upcoming_dates_next_first(client, july_first):
    event = EventFactory(start=local(2026, 6, 3, 19), rrule="FREQ=WEEKLY;COUNT=8")
    html = html_of(client.get(event.get_absolute_url()))
    assert "Next:" in html
    dates = re.findall(r'<li><time datetime="([^"]+)"', html)
    assert dates[0].startswith("2026-07-01")
    assert len(dates) == 4  # 1, 8, 15 and 22 July; the June dates are past


def test_a_cancelled_event_says_so_loudly(client):
    event = EventFactory(status=Event.Status.CANCELLED)
    html = html_of(client.get(event.get_absolute_url()))
    assert 'class="status-banner is-cancelled"' in html
    assert "This event will not take place." in html


def test_related_stories_put_the_editors_choice_first_then_shared_tags(client):
    tag = TagFactory(slug="smart-city")
    chosen = ArticleFactory(title="Chosen", published_on=local(2016, 5, 4).date())
    newer = ArticleFactory(title="By tag, newer", published_on=local(2022, 12, 6).date())
    older = ArticleFactory(title="By tag, older", published_on=local(2022, 11, 21).date())
    ArticleFactory(title="Unrelated")
    newer.tags.set([tag])
    older.tags.set([tag])
    chosen.tags.set([tag])
    event = EventFactory(tags=[tag])
    event.related_articles.set([chosen])
    response = client.get(event.get_absolute_url())
    assert [a.title for a in response.context["stories"]] == [
        "Chosen",
        "By tag, newer",
        "By tag, older",
    ]
    assert "Unrelated" not in html_of(response)


def test_the_event_page_carries_schema_org_json_ld(client, july_first):
    venue = VenueFactory(name="Bozar", latitude="50.844200", longitude="4.359700")
    event = EventFactory(
        title="Piano </script><script>alert(1)</script>",
        venue=venue,
        start=local(2026, 7, 10, 20),
        is_free=True,
        status=Event.Status.POSTPONED,
    )
    html = html_of(client.get(event.get_absolute_url()))
    payload = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(payload.group(1))
    assert data["@type"] == "Event"
    assert data["name"] == event.title
    assert data["startDate"] == "2026-07-10T20:00:00+02:00"
    assert data["eventStatus"] == "https://schema.org/EventPostponed"
    assert data["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert data["location"]["address"]["@type"] == "PostalAddress"
    assert data["location"]["geo"]["latitude"] == 50.8442
    assert data["offers"]["price"] == "0"
    assert "<script>alert(1)</script>" not in html
    assert '<meta property="og:title"' in html


@pytest.mark.parametrize("state", [Event.PublicationState.PENDING, Event.PublicationState.REJECTED])
def test_an_unpublished_event_is_not_found(client, state):
    event = EventFactory(publication_state=state)
    assert client.get(event.get_absolute_url()).status_code == 404
    assert client.get(reverse("diary:event-ics", args=[event.slug])).status_code == 404


# Query counts: the same whatever the size of the diary


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("page", "ceiling"),
    [
        (lambda: "/", 10),  # the runs that are on: counted, and those closing soonest
        (lambda: "/?when=month&category=music&tag=smart-city&free=true&language=fr", 14),
        (lambda: "/month/", 8),
        (lambda: Event.objects.published().exclude(rrule="").first().get_absolute_url(), 8),
        (lambda: "/venues/", 3),
        (lambda: "/venues/tour-taxis/", 3),
        (lambda: "/tags/smart-city/", 3),
        (lambda: "/sitemap.xml", 6),
        (lambda: "/sitemap-events.xml", 3),
        # The same pages in French and Dutch cost the same.
        (lambda: "/fr/", 10),
        (lambda: "/nl/?when=month&category=music&tag=smart-city&free=true&language=fr", 14),
        (lambda: "/fr/month/", 8),
        (lambda: f"/nl/events/{Event.objects.published().exclude(rrule='').first().slug}/", 8),
        (lambda: "/fr/venues/tour-taxis/", 3),
    ],
)
def test_pages_run_a_constant_number_of_queries(client, page, ceiling):
    demo_city_seed(events=10, venues=18, seed=3)
    small = count_queries(client, page())
    demo_city_seed(events=500, venues=18, seed=3)
    large = count_queries(client, page())
    # Fifty times the data never costs a query more (related stories may need one less,
    # once shared tags alone find five).
    assert large <= small <= ceiling


def test_the_form_choices_are_read_once_until_the_data_changes(client, settings):
    """The agenda form's categories, areas, tags and languages are read once per data
    version (and language): the next visitor's page runs only its dates' queries, and a new
    tag is offered at once."""
    settings.DIARY_CACHE_RESPONSES = False
    EventFactory(tags=[TagFactory(slug="jazz", name="Jazz")])
    first = count_queries(client, "/")
    # The choices' four queries, the week's picks, the runs on, and the dates' rows: they
    # are kept too (diary.rows, diary.runs).
    assert count_queries(client, "/") == first - 7
    # Its names sorted in French; the picks and the runs on are the same in every language.
    assert count_queries(client, "/fr/") == first - 2
    TagFactory(slug="opera", name="Opera")
    assert 'value="opera"' in html_of(client.get("/"))


def test_healthz_answers_ok(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_robots_txt_points_to_the_sitemap(client):
    text = client.get("/robots.txt").content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in text
    assert "Disallow: /admin/" in text


def test_the_sitemap_lists_published_events_and_venues_only(client):
    shown = EventFactory(title="Shown")
    hidden = EventFactory(publication_state=Event.PublicationState.PENDING)
    venue = VenueFactory()
    index = client.get("/sitemap.xml").content.decode()
    assert "http://testserver/sitemap-events.xml" in index
    assert "http://testserver/sitemap-venues.xml" in index
    xml = client.get("/sitemap-events.xml").content.decode()
    assert shown.get_absolute_url() in xml
    assert hidden.get_absolute_url() not in xml
    assert venue.get_absolute_url() in client.get("/sitemap-venues.xml").content.decode()


def test_the_folded_filter_panel_says_which_filters_are_on(client):
    CategoryFactory(slug="music", name="Music")
    html = html_of(client.get("/", {"when": "weekend", "category": "music", "free": "true"}))
    summary = html.split('id="filter-panel"')[1].split("</summary>")[0]
    assert "Music · this weekend · free" in summary
    assert 'class="chosen"' not in html_of(client.get("/"))


def test_a_month_names_the_runs_closing_soonest_not_those_already_closed():
    from diary.runs import runs_on

    EventFactory(title="Closed", start=local(2026, 6, 1), end=local(2026, 6, 10), all_day=True)
    EventFactory(title="Closing", start=local(2026, 6, 1), end=local(2026, 6, 25), all_day=True)
    june = AgendaFilter(QueryDict("start=2026-06-01&end=2026-06-30"), now=local(2026, 6, 15, 12))
    running = runs_on(june, categories=[], shown=5)
    assert running.total == 2
    assert [run.title for run in running.named] == ["Closing"]


def test_the_runs_group_is_rendered_again_in_each_language_and_when_a_run_closes(
    client, time_machine
):
    """The group's HTML is kept per version of what it shows (diary.runs.rendered): not
    served in another language, nor naming a run that closed since it was kept."""
    time_machine.move_to(local(2026, 6, 5, 12), tick=False)
    EventFactory(
        title="Closing at half past", start=local(2026, 6, 1, 10), end=local(2026, 6, 5, 12, 30)
    )
    EventFactory(title="Open all month", start=local(2026, 6, 1), end=local(2026, 7, 1))
    group = html_of(client.get("/")).split('class="runs"')[1]
    assert "Closing at half past" in group and "Also on: 2 exhibitions" in group
    french = html_of(client.get("/fr/")).split('class="runs"')[1]
    assert "Aussi à l’affiche : 2 expositions" in french
    assert "Closing at half past" in french
    time_machine.move_to(local(2026, 6, 5, 12, 45), tick=False)  # the same hour and data
    group = html_of(client.get("/")).split('class="runs"')[1]
    assert "Closing at half past" not in group and "Open all month" in group


def test_a_run_on_now_says_so_on_its_page(client, time_machine):
    time_machine.move_to(local(2026, 6, 15, 12))
    show = EventFactory(title="Show", start=local(2026, 6, 1), end=local(2026, 7, 1), all_day=True)
    html = html_of(client.get(f"/fr/events/{show.slug}/"))
    assert "En cours :" in html and "Prochaine date" not in html


def test_searched_words_are_quoted_as_each_language_quotes(client):
    html = html_of(client.get("/fr/", {"q": "ixelles"}))
    assert "« ixelles »" in html.split('id="filter-panel"')[1].split("</summary>")[0]


def test_the_month_grid_is_remembered_until_the_diary_changes(
    client, july_first, django_assert_max_num_queries
):
    EventFactory(title="First gig", start=local(2026, 7, 10, 20))
    assert "First gig" in html_of(client.get("/month/", {"month": "2026-07", "free": "false"}))
    with django_assert_max_num_queries(4):  # ranked once for this data version
        html_of(client.get("/month/", {"month": "2026-07", "free": "false", "x": "1"}))
    EventFactory(title="Second gig", start=local(2026, 7, 10, 21))
    html = html_of(client.get("/month/", {"month": "2026-07", "free": "false", "y": "1"}))
    assert "First gig" in html and "Second gig" in html


def page_json_ld(client, event: Event) -> dict:
    html = html_of(client.get(event.get_absolute_url()))
    payload = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(payload.group(1))


def rich_result_problems(data: dict) -> list[str]:
    """What Google's Event rich results require (name, startDate, a location: a Place with
    an address, or a VirtualLocation with its url) and check when given: an eventStatus and
    an eventAttendanceMode of schema.org's, previousStartDate only when rescheduled, an
    offer's price with its currency and availability, a performer's type and name, the
    organizer's name, pictures in three shapes."""
    problems = [name for name in ("name", "startDate", "location") if not data.get(name)]
    places = data.get("location") or []
    for place in places if isinstance(places, list) else [places]:
        if place.get("@type") == "Place" and not place.get("address"):
            problems.append("a Place without its address")
        if place.get("@type") == "VirtualLocation" and not place.get("url"):
            problems.append("a VirtualLocation without its url")
    status = data.get("eventStatus", "")
    if status.removeprefix("https://schema.org/") not in {
        "EventScheduled", "EventCancelled", "EventPostponed", "EventMovedOnline",
        "EventRescheduled",
    }:  # fmt: skip
        problems.append(f"eventStatus {status}")
    if ("previousStartDate" in data) != status.endswith("EventRescheduled"):
        problems.append("previousStartDate without EventRescheduled, or the reverse")
    if not data.get("eventAttendanceMode", "").startswith("https://schema.org/"):
        problems.append("eventAttendanceMode")
    offer = data.get("offers")
    if offer and not (offer.get("price") and offer.get("priceCurrency") == "EUR"):
        problems.append("an offer without its price and currency")
    if offer and offer.get("availability", "").removeprefix("https://schema.org/") not in {
        "InStock", "SoldOut", "PreOrder"
    }:  # fmt: skip
        problems.append("an offer's availability")
    for performer in data.get("performer", []):
        if performer.get("@type") not in {"Person", "PerformingGroup"} or not performer["name"]:
            problems.append("a performer without its type or name")
    if "organizer" in data and not data["organizer"].get("name"):
        problems.append("an organizer without a name")
    pictures = data.get("image", [])  # tests/diary/test_images.py measures them
    if pictures and not (len(pictures) == 3 and all(url.startswith("http") for url in pictures)):
        problems.append("pictures not in 16:9, 4:3 and 1:1, or not at absolute addresses")
    return problems


def test_every_kind_of_event_page_meets_googles_event_rich_results(client, july_first):
    hall = VenueFactory(name="Bozar")
    weekly = EventFactory(
        title="Weekly",
        venue=hall,
        start=local(2026, 7, 7, 20),
        rrule="FREQ=WEEKLY;COUNT=4",
        overrides={"2026-07-07T20:00:00": {"start": "2026-07-08T21:00:00", "end": None}},
        price_min=12,
    )
    events = [
        weekly,
        EventFactory(title="Stream", venue=None, online_url="https://stream.example.org/x"),
        EventFactory(
            title="Moved",
            venue=hall,
            status=Event.Status.MOVED_ONLINE,
            online_url="https://stream.example.org/y",
        ),
        EventFactory(title="Off", venue=hall, status=Event.Status.CANCELLED, is_free=True),
        EventFactory(title="Later", venue=hall, status=Event.Status.POSTPONED),
        EventFactory(title="Full", venue=hall, price_min=8, sold_out=True, performers="A, B"),
    ]
    for event in events:
        data = page_json_ld(client, event)
        assert rich_result_problems(data) == [], (event.title, data)
    moved = page_json_ld(client, weekly)  # its next date was moved from 7 to 8 July
    assert moved["eventStatus"] == "https://schema.org/EventRescheduled"
    assert moved["previousStartDate"] == "2026-07-07T20:00:00+02:00"
    assert moved["startDate"] == "2026-07-08T21:00:00+02:00"
    assert moved["offers"] == {
        "@type": "Offer", "price": "12.00", "priceCurrency": "EUR", "url": moved["url"],
        "availability": "https://schema.org/InStock",
    }  # fmt: skip
    full = page_json_ld(client, events[-1])
    assert full["offers"]["availability"] == "https://schema.org/SoldOut"
    assert full["performer"] == [
        {"@type": "PerformingGroup", "name": "A"}, {"@type": "PerformingGroup", "name": "B"}
    ]  # fmt: skip
    assert all(len(page_json_ld(client, event)["image"]) == 3 for event in events)
