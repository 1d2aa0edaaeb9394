"""Findings 9, 10 of issue 29 (docs/security.md), as the attacker tried them, refused.

9: every rule a door can receive expands, or is refused with RecurrenceError (a 400 on the
API, a field error on the form, a reported line in an import), in bounded work.
10: every list the API takes is bounded, and refused before any per-item query.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule as du
from django.conf import settings
from django.urls import reverse
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from diary import recurrence
from diary.forms import rule_to_plain_words
from diary.models import Event
from tests.factories import EventFactory, TagFactory, form_data
from tests.test_threats import api_event, organiser_api

pytestmark = pytest.mark.django_db

BYDAY_99 = "FREQ=MONTHLY;BYDAY=99MO"
UNTIL_9999 = "FREQ=DAILY;UNTIL=99991231T235959Z"

# 9. Rules that answered 500

WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def rarely(draw) -> bool:
    """True about one time in ten (Hypothesis draws the first of a list more often)."""
    return draw(st.sampled_from([False] * 9 + [True]))


@st.composite
def numbers(draw, low: int, high: int) -> str:
    """A value of a numeric part: mostly in or near its range, sometimes signed, huge or
    not a number at all."""
    if not rarely(draw):
        return str(draw(st.integers(low, high)))
    return draw(
        st.one_of(
            st.integers(low, high).map(lambda n: f"+{n}"),
            st.sampled_from(["0", "-0", "00", "9" * 30, "9" * 5000, "", "x", "1.5", "²", "٣"]),
        )
    )


def number_list(low: int, high: int) -> st.SearchStrategy[str]:
    return st.lists(numbers(low, high), min_size=1, max_size=4).map(",".join)


@st.composite
def untils(draw) -> str:
    if rarely(draw):
        return draw(st.sampled_from(["99991231", "00010101T000000Z", "20261231T2300", "x"]))
    year = draw(
        st.one_of(
            st.integers(2024, 2030),
            st.integers(1, 9999),
            st.sampled_from([1, 1899, 1900, 2099, 2100, 9999]),
        )
    )
    month = draw(st.integers(0, 13) if rarely(draw) else st.integers(1, 12))
    day = draw(st.integers(0, 32) if rarely(draw) else st.integers(1, 28))
    text = f"{year:04d}{month:02d}{day:02d}"
    if draw(st.booleans()):
        text += f"T{draw(st.integers(0, 25)):02d}{draw(st.integers(0, 61)):02d}00"
        text += draw(st.sampled_from(["", "Z", "Z", "+0100"]))
    return text


@st.composite
def bydays(draw) -> str:
    def one() -> str:
        if rarely(draw):
            ordinal = draw(st.sampled_from(["+", "-", "999", "0", "1.5", "+99", "-99"]))
            return ordinal + draw(st.sampled_from([*WEEKDAYS, "XX", "mo", "M", ""]))
        ordinal = draw(st.one_of(st.just(""), st.integers(-6, 6), st.integers(-99, 99)))
        return f"{ordinal or ''}{draw(st.sampled_from(WEEKDAYS))}"

    return ",".join(one() for _ in range(draw(st.integers(1, 4))))


PARTS = {
    "INTERVAL": numbers(1, 5),
    "COUNT": numbers(1, 50),
    "UNTIL": untils(),
    "BYDAY": bydays(),
    "BYMONTH": number_list(1, 12),
    "BYMONTHDAY": number_list(-31, 31),
    "BYYEARDAY": number_list(-366, 366),
    "BYWEEKNO": number_list(-53, 53),
    "BYSETPOS": number_list(-366, 366),
    "BYHOUR": number_list(0, 23),
    "BYMINUTE": number_list(0, 59),
    "WKST": st.sampled_from(WEEKDAYS),
}
ODD_PARTS = [
    "INTERVAL=0",
    "INTERVAL=99999999",
    "INTERVAL=999999999999",
    "COUNT=0",
    "COUNT=999999999",
    "BYMONTH=0",
    "BYMONTH=13",
    "BYHOUR=24",
    "BYMINUTE=60",
    "BYSECOND=0",
    "BYSECOND=61",
    "BYMONTHDAY=32",
    "BYMONTHDAY=0",
    "BYYEARDAY=367",
    "BYWEEKNO=54",
    "BYSETPOS=0",
    "BYSETPOS=-367",
    "WKST=XX",
    "WKST=1MO",
    "X-NAME=1",
    "FREQ=SECONDLY",
    "FREQ=WEEK",
    "=",
    "FREQ",
    "",
]


@st.composite
def rules(draw) -> str:
    """RRULE texts built from parts: any frequency, with any parts, their values in and out
    of range, sometimes a part twice or garbage between them, as the API, the form's custom
    rule and a file carry them."""
    frequency = draw(st.sampled_from(recurrence.ALLOWED_FREQUENCIES))
    parts = [] if rarely(draw) else [f"FREQ={frequency}"]
    names = draw(st.lists(st.sampled_from(sorted(PARTS)), max_size=5, unique=True))
    parts += [f"{name}={draw(PARTS[name])}" for name in names]
    if rarely(draw) and parts:
        parts.append(draw(st.sampled_from(parts)).split("=")[0] + "=" + draw(PARTS["COUNT"]))
    if rarely(draw):
        parts.append(draw(st.one_of(st.sampled_from(ODD_PARTS), st.text(max_size=12))))
    text = ";".join(draw(st.permutations(parts)))
    if rarely(draw):
        text = draw(st.sampled_from(["RRULE:" + text, text.lower(), f" {text}; "]))
    return text


MARCH = datetime(2026, 3, 1, 10)
ZONES = ["UTC", "Europe/Brussels", "America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago"]


@pytest.fixture
def examined(monkeypatch):
    """How many days dateutil's search examines, metered or not: every turn of its loop
    asks `_iterinfo` for its period's days, so no expansion can escape this count. The work
    budget is smaller here, so that the searches that run to it (one rule in ten) cost
    milliseconds; the bound holds whatever its value."""
    monkeypatch.setattr(recurrence, "MAX_WORK", 10_000)
    count = [0]
    for name in ("ydayset", "mdayset", "wdayset", "ddayset"):
        original = getattr(du._iterinfo, name)

        def counted(self, *args, _original=original):
            period = _original(self, *args)
            count[0] += max(1, period[2] - period[1])
            return period

        monkeypatch.setattr(du._iterinfo, name, counted)
    return count


@hypothesis_settings(
    max_examples=250,
    deadline=None,
    # `examined` is set back to 0 by each example.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(rule=BYDAY_99, zone="Europe/Brussels", start=MARCH, all_day=False)
@example(rule=UNTIL_9999, zone="Europe/Brussels", start=MARCH, all_day=False)
@example(rule="FREQ=DAILY;UNTIL=99991231", zone="America/New_York", start=MARCH, all_day=False)
@example(rule="FREQ=YEARLY;BYDAY=-53SU,5MO", zone="UTC", start=MARCH, all_day=False)
@given(
    rule=st.one_of(rules(), rules(), rules(), rules(), rules(), st.text(max_size=40)),
    zone=st.sampled_from(ZONES),
    start=st.one_of(
        st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2029, 1, 1)),
        st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2099, 12, 30)),
    ),
    all_day=st.booleans(),
)
def test_every_rule_expands_or_is_refused_with_a_message_in_bounded_work(
    rule, zone, start, all_day, examined
):
    """The expansion every door calls (Event.clean, services.occurrence_instances, the
    form's preview) and what the feeds and the edit form then read of an accepted rule."""
    examined[0] = 0
    tz = ZoneInfo(zone)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    start = start.replace(tzinfo=tz)
    try:
        instances = recurrence.expand(
            start=start,
            end=start + timedelta(hours=2),
            tz=tz,
            all_day=all_day,
            rule=rule,
            horizon=now + timedelta(days=settings.DIARY_HORIZON_DAYS),
            now=now,
            cap=settings.DIARY_MAX_OCCURRENCES,
        )
    except recurrence.RecurrenceError as error:
        assert str(error)
    else:
        assert 1 <= len(instances) <= settings.DIARY_MAX_OCCURRENCES
        if recurrence.normalise_rule(rule):
            recurrence.rule_for_ical(rule, tz=tz, all_day=all_day)
            rule_to_plain_words(recurrence.normalise_rule(rule))
    # The COUNT probe and the expansion: each metered search stops at MAX_WORK.
    assert examined[0] <= 2 * (recurrence.MAX_WORK + 366)


@pytest.mark.parametrize(
    ("rule", "named"), [(BYDAY_99, "BYDAY"), (UNTIL_9999, "UNTIL")], ids=["byday", "until"]
)
def test_a_rule_that_answered_500_on_the_api_is_a_400_naming_rrule(rule, named):
    response = organiser_api().post("/api/v1/events/", api_event(rrule=rule), format="json")
    assert response.status_code == 400
    [message] = response.json()["rrule"]
    assert named in message
    assert not Event.objects.exists()


@pytest.mark.parametrize("until", ["9999-12-31", "1899-12-31"])
def test_a_repetition_until_a_year_outside_the_agenda_is_a_field_error_on_the_form(client, until):

    response = client.post("/submit/", form_data(repeat_until=until))
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors == {"repeat_until": ["Give a date between 1900 and 2099."]}
    assert not Event.objects.exists()


def test_a_stored_rule_that_is_refused_now_leaves_the_feed_answering(client):
    """Accepted before (a date UNTIL in year 9999), then 500 in a zone west of UTC."""
    event = EventFactory(timezone="America/New_York", rrule="FREQ=WEEKLY;COUNT=3")
    Event.objects.filter(pk=event.pk).update(rrule="FREQ=WEEKLY;UNTIL=99991231")
    response = client.get(reverse("diary:event-ics", args=[event.slug]))
    assert response.status_code == 200
    assert b"BEGIN:VEVENT" in response.content
    assert b"RRULE" not in response.content.split(b"BEGIN:VEVENT")[1]  # (its zone's rules are)


# 10. Lists without bounds, one query per item


def tag_queries(queries) -> list[str]:
    return [query["sql"] for query in queries if '"diary_tag"' in query["sql"]]


def test_fifty_thousand_tags_are_a_400_naming_tags_before_any_tag_is_looked_up(
    django_assert_max_num_queries,
):
    api, event = organiser_api(), api_event(tags=[TagFactory().slug] * 50_000)
    with django_assert_max_num_queries(4) as queries:  # token, its use, category, venue
        response = api.post("/api/v1/events/", event, format="json")
    assert response.status_code == 400
    assert response.json() == {"tags": ["Give at most 20 tags."]}
    assert not tag_queries(queries)


def test_more_spoken_languages_than_the_bound_are_a_400_naming_languages():
    response = organiser_api().post(
        "/api/v1/events/", api_event(languages=["fr"] * 11), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"languages": ["Give at most 10 spoken languages."]}


@pytest.mark.parametrize("name", ["rdates", "exdates"])
def test_too_many_dates_are_counted_before_any_is_read(name):
    response = organiser_api().post(
        "/api/v1/events/", api_event(**{name: [{}] * 100_000}), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        name: ["Give at most 500 dates; a rule (RRULE) describes longer series."]
    }


def test_an_events_tags_are_looked_up_in_one_query_however_many():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    tags = [TagFactory().slug for _ in range(20)]
    counts = []
    for given_tags in (tags[:1], tags):
        api, event = organiser_api(), api_event(tags=given_tags)
        with CaptureQueriesContext(connection) as queries:
            response = api.post("/api/v1/events/", event, format="json")
        assert response.status_code == 201
        assert sorted(response.json()["tags"]) == sorted(given_tags)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_an_unknown_tag_is_named_in_the_refusal():
    TagFactory(slug="jazz")
    response = organiser_api().post(
        "/api/v1/events/", api_event(tags=["jazz", "nope"]), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"tags": ["Object with slug=nope does not exist."]}


def test_the_form_takes_at_most_twenty_tags_and_ten_languages(client):
    from diary.models import Language

    tags = [TagFactory().pk for _ in range(21)]
    languages = [Language.objects.create(code=f"l{n}", name=f"L{n}").pk for n in range(11)]
    response = client.post("/submit/", form_data(tags=tags, languages=languages))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["tags"] == ["Give at most 20 tags."]
    assert errors["languages"] == ["Give at most 10 spoken languages."]
    assert not Event.objects.exists()


@pytest.mark.parametrize("name", ["category", "tag", "venue", "area", "language"])
def test_a_repeatable_parameter_takes_at_most_fifty_values(client, name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    query = "&".join(f"{name}=Not+A+Venue+{n}" for n in range(51))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/occurrences/?{query}")
    assert response.status_code == 400
    assert response.json() == {name: ["Give at most 50 values."]}
    assert len(queries) <= 2  # a typed venue name cost a query each, a thousand per request


def test_the_agenda_page_names_a_parameter_given_too_many_values(client):
    query = "&".join(f"tag=t{n}" for n in range(51))
    response = client.get(f"/?{query}")
    assert "Tag: Give at most 50 values." in response.content.decode()


def test_an_ordering_field_repeated_is_sorted_by_once(client, monkeypatch):
    """800 times `-title` built 800 translated expressions (half a second for five events);
    SQL then drops the repeats, too late."""
    from diary.api.filtering import OrderingFilter

    built = []
    term = OrderingFilter.term
    monkeypatch.setattr(
        OrderingFilter, "term", staticmethod(lambda *args: built.append(args) or term(*args))
    )
    EventFactory()
    ordering = ",".join(["-title"] * 800 + ["start", "title"])
    response = client.get(f"/api/v1/events/?ordering={ordering}")
    assert response.status_code == 200
    assert [name for name, _model in built] == ["-title", "start"]


RULES_FILE = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Attacker//Rules//EN
BEGIN:VEVENT
UID:good@rules.example
DTSTART:20261205T180000Z
DTEND:20261205T200000Z
SUMMARY:Good
END:VEVENT
BEGIN:VEVENT
UID:byday@rules.example
DTSTART:20261205T180000Z
RRULE:FREQ=MONTHLY;BYDAY=99MO
SUMMARY:Ninety-ninth Monday
END:VEVENT
BEGIN:VEVENT
UID:until@rules.example
DTSTART:20261205T180000Z
RRULE:FREQ=DAILY;UNTIL=99991231T235959Z
SUMMARY:Until the year 9999
END:VEVENT
END:VCALENDAR
"""


def test_a_file_with_the_two_rules_imports_its_valid_event_and_reports_them(tmp_path):
    from io import StringIO

    from django.core.management import call_command

    path = tmp_path / "rules.ics"
    path.write_bytes(RULES_FILE.replace("\n", "\r\n").encode())
    out, err = StringIO(), StringIO()
    call_command("import_ics", str(path), stdout=out, stderr=err)
    assert list(Event.objects.values_list("uid", flat=True)) == ["good@rules.example"]
    assert "(UID byday@rules.example): " in err.getvalue()
    assert "BYDAY" in err.getvalue()
    assert "(UID until@rules.example): " in err.getvalue()
    assert "UNTIL must fall between 1900 and 2099" in err.getvalue()
