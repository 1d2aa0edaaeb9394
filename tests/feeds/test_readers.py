"""Every feed, read by three independent clients (tests/feeds/readers), gives exactly the dates
the API gives: in UTC, across both changes of the clocks of two years, in Brussels and in a
city of the other hemisphere."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from diary.models import Event
from feeds import importers
from tests.factories import CategoryFactory, EventFactory, VenueFactory
from tests.feeds.readers import READERS, Instance, read_alike

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
# Two years of both clock changes, in both hemispheres (the horizon reaches past them).
WINDOW = (datetime(2026, 11, 30, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC))


@pytest.fixture
def clock(settings):
    settings.DIARY_HORIZON_DAYS = 800
    with time_machine.travel(NOW, tick=False):
        yield


def feed(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, response
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def api_instances(client, zone: str, *, start: date, end: date, uids: set[str]) -> set:
    """The dates the API lists between `start` and `end`, as the readers give them (an
    all-day date in the days of its event's `zone`)."""
    instances = set()
    url = f"/api/v1/occurrences/?start={start}&end={end}&page_size=100&lang=en"
    while url:
        page = client.get(url).json()
        for occurrence in page["results"]:
            uid = occurrence["event"]["uid"]
            if uid not in uids:
                continue
            begins = datetime.fromisoformat(occurrence["start"])
            ends = datetime.fromisoformat(occurrence["end"])
            if occurrence["all_day"]:  # the feed's dates: the first day, the day after the last
                days = (moment.astimezone(ZoneInfo(zone)).date() for moment in (begins, ends))
                instances.add(Instance(uid, *days))
            else:
                instances.add(Instance(uid, begins.astimezone(UTC), ends.astimezone(UTC)))
        url = page["next"]
    return instances


def within(instances: set[Instance], start: datetime, end: datetime) -> set[Instance]:
    """The instances that begin in [start, end): what both sides hold whole."""

    def begins(instance: Instance) -> datetime:
        if isinstance(instance.start, datetime):
            return instance.start
        return datetime.combine(instance.start, datetime.min.time(), UTC)

    return {instance for instance in instances if start <= begins(instance) < end}


def city_of(zone: str, **fields) -> Event:
    return EventFactory(timezone=zone, **fields)


def a_year_of_dates(zone: str) -> list[Event]:
    """What a city's diary holds, in `zone`: a weekly evening over two years of clock changes,
    an all-day run, dates added and removed, a moved date, a cancelled event, an event at
    the hour the clocks skip, and a class that began years ago."""
    tz = ZoneInfo(zone)
    music = CategoryFactory(slug="music", name="Music")
    hall = VenueFactory(name="Hall", slug="hall")
    weekly = city_of(
        zone,
        title="Weekly jazz",
        category=music,
        venue=hall,
        start=datetime(2026, 12, 3, 20, 0, tzinfo=tz),
        end=datetime(2026, 12, 3, 22, 30, tzinfo=tz),
        rrule="FREQ=WEEKLY;UNTIL=20281228T230000Z",
        rdates=["2027-07-02T20:00:00"],
        exdates=["2027-03-25T20:00:00", "2027-10-28T20:00:00"],
        overrides={"2027-04-01T20:00:00": {"start": "2027-04-02T21:00:00", "end": None}},
    )
    return [
        weekly,
        city_of(
            zone,
            title="Summer evening",
            category=music,
            start=datetime(2027, 7, 2, 20, 0, tzinfo=tz),
            end=datetime(2027, 7, 2, 23, 0, tzinfo=tz),
        ),
        city_of(
            zone,
            title="Exhibition",
            venue=hall,
            all_day=True,
            start=datetime(2027, 3, 20, tzinfo=tz),
            end=datetime(2027, 5, 2, tzinfo=tz),
        ),
        city_of(
            zone,
            title="Monthly market",
            start=datetime(2027, 1, 3, 9, 0, tzinfo=tz),
            end=datetime(2027, 1, 3, 13, 0, tzinfo=tz),
            rrule="FREQ=MONTHLY;BYDAY=1SU;COUNT=24",
        ),
        city_of(
            zone,
            title="Cancelled",
            status=Event.Status.CANCELLED,
            start=datetime(2027, 10, 31, 1, 30, tzinfo=tz),
            end=datetime(2027, 10, 31, 4, 0, tzinfo=tz),
        ),
        city_of(
            zone,
            title="Yoga since 2019",
            start=datetime(2019, 1, 6, 10, 0, tzinfo=tz),
            end=datetime(2019, 1, 6, 11, 0, tzinfo=tz),
            rrule="FREQ=WEEKLY;BYDAY=SU",
        ),
    ]


# The named case of issue 31: the feed's VTIMEZONE put summer an hour late in ical.js.


@pytest.mark.parametrize("reader", READERS)
def test_a_summer_evening_in_brussels_is_at_18_00_utc_in_every_reader(client, clock, reader):
    brussels = ZoneInfo("Europe/Brussels")
    EventFactory(start=datetime(2026, 12, 10, 20, 0, tzinfo=brussels))  # the feed opens in winter
    summer = EventFactory(
        start=datetime(2027, 7, 2, 20, 0, tzinfo=brussels),
        end=datetime(2027, 7, 2, 22, 0, tzinfo=brussels),
    )
    data = feed(client, "/feeds/events.ics")
    assert b"DTSTART;TZID=Europe/Brussels:20270702T200000" in data
    [instance] = [item for item in READERS[reader](data, *WINDOW) if item.uid == summer.uid]
    assert (instance.start, instance.end) == (
        datetime(2027, 7, 2, 18, 0, tzinfo=UTC),
        datetime(2027, 7, 2, 20, 0, tzinfo=UTC),
    )


@pytest.mark.parametrize("zone", ["Europe/Brussels", "Australia/Sydney"])
@pytest.mark.parametrize("door", ["diary", "category", "venue", "event", "cut"])
def test_every_feed_reads_as_the_api_in_every_reader(client, clock, settings, zone, door):
    events = a_year_of_dates(zone)
    weekly = events[0]
    urls = {
        "diary": "/feeds/events.ics",
        "category": "/feeds/categories/music.ics",
        "venue": "/feeds/venues/hall.ics",
        "event": reverse("diary:event-ics", args=[weekly.slug]),
        "cut": "/feeds/events.ics",
    }
    if door == "cut":  # a feed too large for its budget carries the events nearest first
        settings.DIARY_FEED_MAX_BYTES = len(feed(client, "/feeds/events.ics?lang=fr")) - 500
    data = feed(client, urls[door])
    read = read_alike(data, *WINDOW)
    uids = {instance.uid for instance in read}
    if door == "cut":
        assert 0 < len(uids) < len(events)
    else:
        assert weekly.uid in uids
    expected = api_instances(
        client, zone, start=date(2026, 11, 30), end=date(2029, 1, 1), uids=uids
    )
    assert within(read, *WINDOW) == within(expected, *WINDOW)


# RFC 5545 3.8.5.3's recurrence examples (America/New_York, from September 1997), each
# imported as an organiser's calendar, listed by the API, and written again in our feed: the
# three readers expand the feed to exactly the API's dates.
RFC_EXAMPLES = {
    "daily-10": ("19970902T090000", "FREQ=DAILY;COUNT=10"),
    "daily-until": ("19970902T090000", "FREQ=DAILY;UNTIL=19971224T000000Z"),
    "every-other-day": ("19970902T090000", "FREQ=DAILY;INTERVAL=2"),
    "every-10-days-5": ("19970902T090000", "FREQ=DAILY;INTERVAL=10;COUNT=5"),
    "january-3-years": (
        "19980101T090000",
        "FREQ=YEARLY;UNTIL=20000131T140000Z;BYMONTH=1;BYDAY=SU,MO,TU,WE,TH,FR,SA",
    ),
    "weekly-10": ("19970902T090000", "FREQ=WEEKLY;COUNT=10"),
    "weekly-until": ("19970902T090000", "FREQ=WEEKLY;UNTIL=19971224T000000Z"),
    "every-other-week": ("19970902T090000", "FREQ=WEEKLY;INTERVAL=2;WKST=SU"),
    "tue-thu-5-weeks": (
        "19970902T090000",
        "FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH",
    ),
    "mon-wed-fri-other-weeks": (
        "19970901T090000",
        "FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR",
    ),
    "first-friday": ("19970905T090000", "FREQ=MONTHLY;COUNT=10;BYDAY=1FR"),
    "first-last-sunday": ("19970907T090000", "FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU"),
    "second-to-last-monday": ("19970922T090000", "FREQ=MONTHLY;COUNT=6;BYDAY=-2MO"),
    "third-to-last-day": ("19970928T090000", "FREQ=MONTHLY;BYMONTHDAY=-3"),
    "2nd-and-15th": ("19970902T090000", "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=2,15"),
    "june-july": ("19970610T090000", "FREQ=YEARLY;COUNT=10;BYMONTH=6,7"),
    "20th-monday": ("19970519T090000", "FREQ=YEARLY;BYDAY=20MO"),
    "friday-13th": ("19970902T090000", "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13"),
    "third-weekday-3-months": ("19970904T090000", "FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3"),
    "election-day": ("19961105T090000", "FREQ=YEARLY;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8"),
}


def rfc_calendar() -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//RFC 5545 3.8.5.3//EN"]
    for name, (start, rule) in RFC_EXAMPLES.items():
        lines += [
            "BEGIN:VEVENT",
            f"UID:{name}@rfc5545.example",
            "DTSTAMP:19970901T130000Z",
            f"DTSTART;TZID=America/New_York:{start}",
            "DURATION:PT1H",
            f"RRULE:{rule}",
            f"SUMMARY:{name}",
            *(["EXDATE;TZID=America/New_York:19970902T090000"] if name == "friday-13th" else []),
            "END:VEVENT",
        ]
    return "\r\n".join([*lines, "END:VCALENDAR", ""]).encode()


def test_rfc_5545_recurrence_examples_go_through_import_api_and_feed_exactly(client, settings):
    settings.DIARY_HORIZON_DAYS = 900
    with time_machine.travel(datetime(1997, 9, 1, 12, 0, tzinfo=UTC), tick=False):
        report = importers.import_calendar(rfc_calendar(), source="rfc5545", publish=True)
        assert (report.created, report.errors) == (len(RFC_EXAMPLES), [])
        window = (datetime(1997, 9, 2, tzinfo=UTC), datetime(2000, 2, 1, tzinfo=UTC))
        data = feed(client, "/feeds/events.ics?start=1997-09-01&end=2000-02-01")
        # ical.js 2.2.1 expands a yearly rule's BYDAY=20MO as every Monday (docs/interop.md).
        read = read_alike(data, *window, misread={"ical.js": {"20th-monday@rfc5545.example"}})
        uids = {f"{name}@rfc5545.example" for name in RFC_EXAMPLES}
        expected = api_instances(
            client, "America/New_York", start=date(1997, 9, 1), end=date(2000, 2, 1), uids=uids
        )
    assert within(read, *window) == within(expected, *window)
    first_fridays = sorted(i.start for i in read if i.uid == "first-friday@rfc5545.example")
    assert first_fridays[:3] == [  # 09:00 in New York: EDT, then EST
        datetime(1997, 9, 5, 13, 0, tzinfo=UTC),
        datetime(1997, 10, 3, 13, 0, tzinfo=UTC),
        datetime(1997, 11, 7, 14, 0, tzinfo=UTC),
    ]
    assert {i.uid for i in read} == uids
