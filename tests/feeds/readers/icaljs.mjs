// Mozilla's ical.js (the parser of Thunderbird, Nextcloud Calendar and FullCalendar's
// iCalendar plugin) as a reader of our feeds: reads iCalendar text on standard input and
// prints, as JSON, every instance it expands between argv[2] and argv[3] (UTC, ISO 8601):
// [{"uid", "start", "end", "allDay", "status"}], times in UTC ("...Z"), all-day dates bare.
// Each VEVENT's zone comes from the calendar's own VTIMEZONEs, never from a built-in table.
import ICAL from "ical.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const calendar = new ICAL.Component(ICAL.parse(Buffer.concat(chunks).toString("utf8")));
const from = ICAL.Time.fromDateTimeString(process.argv[2]);
const until = ICAL.Time.fromDateTimeString(process.argv[3]);
from.zone = until.zone = ICAL.Timezone.utcTimezone;

for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(vtimezone);
}

const shown = (time) =>
  time.isDate ? time.toString() : time.convertToZone(ICAL.Timezone.utcTimezone).toString();

const masters = new Map();
const exceptions = [];
for (const vevent of calendar.getAllSubcomponents("vevent")) {
  const event = new ICAL.Event(vevent);
  if (event.isRecurrenceException()) exceptions.push(event);
  else masters.set(event.uid, event);
}
for (const exception of exceptions) masters.get(exception.uid)?.relateException(exception);

const instances = [];
for (const event of masters.values()) {
  const status = (event.component.getFirstPropertyValue("status") || "").toUpperCase();
  if (!event.isRecurring()) {
    // As clients show a single event: its own DTSTART and DTEND. (For an instance of a
    // rule, getOccurrenceDetails adds the elapsed length to the wall-clock start: an
    // instance across a change of the clocks ends an hour off; docs/interop.md.)
    const [start, end] = [event.startDate, event.endDate];
    if (end.compare(from) > 0 && start.compare(until) < 0) {
      instances.push({ uid: event.uid, start: shown(start), end: shown(end), allDay: start.isDate, status });
    }
    continue;
  }
  const iterator = event.iterator();
  for (let next = iterator.next(); next; next = iterator.next()) {
    const details = event.getOccurrenceDetails(next);
    if (next.compare(until) >= 0 && details.startDate.compare(until) >= 0) break;
    if (details.endDate.compare(from) <= 0 || details.startDate.compare(until) >= 0) continue;
    instances.push({
      uid: event.uid,
      start: shown(details.startDate),
      end: shown(details.endDate),
      allDay: details.startDate.isDate,
      status,
    });
  }
}
process.stdout.write(JSON.stringify(instances));
