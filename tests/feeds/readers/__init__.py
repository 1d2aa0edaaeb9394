"""Three independent readers of iCalendar, as calendar clients read our feeds.

- icalendar + recurring-ical-events: the Python library that writes the feed, and the
  expansion most Python clients use;
- Mozilla's ical.js (npm, run by Node): Thunderbird's, Nextcloud Calendar's and
  FullCalendar's parser (icaljs.mjs);
- vobject + python-dateutil: another Python parser, with dateutil's own time zones built
  from the file's VTIMEZONE.

Each expands a calendar into its instances: (UID, start, end), times in UTC, all-day dates
as dates (end exclusive). Each reads the zones from the file's VTIMEZONE, never from a
table of its own, so a definition one of them misreads shows.
"""

import json
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import icalendar
import recurring_ical_events
import vobject
import vobject.icalendar

NODE_READER = Path(__file__).with_name("icaljs.mjs")


class Instance(NamedTuple):
    uid: str
    start: datetime | date
    end: datetime | date


def _moment(value) -> datetime | date:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return value


def icalendar_reader(data: bytes, start: datetime, end: datetime) -> set[Instance]:
    calendar = icalendar.Calendar.from_ical(data)
    return {
        Instance(
            str(component["UID"]),
            _moment(component.decoded("DTSTART")),
            _moment(component.decoded("DTEND")),
        )
        for component in recurring_ical_events.of(calendar).between(start, end)
    }


def icaljs_reader(data: bytes, start: datetime, end: datetime) -> set[Instance]:
    result = subprocess.run(
        ["node", str(NODE_READER), _utc_text(start), _utc_text(end)],
        input=data,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return {
        Instance(item["uid"], _parsed(item["start"]), _parsed(item["end"]))
        for item in json.loads(result.stdout)
    }


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _parsed(text: str) -> datetime | date:
    if "T" not in text:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text).astimezone(UTC)


def vobject_reader(data: bytes, start: datetime, end: datetime) -> set[Instance]:
    # vobject keeps the zones it has read for the process: each file is read with its own.
    vobject.icalendar.__dict__["__tzidMap"].clear()
    calendar = vobject.readOne(data.decode())
    masters, moved = {}, {}
    for vevent in calendar.contents.get("vevent", []):
        uid = vevent.uid.value
        if hasattr(vevent, "recurrence_id"):
            moved[(uid, _moment(vevent.recurrence_id.value))] = vevent
        else:
            masters[uid] = vevent
    instances = set()
    for uid, vevent in masters.items():
        first = vevent.dtstart.value
        length = _length(vevent)
        for occurrence in _dates(vevent, start - length - timedelta(days=1), end):
            if not isinstance(first, datetime) and isinstance(occurrence, datetime):
                occurrence = occurrence.date()
            shown = moved.get((uid, _moment(occurrence)))
            if shown is not None:
                occurrence, instance_length = shown.dtstart.value, _length(shown)
            else:
                instance_length = length
            if _within(occurrence, instance_length, start, end):
                instances.add(
                    Instance(uid, _moment(occurrence), _moment(occurrence + instance_length))
                )
    return instances


def _dates(vevent, start: datetime, end: datetime) -> list:
    """The dates of a VEVENT's rule and RDATEs (dateutil's rruleset) from start to end."""
    first = vevent.dtstart.value
    rules = vevent.getrruleset(addRDate=True)
    if rules is None:
        return [first]
    if not isinstance(first, datetime) or first.tzinfo is None:  # dates come as naive times
        start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    return rules.between(start, end, inc=True)


def _length(vevent) -> timedelta:
    if hasattr(vevent, "dtend"):
        return vevent.dtend.value - vevent.dtstart.value
    if hasattr(vevent, "duration"):
        return vevent.duration.value
    return timedelta(days=1) if not isinstance(vevent.dtstart.value, datetime) else timedelta(0)


def _within(occurrence, length: timedelta, start: datetime, end: datetime) -> bool:
    if isinstance(occurrence, datetime):
        return occurrence < end and occurrence + length > start
    return occurrence < end.date() and occurrence + length > start.date()


def _some(instances: set[Instance]) -> str:
    shown = sorted(instances, key=lambda instance: (instance.uid, str(instance.start)))
    return f"{len(shown)}: " + "; ".join(
        f"{instance.uid[:8]} {instance.start} to {instance.end}" for instance in shown[:4]
    )


READERS = {
    "icalendar": icalendar_reader,
    "ical.js": icaljs_reader,
    "vobject": vobject_reader,
}


def read_alike(
    data: bytes, start: datetime, end: datetime, *, misread: dict[str, set[str]] | None = None
) -> set[Instance]:
    """The instances every reader expands from `data` between `start` and `end`; fails,
    naming the readers that disagree and how, when one reads them otherwise. `misread`
    names, per reader, the UIDs a known defect of that reader expands wrongly
    (docs/interop.md): they are left out of its comparison, and must still differ, so the
    exception ends the day the reader is fixed."""
    misread = misread or {}
    readings = {name: reader(data, start, end) for name, reader in READERS.items()}
    reference = readings["icalendar"]
    differences = {}
    for name, reading in readings.items():
        skipped = misread.get(name, set())
        kept = {instance for instance in reading if instance.uid not in skipped}
        expected = {instance for instance in reference if instance.uid not in skipped}
        if kept != expected:
            differences[name] = {
                "only in icalendar": _some(expected - kept),
                f"only in {name}": _some(kept - expected),
            }
        for uid in skipped:
            mine = {instance for instance in reading if instance.uid == uid}
            if mine == {instance for instance in reference if instance.uid == uid}:
                differences[name] = f"{uid} now reads right: remove it from `misread`"
    assert not differences, differences
    return reference
