"""The recurrence engine, without a database: rules, date lists, DST, horizon and cap."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule as du
from hypothesis import example, given
from hypothesis import strategies as st

from diary import recurrence
from diary.recurrence import RecurrenceError, expand, normalise_rule

BRUSSELS = ZoneInfo("Europe/Brussels")
NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
HORIZON = datetime(2027, 12, 31, tzinfo=UTC)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=BRUSSELS)


def starts(start, rule="", *, end=None, horizon=HORIZON, now=NOW, cap=10_000, **kwargs):
    instances = expand(
        start=start,
        end=end,
        tz=BRUSSELS,
        rule=rule,
        horizon=horizon,
        now=now,
        cap=cap,
        **kwargs,
    )
    return [instance.start.astimezone(BRUSSELS) for instance in instances]


def local_times(moments):
    return [moment.strftime("%Y-%m-%d %H:%M %z") for moment in moments]


def test_an_event_without_a_rule_has_one_instance():
    assert starts(at(2026, 5, 3, 10)) == [at(2026, 5, 3, 10)]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("FREQ=DAILY;COUNT=3", ["2026-01-05", "2026-01-06", "2026-01-07"]),
        ("FREQ=DAILY;INTERVAL=2;COUNT=3", ["2026-01-05", "2026-01-07", "2026-01-09"]),
        (
            "FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20260115",
            ["2026-01-05", "2026-01-08", "2026-01-12", "2026-01-15"],
        ),
        # Second Wednesday of each month (ordinal BYDAY); DTSTART is always the first.
        (
            "FREQ=MONTHLY;BYDAY=2WE;COUNT=4",
            ["2026-01-05", "2026-01-14", "2026-02-11", "2026-03-11"],
        ),
        # Last Friday of each month (negative ordinal).
        ("FREQ=MONTHLY;BYDAY=-1FR;COUNT=3", ["2026-01-05", "2026-01-30", "2026-02-27"]),
        # Last weekday of the month (BYSETPOS).
        (
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=3",
            ["2026-01-05", "2026-01-30", "2026-02-27"],
        ),
        ("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24;COUNT=2", ["2026-01-05", "2026-12-24"]),
        ("FREQ=YEARLY;COUNT=2", ["2026-01-05", "2027-01-05"]),
        ("rrule:freq=weekly;count=2", ["2026-01-05", "2026-01-12"]),
    ],
)
def test_rules_expand_to_the_expected_dates(rule, expected):
    assert [moment.date().isoformat() for moment in starts(at(2026, 1, 5, 19), rule)] == expected


def test_every_instance_keeps_the_wall_clock_time():
    moments = starts(at(2026, 1, 5, 19, 30), "FREQ=MONTHLY;COUNT=12")
    assert {moment.strftime("%H:%M") for moment in moments} == {"19:30"}


def test_a_weekly_event_stays_at_19h_across_the_march_dst_change():
    moments = starts(at(2026, 3, 22, 19), "FREQ=WEEKLY;COUNT=3")
    assert local_times(moments) == [
        "2026-03-22 19:00 +0100",
        "2026-03-29 19:00 +0200",
        "2026-04-05 19:00 +0200",
    ]


def test_a_weekly_event_stays_at_19h_across_the_october_dst_change():
    moments = starts(at(2026, 10, 18, 19), "FREQ=WEEKLY;COUNT=3")
    assert local_times(moments) == [
        "2026-10-18 19:00 +0200",
        "2026-10-25 19:00 +0100",
        "2026-11-01 19:00 +0100",
    ]
    utc_hours = [moment.astimezone(UTC).hour for moment in moments]
    assert utc_hours == [17, 18, 18]


def test_a_time_inside_the_spring_gap_moves_forward_by_the_gap():
    # 02:30 does not exist on 2026-03-29 in Brussels: RFC 5545 reads it with the offset
    # from before the gap, which is 03:30 summer time.
    moments = starts(at(2026, 3, 28, 2, 30), "FREQ=DAILY;COUNT=3")
    assert local_times(moments) == [
        "2026-03-28 02:30 +0100",
        "2026-03-29 03:30 +0200",
        "2026-03-30 02:30 +0200",
    ]


def test_an_ambiguous_autumn_time_is_its_first_occurrence():
    moments = starts(at(2026, 10, 24, 2, 30), "FREQ=DAILY;COUNT=2")
    assert local_times(moments) == ["2026-10-24 02:30 +0200", "2026-10-25 02:30 +0200"]


def test_a_multi_day_event_keeps_its_wall_clock_end_across_dst():
    instances = expand(
        start=at(2026, 10, 17, 20),
        end=at(2026, 10, 18, 4),
        tz=BRUSSELS,
        rule="FREQ=WEEKLY;COUNT=2",
        horizon=HORIZON,
        now=NOW,
        cap=10,
    )
    second = instances[1]
    assert local_times([second.start.astimezone(BRUSSELS), second.end.astimezone(BRUSSELS)]) == [
        "2026-10-24 20:00 +0200",
        "2026-10-25 04:00 +0100",
    ]


def test_all_day_instances_run_from_local_midnight_to_midnight():
    instances = expand(
        start=at(2026, 3, 28),
        end=at(2026, 3, 30),  # a two-day event, end exclusive
        tz=BRUSSELS,
        all_day=True,
        rule="FREQ=WEEKLY;COUNT=2",
        horizon=HORIZON,
        now=NOW,
        cap=10,
    )
    assert [
        local_times([i.start.astimezone(BRUSSELS), i.end.astimezone(BRUSSELS)]) for i in instances
    ] == [
        ["2026-03-28 00:00 +0100", "2026-03-30 00:00 +0200"],
        ["2026-04-04 00:00 +0200", "2026-04-06 00:00 +0200"],
    ]


def test_an_all_day_event_without_end_lasts_one_day():
    [instance] = expand(
        start=at(2026, 5, 3, 15),
        end=None,
        tz=BRUSSELS,
        all_day=True,
        horizon=HORIZON,
        now=NOW,
        cap=10,
    )
    assert instance.start == at(2026, 5, 3)
    assert instance.end == at(2026, 5, 4)


def test_exdates_remove_an_exact_time_or_a_whole_day():
    moments = starts(
        at(2026, 1, 5, 19),
        "FREQ=DAILY;COUNT=5",
        exdates=["2026-01-06T19:00", "2026-01-08"],
    )
    assert [m.day for m in moments] == [5, 7, 9]


def test_an_exdate_at_another_time_of_day_removes_nothing():
    moments = starts(at(2026, 1, 5, 19), "FREQ=DAILY;COUNT=3", exdates=["2026-01-06T18:00"])
    assert [m.day for m in moments] == [5, 6, 7]


def test_rdates_add_dates_at_the_events_time_or_their_own():
    moments = starts(
        at(2026, 1, 5, 19),
        "FREQ=WEEKLY;COUNT=2",
        rdates=["2026-01-07", "2026-01-08T21:30", "2026-01-12T19:00"],
    )
    assert local_times(moments) == [
        "2026-01-05 19:00 +0100",
        "2026-01-07 19:00 +0100",
        "2026-01-08 21:30 +0100",
        "2026-01-12 19:00 +0100",  # given twice (rule and RDATE), listed once
    ]


def test_rdates_with_an_offset_are_read_in_the_events_zone():
    moments = starts(at(2026, 1, 5, 19), rdates=["2026-01-09T18:00:00+00:00"])
    assert local_times(moments)[-1] == "2026-01-09 19:00 +0100"


def test_until_in_utc_is_converted_to_local_time():
    # 18:00Z is 19:00 in Brussels in winter: the 9 January instance is included.
    moments = starts(at(2026, 1, 5, 19), "FREQ=DAILY;UNTIL=20260109T180000Z")
    assert moments[-1] == at(2026, 1, 9, 19)


def test_a_date_only_until_includes_that_day():
    moments = starts(at(2026, 1, 5, 19), "FREQ=DAILY;UNTIL=20260109")
    assert moments[-1] == at(2026, 1, 9, 19)


def test_an_unbounded_rule_stops_at_the_horizon():
    horizon = datetime(2026, 2, 1, tzinfo=UTC)
    moments = starts(at(2026, 1, 5, 19), "FREQ=WEEKLY", horizon=horizon)
    assert [m.day for m in moments] == [5, 12, 19, 26]


def test_explicit_dates_beyond_the_horizon_are_kept():
    horizon = datetime(2026, 2, 1, tzinfo=UTC)
    moments = starts(at(2026, 1, 5, 19), "FREQ=WEEKLY", horizon=horizon, rdates=["2028-06-01"])
    assert moments[-1] == at(2028, 6, 1, 19)
    assert starts(at(2029, 1, 1, 19), horizon=horizon) == [at(2029, 1, 1, 19)]


def test_past_instances_are_kept_for_the_archive():
    moments = starts(at(2016, 5, 3, 10), "FREQ=YEARLY;COUNT=3")
    assert [m.year for m in moments] == [2016, 2017, 2018]


def test_the_cap_keeps_all_upcoming_dates_then_the_latest_past_ones():
    now = datetime(2026, 1, 10, 12, tzinfo=UTC)
    horizon = datetime(2026, 1, 20, 12, tzinfo=UTC)
    moments = starts(at(2025, 1, 1, 19), "FREQ=DAILY", now=now, horizon=horizon, cap=15)
    assert len(moments) == 15
    assert moments[0] == at(2026, 1, 5, 19)  # five past days…
    assert moments[-1] == at(2026, 1, 19, 19)  # …then every upcoming one up to the horizon


def test_the_cap_keeps_the_nearest_upcoming_dates_when_they_alone_exceed_it():
    moments = starts(at(2025, 1, 1, 19), "FREQ=DAILY", now=NOW, cap=5)
    assert moments == [at(2026, 1, d, 19) for d in range(1, 6)]


def test_an_ongoing_instance_counts_as_upcoming():
    now = datetime(2026, 1, 5, 19, 30, tzinfo=BRUSSELS)
    instances = expand(
        start=at(2026, 1, 1, 19),
        end=at(2026, 1, 1, 21),
        tz=BRUSSELS,
        rule="FREQ=DAILY",
        horizon=datetime(2026, 1, 7, tzinfo=UTC),
        now=now,
        cap=2,
    )
    assert [i.start for i in instances] == [at(2026, 1, 5, 19), at(2026, 1, 6, 19)]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("garbage", "NAME=VALUE"),
        ("FREQ=SECONDLY", "FREQ must be one of"),
        ("FREQ=SECONDLY", "FREQ must be one of"),
        ("INTERVAL=2", "needs a FREQ"),
        ("FREQ=WEEKLY;BYDAY=XX", "BYDAY values are days"),
        ("FREQ=MONTHLY;BYDAY=99MO", "in a MONTHLY rule the number goes from -5 to 5"),
        ("FREQ=MONTHLY;BYDAY=6MO", "in a MONTHLY rule the number goes from -5 to 5"),
        ("FREQ=YEARLY;BYDAY=-54MO", "in a YEARLY rule the number goes from -53 to 53"),
        ("FREQ=MONTHLY;BYDAY=0MO", "BYDAY values are days"),
        ("FREQ=WEEKLY;WKST=XX", "WKST must be a day of the week"),
        ("FREQ=DAILY;UNTIL=99991231T235959Z", "UNTIL must fall between 1900 and 2099"),
        ("FREQ=DAILY;UNTIL=00010101", "UNTIL must fall between 1900 and 2099"),
        ("FREQ=DAILY;COUNT=9999999999", "COUNT must be below 1000000000"),
        ("FREQ=DAILY;INTERVAL=²", "INTERVAL must be a positive whole number"),
        ("FREQ=DAILY;BYHOUR=" + "1" * 5000, "BYHOUR values"),
        ("FREQ=WEEKLY;COUNT=0", "COUNT must be a positive whole number"),
        ("FREQ=WEEKLY;INTERVAL=-1", "INTERVAL must be a positive whole number"),
        ("FREQ=WEEKLY;COUNT=2;UNTIL=20261231", "COUNT or UNTIL, not both"),
        ("FREQ=WEEKLY;UNTIL=2026", "UNTIL must be a date"),
        ("FREQ=WEEKLY;UNTIL=20261331", "not a valid date"),
        ("FREQ=WEEKLY;COLOUR=RED", "Unknown or unsupported rule part"),
        ("FREQ=WEEKLY;FREQ=DAILY", "appears twice"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY values must be whole numbers"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY values must be whole numbers"),
        ("FREQ=YEARLY;BYMONTH=13", "BYMONTH values must be whole numbers from 1 to 12"),
        ("FREQ=DAILY;BYHOUR=24", "BYHOUR values"),
        ("FREQ=MONTHLY;BYSETPOS=x", "BYSETPOS values"),
    ],
)
def test_bad_rules_are_refused_with_a_message(rule, message):
    with pytest.raises(RecurrenceError, match=message):
        starts(at(2026, 1, 5, 19), rule)


@pytest.mark.parametrize(
    ("rule", "count"),
    [
        ("FREQ=MONTHLY;BYDAY=5FR,-5FR;COUNT=4", 4),
        ("FREQ=YEARLY;BYDAY=53MO,-53SU;COUNT=3", 3),
        ("FREQ=DAILY;UNTIL=20991231T235959Z", None),
        ("FREQ=DAILY;COUNT=999999999", None),
    ],
)
def test_rules_at_the_edges_of_their_ranges_expand(rule, count):
    moments = starts(at(2026, 1, 5, 19), rule, horizon=datetime(2060, 1, 1, tzinfo=UTC))
    assert len(moments) == (count or 10_000)


def test_dtstart_counts_as_the_first_of_count_even_off_rule():
    # 5 January 2026 is a Monday; the rule asks for Wednesdays.
    moments = starts(at(2026, 1, 5, 19), "FREQ=WEEKLY;BYDAY=WE;COUNT=2")
    assert [m.day for m in moments] == [5, 7]
    assert starts(at(2026, 1, 5, 19), "FREQ=WEEKLY;BYDAY=WE;COUNT=1") == [at(2026, 1, 5, 19)]


@pytest.mark.parametrize("value", ["24/12/2026", "2026-13-01", "tomorrow"])
def test_bad_dates_in_lists_are_refused_with_a_message(value):
    with pytest.raises(RecurrenceError, match="is not a date"):
        starts(at(2026, 1, 5, 19), exdates=[value])


def test_a_rule_yielding_millions_of_dates_is_refused_not_expanded():
    minutes = ",".join(str(minute) for minute in range(60))
    with pytest.raises(RecurrenceError, match=r"too many dates|too much work"):
        starts(at(2000, 1, 1, 0), f"FREQ=HOURLY;BYMINUTE={minutes}", cap=10)


def test_instances_are_whole_seconds_and_never_doubled_by_microseconds():
    instances = expand(
        start=at(2026, 1, 5, 19, 0, 0, 123456),
        end=at(2026, 1, 5, 21, 0, 0, 654321),
        tz=BRUSSELS,
        rule="FREQ=DAILY;COUNT=2",
        horizon=HORIZON,
        now=NOW,
        cap=10,
    )
    assert [(i.start, i.end) for i in instances] == [
        (at(2026, 1, 5, 19), at(2026, 1, 5, 21)),
        (at(2026, 1, 6, 19), at(2026, 1, 6, 21)),
    ]


def test_normalise_rule_drops_prefix_blanks_and_case():
    assert normalise_rule(" rrule:freq=weekly; byday=tu ;") == "FREQ=WEEKLY;BYDAY=TU"


# A property: for any rule, the materialised instances are exactly what dateutil yields
# (DTSTART included, EXDATEs removed) up to the horizon, each once.
WEEKDAYS = [du.MO, du.TU, du.WE, du.TH, du.FR, du.SA, du.SU]
DAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@st.composite
def rules(draw):
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]))
    parts = [f"FREQ={freq}", f"INTERVAL={draw(st.integers(1, 3))}"]
    if freq in {"WEEKLY", "MONTHLY"} and draw(st.booleans()):
        days = draw(st.lists(st.sampled_from(DAY_CODES), min_size=1, max_size=3, unique=True))
        parts.append("BYDAY=" + ",".join(days))
        if freq == "MONTHLY" and draw(st.booleans()):
            parts.append(f"BYSETPOS={draw(st.sampled_from([1, 2, -1]))}")
    if freq == "MONTHLY" and not any(p.startswith("BYDAY") for p in parts) and draw(st.booleans()):
        parts.append(f"BYMONTHDAY={draw(st.sampled_from([1, 15, 28, 31, -1]))}")
    bound = draw(st.sampled_from(["none", "count", "until"]))
    if bound == "count":
        parts.append(f"COUNT={draw(st.integers(1, 40))}")
    elif bound == "until":
        until = draw(st.dates(min_value=datetime(2026, 1, 1).date(), max_value=HORIZON.date()))
        parts.append(f"UNTIL={until:%Y%m%d}")
    return ";".join(parts)


@given(
    rule=rules(),
    start=st.datetimes(min_value=datetime(2025, 6, 1), max_value=datetime(2027, 6, 1)).map(
        lambda d: d.replace(second=0, microsecond=0)
    ),
    exclude=st.lists(st.integers(0, 30), max_size=4),
)
def test_materialised_instances_are_exactly_dateutils(rule, start, exclude):
    local_horizon = HORIZON.astimezone(BRUSSELS).replace(tzinfo=None)
    oracle_rule = du.rrulestr(
        rule.replace(rule.split("UNTIL=")[-1], rule.split("UNTIL=")[-1] + "T235959")
        if "UNTIL=" in rule
        else rule,
        dtstart=start,
    )
    if "COUNT=" in rule and oracle_rule[0] != start:
        # DTSTART counts as the first of COUNT (RFC 5545 3.3.10): one rule date fewer.
        oracle_rule = oracle_rule.replace(count=oracle_rule._count - 1)
    oracle_set = du.rruleset()
    if oracle_rule._count != 0:
        oracle_set.rrule(oracle_rule)
    oracle_set.rdate(start)
    candidates = oracle_set.between(start - timedelta(seconds=1), local_horizon, inc=True)
    exdates = sorted({candidates[i] for i in exclude if i < len(candidates)})
    for exdate in exdates:
        oracle_set.exdate(exdate)
    expected = oracle_set.between(start - timedelta(seconds=1), local_horizon, inc=True)

    instances = expand(
        start=start.replace(tzinfo=BRUSSELS),
        end=None,
        tz=BRUSSELS,
        rule=rule,
        exdates=[d.isoformat() for d in exdates],
        horizon=HORIZON,
        now=NOW,
        cap=100_000,
    )
    got = [instance.start for instance in instances]
    assert len(got) == len(set(got))
    assert got == sorted(got)
    assert got == [local.replace(tzinfo=BRUSSELS).astimezone(UTC) for local in expected]


ZONES = ["Europe/Brussels", "America/New_York", "Australia/Lord_Howe", "Asia/Tokyo"]


@given(
    zone=st.sampled_from(ZONES),
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1)),
    hour=st.integers(4, 23),
    minute=st.sampled_from([0, 15, 30, 45]),
    rule=st.sampled_from(["FREQ=DAILY;COUNT=400", "FREQ=WEEKLY;COUNT=60", "FREQ=MONTHLY;COUNT=24"]),
)
def test_every_instance_is_at_the_same_local_wall_clock_time(zone, start, hour, minute, rule):
    # From 04:00 on, no zone here has a DST gap or overlap, so every instance must show the
    # start's wall-clock time, whatever the season.
    tz = ZoneInfo(zone)
    first = start.replace(hour=hour, minute=minute, second=0, microsecond=0, tzinfo=tz)
    instances = expand(
        start=first,
        end=first + timedelta(hours=2),
        tz=tz,
        rule=rule,
        horizon=datetime(2030, 1, 1, tzinfo=UTC),
        now=NOW,
        cap=10_000,
    )
    local_clock = {i.start.astimezone(tz).strftime("%H:%M") for i in instances}
    assert local_clock == {f"{hour:02d}:{minute:02d}"}
    durations = {
        (i.end.astimezone(tz).replace(tzinfo=None) - i.start.astimezone(tz).replace(tzinfo=None))
        for i in instances
    }
    assert durations == {timedelta(hours=2)}


@example(cap=4, days_before=2, horizon_days=1)  # fewer past dates than room under the cap
@given(
    cap=st.integers(1, 60),
    days_before=st.integers(0, 80),
    horizon_days=st.integers(1, 80),
)
def test_the_cap_always_prefers_upcoming_then_recent_past(cap, days_before, horizon_days):
    start = NOW.astimezone(BRUSSELS).replace(hour=19, minute=0, second=0) - timedelta(
        days=days_before
    )
    horizon = NOW + timedelta(days=horizon_days)
    everything = expand(
        start=start, end=None, tz=BRUSSELS, rule="FREQ=DAILY", horizon=horizon, now=NOW, cap=10**6
    )
    kept = expand(
        start=start, end=None, tz=BRUSSELS, rule="FREQ=DAILY", horizon=horizon, now=NOW, cap=cap
    )
    upcoming = [i for i in everything if i.end >= NOW]
    past = [i for i in everything if i.end < NOW]
    room = cap - min(cap, len(upcoming))
    assert kept == (past[-room:] if room else []) + upcoming[:cap]


def test_an_override_moves_one_instance_and_leaves_the_rest():
    instances = expand(
        start=at(2026, 12, 1, 19),
        end=at(2026, 12, 1, 21),
        tz=BRUSSELS,
        rule="FREQ=WEEKLY;COUNT=3",
        overrides={
            "2026-12-08T19:00:00": {
                "start": "2026-12-09T20:00:00+01:00",
                "end": "2026-12-09T23:00:00+01:00",
            }
        },
        horizon=HORIZON,
        now=NOW,
        cap=10,
    )
    assert [(i.start, i.end) for i in instances] == [
        (at(2026, 12, 1, 19), at(2026, 12, 1, 21)),
        (at(2026, 12, 9, 20), at(2026, 12, 9, 23)),
        (at(2026, 12, 15, 19), at(2026, 12, 15, 21)),
    ]


def test_an_override_of_an_instance_that_does_not_exist_changes_nothing():
    moments = starts(
        at(2026, 12, 1, 19),
        "FREQ=WEEKLY;COUNT=2",
        overrides={"2026-12-02T19:00:00": {"start": "2026-12-03T19:00:00+01:00", "end": None}},
    )
    assert moments == [at(2026, 12, 1, 19), at(2026, 12, 8, 19)]


def test_an_override_onto_another_instance_is_listed_once():
    moments = starts(
        at(2026, 12, 1, 19),
        "FREQ=WEEKLY;COUNT=2",
        overrides={"2026-12-01T19:00:00": {"start": "2026-12-08T19:00:00+01:00", "end": None}},
    )
    assert moments == [at(2026, 12, 8, 19)]


def test_an_all_day_override_is_keyed_by_date():
    instances = expand(
        start=at(2026, 12, 1),
        end=at(2026, 12, 2),
        tz=BRUSSELS,
        all_day=True,
        rule="FREQ=DAILY;COUNT=2",
        overrides={"2026-12-02": {"start": "2026-12-05", "end": "2026-12-07"}},
        horizon=HORIZON,
        now=NOW,
        cap=10,
    )
    assert [(i.start, i.end) for i in instances] == [
        (at(2026, 12, 1), at(2026, 12, 2)),
        (at(2026, 12, 5), at(2026, 12, 7)),
    ]


# Rules that yield nothing (or next to nothing) make dateutil search on to the year 9999 unless
# the work, not only the dates found, is bounded (docs/security.md, finding 2).
PATHOLOGICAL_RULES = [
    "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=DAILY;BYSETPOS=366",
    "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30;BYMINUTE=" + ",".join(str(m) for m in range(60)),
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;BYHOUR=" + ",".join(str(h) for h in range(24)),
    "FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=4,6,9,11",
    "FREQ=WEEKLY;BYDAY=MO;BYMONTHDAY=31;BYMONTH=2",
]


@pytest.mark.parametrize("rule", PATHOLOGICAL_RULES)
def test_a_rule_that_never_yields_a_date_is_refused_within_the_work_budget(rule):
    with pytest.raises(RecurrenceError, match="too much work"):
        starts(at(2026, 1, 5, 19), rule)


def test_the_work_budget_counts_search_steps_not_only_dates(monkeypatch):
    from diary import recurrence

    monkeypatch.setattr(recurrence, "MAX_WORK", 1_000)
    # Twelve dates a year, but a daily search examines every day: 3 years is over 1,000 steps.
    with pytest.raises(RecurrenceError, match="too much work"):
        starts(
            at(2026, 1, 5, 19),
            "FREQ=DAILY;BYMONTHDAY=5",
            horizon=datetime(2029, 1, 1, tzinfo=UTC),
        )


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=HOURLY;INTERVAL=12",
        "FREQ=DAILY",
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU",
        "FREQ=MONTHLY;BYMONTHDAY=31",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
    ],
)
def test_ordinary_rules_fit_the_budget_even_from_decades_ago(rule):
    assert starts(at(1990, 1, 1, 10), rule, cap=2)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # Guided tours every 15 minutes, six of them.
        (
            "FREQ=MINUTELY;INTERVAL=15;COUNT=6",
            ["09:00", "09:15", "09:30", "09:45", "10:00", "10:15"],
        ),
        # Every 90 minutes, four times.
        ("FREQ=MINUTELY;INTERVAL=90;COUNT=4", ["09:00", "10:30", "12:00", "13:30"]),
        # Every 20 minutes from 9:00 to 16:40, one day.
        (
            "FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16;UNTIL=20260105T170000",
            [f"{hour:02d}:{minute:02d}" for hour in range(9, 17) for minute in (0, 20, 40)],
        ),
    ],
)
def test_minutely_rules_an_organisers_calendar_holds_are_expanded(rule, expected):
    moments = starts(at(2026, 1, 5, 9), rule, end=at(2026, 1, 5, 9, 10))
    assert [f"{moment.astimezone(BRUSSELS):%H:%M}" for moment in moments] == expected


def test_a_minutely_rule_without_end_keeps_to_the_cap_and_the_guards():
    assert len(starts(at(2026, 1, 5, 9), "FREQ=MINUTELY", cap=10)) == 10
    # Every minute since 2020: millions of dates to walk before the first upcoming one.
    with pytest.raises(RecurrenceError, match=r"too many dates|too much work"):
        starts(at(2020, 1, 5, 9), "FREQ=MINUTELY", cap=10)


def test_secondly_rules_are_refused_with_the_frequencies_allowed():
    with pytest.raises(RecurrenceError, match="MINUTELY"):
        starts(at(2026, 1, 5, 9), "FREQ=SECONDLY;COUNT=3")


def test_an_all_day_date_starts_and_ends_at_local_midnights_across_the_clock_change():
    """Both doors that take all-day dates (the form, the API) ask recurrence.midnight_of."""
    brussels = ZoneInfo("Europe/Brussels")
    afternoon = datetime(2026, 10, 25, 15, tzinfo=brussels)  # the day the clocks go back
    assert recurrence.midnight_of(afternoon, brussels) == datetime(2026, 10, 24, 22, tzinfo=UTC)
    after = recurrence.midnight_of(afternoon, brussels, days=1)
    assert after == datetime(2026, 10, 25, 23, tzinfo=UTC)  # a day of 25 hours
