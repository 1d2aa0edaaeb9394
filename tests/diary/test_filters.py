"""AgendaFilter: every public parameter, the presets, the default window, bad values."""

from datetime import UTC, datetime, timedelta

import pytest
from django.http import QueryDict

from diary import catalogue
from diary.filters import AgendaFilter, when_window
from diary.models import RUN_LONGER_THAN, Event, Language, Occurrence
from diary.recurrence import LONGEST
from diary.runs import listed
from diary.services import event_save
from tests.factories import (
    CategoryFactory,
    EventFactory,
    MunicipalityFactory,
    TagFactory,
    VenueFactory,
    local,
)

pytestmark = pytest.mark.django_db

# Wednesday 1 July 2026, 12:00 in Brussels.
NOW = local(2026, 7, 1, 12)


def titles(query: str = "", now=NOW) -> list[str]:
    agenda = AgendaFilter(QueryDict(query), queryset=Occurrence.objects.public(), now=now)
    assert agenda.is_valid(), agenda.errors
    return sorted({o.event.title for o in agenda.qs})


def errors(query: str) -> dict:
    agenda = AgendaFilter(QueryDict(query), queryset=Occurrence.objects.public(), now=NOW)
    assert not agenda.is_valid()
    list(agenda.qs)  # the valid parameters still apply, nothing raises
    return agenda.errors


def on(day: int, hour: int = 20, title: str = "", month: int = 7, **fields) -> Event:
    start = local(2026, month, day, hour)
    return EventFactory(
        title=title or f"{day}/{month}", start=start, end=start + timedelta(hours=2), **fields
    )


def test_by_default_the_agenda_starts_now_and_keeps_what_is_still_on():
    on(30, month=6, title="Yesterday")
    EventFactory(title="Running", start=local(2026, 7, 1, 10), end=local(2026, 7, 1, 14))
    on(2, title="Tomorrow")
    assert titles() == ["Running", "Tomorrow"]


def test_a_date_as_long_as_any_may_be_is_still_on_at_its_very_end():
    """The lower bound on `start` (what is still on began at most a year ago) loses
    nothing: a year-long run that opened a year ago is on until its last moment."""
    opened = NOW - LONGEST + timedelta(minutes=1)
    EventFactory(title="Year-long", start=opened, end=opened + LONGEST)
    assert titles() == ["Year-long"]
    assert titles("when=today") == ["Year-long"]
    assert titles("start=2026-07-01&end=2026-07-01") == ["Year-long"]
    assert titles(now=NOW + timedelta(minutes=2)) == []


@pytest.mark.parametrize("query", ["", "when=today", "start=2026-07-01", "kind=happening"])
def test_a_happening_as_long_as_one_may_be_is_listed_until_its_very_end(query):
    """Happenings are read from a day of the start index, not from the year that runs may
    last (filters.happenings_after): the bound loses none. Here 25 hours (the day the clocks
    go back), begun the day before the window and ending a minute after it opens."""
    EventFactory(
        title="Long night",
        start=NOW - RUN_LONGER_THAN + timedelta(minutes=1),
        end=NOW + timedelta(minutes=1),
    )
    EventFactory(title="Run", start=NOW - timedelta(days=3), end=NOW + timedelta(days=3))
    for now, expected in ((NOW, ["Long night"]), (NOW + timedelta(minutes=2), [])):
        agenda = AgendaFilter(QueryDict(query), queryset=Occurrence.objects.public(), now=now)
        assert agenda.is_valid(), agenda.errors
        if "start" in query:  # a window of its own, from midnight: the night is in it
            expected = ["Long night"]
        assert sorted({o.event.title for o in listed(agenda)}) == expected, now


@pytest.mark.parametrize("query", ["start=2026-03-30", "when=tomorrow", "kind=happening"])
def test_the_day_after_the_clocks_go_forward_loses_no_happening(query):
    """25 hours back from a window that opens on 30 March at midnight is 24 hours on the
    clock face: the bound counts elapsed time. A happening of 24 h 45 min, still on."""
    now = local(2026, 3, 29, 12)
    if query == "kind=happening":
        now = local(2026, 3, 30, 0, 5)  # from now: a minute of the night still to come
    EventFactory(
        title="Long one",
        start=datetime(2026, 3, 28, 21, 30, tzinfo=UTC),
        end=datetime(2026, 3, 29, 22, 15, tzinfo=UTC),  # 00:15 on the 30th, summer time
    )
    agenda = AgendaFilter(QueryDict(query), queryset=Occurrence.objects.public(), now=now)
    assert agenda.is_valid(), agenda.errors
    assert [o.event.title for o in listed(agenda)] == ["Long one"]


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("today", ["Wed 1 evening"]),
        ("tomorrow", ["Thu 2"]),
        ("weekend", ["Sat 4", "Sun 5"]),
        ("week", ["Sat 4", "Sun 5", "Thu 2", "Wed 1 evening"]),
        ("month", ["Mon 6", "Sat 4", "Sun 5", "Thu 2", "Wed 1 evening", "Wed 29"]),
    ],
)
def test_date_presets(preset, expected):
    on(1, 9, "Wed 1 morning")  # already over at noon
    on(1, 20, "Wed 1 evening")
    on(2, title="Thu 2")
    on(4, title="Sat 4")
    on(5, title="Sun 5")
    on(6, title="Mon 6")
    on(29, title="Wed 29")
    on(1, month=8, title="August")
    assert titles(f"when={preset}") == expected


@pytest.mark.parametrize(
    ("now", "expected_start", "expected_end"),
    [
        (local(2026, 7, 3, 18), local(2026, 7, 4), local(2026, 7, 6)),  # Friday
        (local(2026, 7, 4, 15), local(2026, 7, 4, 15), local(2026, 7, 6)),  # Saturday
        (local(2026, 7, 5, 15), local(2026, 7, 5, 15), local(2026, 7, 6)),  # Sunday
        (local(2026, 7, 6, 9), local(2026, 7, 11), local(2026, 7, 13)),  # Monday
    ],
)
def test_the_weekend_is_the_coming_or_current_saturday_and_sunday(
    now, expected_start, expected_end
):
    assert when_window("weekend", now) == (expected_start, expected_end)


def test_the_month_preset_ends_at_the_first_of_next_month():
    assert when_window("month", local(2026, 12, 15, 12)) == (
        local(2026, 12, 15, 12),
        local(2027, 1, 1),
    )


def test_windows_follow_local_days_across_dst():
    # Sunday 25 October 2026 has 25 hours in Brussels; "tomorrow" seen from Saturday
    # is the whole of it, midnight to midnight local time.
    start, end = when_window("tomorrow", local(2026, 10, 24, 12))
    assert (start, end) == (local(2026, 10, 25), local(2026, 10, 26))
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=25)


def test_a_start_and_end_window_takes_whole_days_and_overlaps():
    on(3, title="Fri 3")
    on(10, title="Fri 10")
    EventFactory(title="Long show", start=local(2026, 6, 20), end=local(2026, 7, 4), all_day=True)
    assert titles("start=2026-07-03&end=2026-07-03") == ["Fri 3", "Long show"]
    assert titles("start=2026-07-04T00:00&end=2026-07-10") == ["Fri 10"]


def test_a_start_in_the_past_opens_the_archive():
    on(3, month=5, title="May")
    assert titles("start=2026-05-01") == ["May"]
    assert titles() == []


def test_end_alone_means_from_now_until_then():
    on(30, month=6, title="Past")
    on(3, title="Soon")
    on(20, title="Later")
    assert titles("end=2026-07-10") == ["Soon"]
    # A preset chosen before the date typed gives way to it, not to the archive, and what
    # is on today is listed under today.
    assert titles("when=week&end=2026-07-10") == ["Soon"]
    tomorrow_until = AgendaFilter(QueryDict("when=tomorrow&end=2026-07-10"), now=NOW)
    assert tomorrow_until.is_valid() and tomorrow_until.first_day() == NOW.date()


def test_category_is_repeatable():
    on(2, title="Gig", category=CategoryFactory(slug="music", name="Music"))
    on(2, title="Play", category=CategoryFactory(slug="theatre", name="Theatre"))
    on(2, title="Film", category=CategoryFactory(slug="film", name="Film"))
    assert titles("category=music") == ["Gig"]
    assert titles("category=music&category=theatre") == ["Gig", "Play"]


def test_tag_is_repeatable_and_lists_each_occurrence_once():
    smart, branding = TagFactory(slug="smart-city"), TagFactory(slug="city-branding")
    both = on(2, title="Both", tags=[smart, branding])
    on(2, title="Smart", tags=[smart])
    on(2, title="None")
    agenda = AgendaFilter(
        QueryDict("tag=smart-city&tag=city-branding"),
        queryset=Occurrence.objects.public(),
        now=NOW,
    )
    assert [o.event for o in agenda.qs].count(both) == 1
    assert titles("tag=smart-city&tag=city-branding") == ["Both", "Smart"]
    assert titles("tag=city-branding") == ["Both"]


def test_venue_and_area():
    flagey = VenueFactory(slug="flagey", municipality=MunicipalityFactory(slug="ixelles"))
    bozar = VenueFactory(slug="bozar", municipality=MunicipalityFactory(slug="brussels"))
    on(2, title="At Flagey", venue=flagey)
    on(2, title="At Bozar", venue=bozar)
    on(2, title="Online", venue=None)
    assert titles("venue=flagey") == ["At Flagey"]
    assert titles("venue=flagey&venue=bozar") == ["At Bozar", "At Flagey"]
    assert titles("area=ixelles") == ["At Flagey"]


def test_free_true_keeps_free_events_and_false_keeps_all():
    on(2, title="Free", is_free=True)
    on(2, title="Paid", price_min=10)
    assert titles("free=true") == ["Free"]
    assert titles("free=false") == ["Free", "Paid"]


def test_language_is_repeatable():
    french, dutch = Language.objects.get(code="fr"), Language.objects.get(code="nl")
    on(2, title="FR").languages.set([french])
    on(2, title="FR+NL").languages.set([french, dutch])
    on(2, title="EN").languages.set([Language.objects.get(code="en")])
    assert titles("language=nl") == ["FR+NL"]
    assert titles("language=fr&language=nl") == ["FR", "FR+NL"]


def test_accessible_keeps_step_free_venues():
    on(2, title="Ramp", venue=VenueFactory(step_free_access=True))
    on(2, title="Stairs", venue=VenueFactory(step_free_access=False))
    on(2, title="Nowhere", venue=None)
    assert titles("accessible=true") == ["Ramp"]


def test_family_keeps_family_friendly_events():
    on(2, title="Kids", family_friendly=True)
    on(2, title="Adults")
    assert titles("family=true") == ["Kids"]


def test_q_searches_title_summary_and_venue_name_word_by_word():
    on(2, title="Jazz Night", summary="Quartet")
    on(2, title="Piano", venue=VenueFactory(name="Flagey Studio 4"))
    on(2, title="Opera", summary="A night of jazz standards")
    assert titles("q=jazz") == ["Jazz Night", "Opera"]
    assert titles("q=flagey") == ["Piano"]
    assert titles("q=JAZZ+quartet") == ["Jazz Night"]


def test_q_follows_edits_to_the_event_and_to_its_venue():
    piano = on(2, title="Piano", venue=VenueFactory(name="Flagey Studio 4"))
    piano.venue.name = "Studio Quatre"
    catalogue.shown_save(obj=piano.venue)
    assert titles("q=flagey") == []
    assert titles("q=quatre") == ["Piano"]
    piano.refresh_from_db()
    piano.title = "Harpsichord"
    event_save(event=piano)
    assert titles("q=piano") == []
    assert titles("q=harpsichord+quatre") == ["Harpsichord"]


def test_q_finds_areas_in_every_language_and_follows_their_renaming():
    ixelles = MunicipalityFactory(slug="ixelles", name_fr="Ixelles", name_nl="Elsene")
    on(2, title="Piano", venue=VenueFactory(name="Flagey", municipality=ixelles))
    on(2, title="Organ", venue=VenueFactory(name="Bozar"))
    on(2, title="Online", venue=None)
    assert titles("q=ixelles") == titles("q=ELSENE") == titles("q=elsene+piano") == ["Piano"]
    ixelles.name_nl = "Élsène"
    catalogue.shown_save(obj=ixelles)
    assert titles("q=elsene") == ["Piano"]
    ixelles.name_nl = "Elsene-Oost"
    catalogue.shown_save(obj=ixelles)
    assert titles("q=oost") == ["Piano"]


def test_parameters_combine():
    music = CategoryFactory(slug="music", name="Music")
    on(4, title="Free gig", category=music, is_free=True)
    on(4, title="Paid gig", category=music, price_min=5)
    on(2, title="Free gig on Thursday", category=music, is_free=True)
    assert titles("when=weekend&category=music&free=true") == ["Free gig"]


def test_unpublished_events_never_match_whatever_the_parameters():
    on(2, title="Pending", publication_state=Event.PublicationState.PENDING, is_free=True)
    on(2, title="Rejected", publication_state=Event.PublicationState.REJECTED, is_free=True)
    assert titles("free=true&start=2020-01-01") == []


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("start=2026-13-45", "start", "Enter a date such as 2026-12-24"),
        ("end=tomorrow", "end", "Enter a date such as 2026-12-24"),
        ("when=someday", "when", "Select a valid choice"),
        ("category=jazz", "category", "“jazz” is not one of the choices."),
        ("tag=nope", "tag", "“nope” is not one of the choices."),
        ("venue=nowhere", "venue", "“nowhere” is not one of the choices."),
        ("area=atlantis", "area", "“atlantis” is not one of the choices."),
        ("language=xx", "language", "“xx” is not one of the choices."),
        ("free=maybe", "free", "Use true or false."),
        ("accessible=2", "accessible", "Use true or false."),
        ("family=yes please", "family", "Use true or false."),
    ],
)
def test_bad_values_are_reported_by_parameter(query, field, message):
    found = errors(query)
    assert list(found) == [field]
    assert message in found[field][0]


def test_a_bad_value_leaves_the_other_parameters_working():
    on(2, title="Free", is_free=True)
    on(2, title="Paid", price_min=10)
    agenda = AgendaFilter(
        QueryDict("free=true&category=jazz"), queryset=Occurrence.objects.public(), now=NOW
    )
    assert [o.event.title for o in agenda.qs] == ["Free"]
    assert agenda.error_messages == ["category: “jazz” is not one of the choices."]
