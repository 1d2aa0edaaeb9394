"""The change journal: one append-only row for every write a reader could notice.

A write is noticeable when it changes what a page, the API or a feed shows: an event that
is (or was) public is created, published, edited, cancelled, withdrawn or deleted; a venue,
area, category, tag or language that such events show changes; a story changes. Each
appends one `Change` in the writer's transaction, with the events it touches
(`ChangedEvent`), and stamps those events (`Event.last_change`, `Event.changed`). From the
journal, and nothing else, come:

- the data version that keys the response cache (`data_version`);
- the validators of feeds and API answers (an event's `last_change` and `changed`), so a
  category rename reaches calendar apps and a conditional GET stays one aggregate query;
- the API's delta sync (`/api/v1/events/?updated_since=…`), tombstones included.

Each write is recorded by the service that makes it (diary.services for events, diary.catalogue
for what events show and the stories), whichever door called it; bulk writers (the demo
loader, the horizon's roll) call `record` themselves. The door a change came
through is set once per request by `JournalDoorMiddleware`, and by each command (`door`).
"""

import contextlib
import contextvars
import secrets
from collections.abc import Iterable, Iterator

from django.db import transaction
from django.db.models import Max

from common.http import API_PREFIX
from diary.clients import shared_cache
from diary.languages import unprefixed
from diary.models import Change, ChangedEvent, Event

VERSION_KEY = "diary:data-version"
BATCH = 1000
# The events whose VEVENT texts a change renders again once it commits, in every language
# (about 2 ms an event); a larger change (a category of thousands renamed) leaves them to
# the feeds that read them, rather than make its editor wait.
RENDER_AT_ONCE = 1000

_door: contextvars.ContextVar[str] = contextvars.ContextVar("journal_door", default="system")
_together: contextvars.ContextVar[set[int] | None] = contextvars.ContextVar(
    "journal_together", default=None
)

# The doors, by the path a request came to (the first prefix that matches).
PATH_DOORS = (
    (API_PREFIX, "api"),
    ("/admin/", "admin"),
    ("/submit/manage/", "manage"),
    ("/submit/", "form"),
)


@contextlib.contextmanager
def door(name: str) -> Iterator[None]:
    """Changes made inside are journalled as coming through `name` (a command, a test)."""
    token = _door.set(name)
    try:
        yield
    finally:
        _door.reset(token)


class JournalDoorMiddleware:
    """Names the door of each request's writes after its path."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = unprefixed(request.path_info)  # /fr/submit/ is the form too
        name = next((name for prefix, name in PATH_DOORS if path.startswith(prefix)), "web")
        with door(name):
            return self.get_response(request)


def data_version() -> str:
    """The journal's last row, as the response cache's key (kept in the shared cache, so
    one lookup serves a request; read from the journal when the cache lost it)."""
    version = shared_cache.get(VERSION_KEY)
    if version is None:
        version = str(Change.objects.aggregate(last=Max("id"))["last"] or 0)
        shared_cache.add(VERSION_KEY, version, None)
        version = shared_cache.get(VERSION_KEY, version)
    return version


def _version_set(value: str) -> None:
    shared_cache.set(VERSION_KEY, value, None)


def record(
    *,
    action: str,
    subject: str,
    events: Iterable[tuple[int, str]] = (),
    fields: Iterable[str] = (),
) -> Change:
    """Append one change touching `events` (pairs of id and UID), in the current transaction.

    The events' stored VEVENT text is cleared (it names what changed), and rendered again
    once the change commits (up to RENDER_AT_ONCE events); they are stamped with this
    change. The cache's data version moves now, and again when the transaction
    commits: a reader between the two could otherwise store the old data under the new
    version.
    """
    with transaction.atomic():
        change = Change.objects.create(
            action=action, door=_door.get(), subject=subject[:300], fields=sorted(fields)
        )
        touched = list(dict(events).items())
        for start in range(0, len(touched), BATCH):
            batch = touched[start : start + BATCH]
            ChangedEvent.objects.bulk_create(
                ChangedEvent(change=change, event_pk=pk, uid=uid, at=change.at) for pk, uid in batch
            )
            Event.objects.filter(pk__in=[pk for pk, _uid in batch]).update(
                last_change=change, changed=change.at, **Event.UNRENDERED
            )
    # Never seen before, even when the change rolls back and its id is used again (SQLite
    # hands out a rolled-back id anew): nothing stored under it can be served later.
    _version_set(f"{change.pk}-pending-{secrets.token_hex(4)}")
    transaction.on_commit(lambda: _version_set(str(change.pk)))
    together = _together.get()
    if together is not None:
        together.update(pk for pk, _uid in touched)
    elif touched and len(touched) <= RENDER_AT_ONCE:
        transaction.on_commit(lambda: texts_render([pk for pk, _uid in touched]))
    return change


@contextlib.contextmanager
def rendered_together(*, at_most: int | None = None) -> Iterator[None]:
    """The changes made inside (an import: one transaction per event) render their events'
    texts together when it ends, as one change would: in batches, or not at all when they
    are more than `at_most` (RENDER_AT_ONCE; the feeds render them)."""
    touched: set[int] = set()
    token = _together.set(touched)
    try:
        yield
    finally:
        _together.reset(token)
    if touched and len(touched) <= (RENDER_AT_ONCE if at_most is None else at_most):
        texts_render(sorted(touched))


def texts_render(ids: list[int]) -> None:
    """Render and store the VEVENT texts the published events of `ids` lack, in every
    language (feeds.ical.texts_render)."""
    from feeds.ical import texts_render  # feeds build on the diary, not the other way

    texts_render(ids)


def record_event(event: Event, action: str, fields: Iterable[str] = ()) -> None:
    """One event's change; it is stamped in memory too, so a later save keeps the stamp."""
    change = record(action=action, subject=f"event {event.pk}: {event.title}",
                    events=[(event.pk, event.uid)], fields=fields)  # fmt: skip
    event.last_change, event.changed = change, change.at
    event.forget_rendered()


def event_action(event: Event, *, created: bool) -> str | None:
    """What a save did, as a reader sees it; None when no reader could notice (an event
    that is not public and was not)."""
    was_public = not created and event.was_public
    if not (was_public or event.is_published):
        return None
    if not was_public:
        return "published"
    if not event.is_published:
        return "withdrawn"
    if "status" in event.changed_fields(("status",)):
        return "cancelled" if event.status == Event.Status.CANCELLED else "status"
    return "edited"


# What the services call once a write is made (the journal knows what a reader notices).


def event_recorded(event: Event, *, created: bool) -> None:
    """An event was saved (services.event_save): recorded when a reader could notice."""
    action = event_action(event, created=created)
    if action:
        record_event(event, action, fields=event.changed_fields())
    event._loaded_public = event.is_published


def event_delete_recorded(event: Event) -> None:
    """An event is being deleted (services.event_delete): recorded if a reader saw it."""
    if event.was_public or event.is_published:
        record(action="deleted", subject=f"event {event.pk}: {event.title}",
               events=[(event.pk, event.uid)])  # fmt: skip
