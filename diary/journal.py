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

Events are recorded by the signal handlers below, whichever door saved them; bulk writers
(the demo loader, the horizon's roll) call `record` themselves. The door a change came
through is set once per request by `JournalDoorMiddleware`, and by each command (`door`).
"""

import contextlib
import contextvars
import secrets
from collections.abc import Iterable, Iterator

from django.db import transaction
from django.db.models import Max
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from common.http import API_PREFIX
from common.translation import columns
from diary.clients import shared_cache
from diary.languages import unprefixed
from diary.models import (
    Article,
    Category,
    Change,
    ChangedEvent,
    Event,
    Language,
    Tag,
)
from diary.sharing import sharing_images_forget
from venues.models import Municipality, Venue

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


# Signal handlers: every door's writes, without each door having to remember.


def event_saved(sender, instance: Event, created: bool, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    action = event_action(instance, created=created)
    if action:
        record_event(instance, action, fields=instance.changed_fields())
    instance._loaded_public = instance.is_published


def event_deleted(sender, instance: Event, **kwargs) -> None:
    if instance.was_public or instance.is_published:
        record(
            action="deleted",
            subject=f"event {instance.pk}: {instance.title}",
            events=[(instance.pk, instance.uid)],
        )


def event_relations_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs):
    """Tags, languages or stories added to or removed from events."""
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if action != "post_clear" and not pk_set:
        return
    if reverse:  # tag.events.add(...): `instance` is the tag, pk_set the events
        if pk_set:  # a reverse clear names no events
            events = Event.objects.published().filter(pk__in=pk_set)
            record(action="edited", subject=f"{instance._meta.model_name} {instance}",
                   events=events.values_list("pk", "uid"))  # fmt: skip
    elif isinstance(instance, Event) and instance.is_published:
        record_event(instance, "edited", fields=[sender._meta.model_name])


# What each kind of shown object touches: the public events that show it.
SHOWN_IN_EVENTS = {
    Venue: lambda venue: Event.objects.filter(venue=venue),
    Municipality: lambda area: Event.objects.filter(venue__municipality=area),
    Category: lambda category: Event.objects.filter(category=category),
    Tag: lambda tag: Event.objects.filter(tags=tag),
    Language: lambda language: Event.objects.filter(languages=language),
}
# The fields of each that an event's data shows (its VEVENT, its API representation): a
# change to one of these changes the events; to any other field, only pages and lists.
SHOWN_FIELDS = {
    Venue: {*columns("name", "street_address"), "slug", "postal_code", "municipality_id",
            "latitude", "longitude"},
    Municipality: {*columns("name")},
    Category: {*columns("name"), "slug"},
    Tag: {"slug"},
    Language: {"code"},
}  # fmt: skip
# Those whose names an event's search text holds (Event.search_text_refresh).
SEARCHED = (Venue, Municipality, Category)
# Those an event's sharing picture names or is coloured by (diary.sharing).
DRAWN = (Venue, Municipality, Category)
# Kept out of the comparison: bookkeeping no page shows.
UNSHOWN = {"updated", "created"}


def _values(instance) -> dict:
    return {
        field.attname: field.value_from_object(instance)
        for field in instance._meta.concrete_fields
        if field.attname not in UNSHOWN
    }


def shown_object_saving(sender, instance, raw: bool = False, **kwargs) -> None:
    """Remember whether the save changes anything shown (an unchanged save records nothing)."""
    if raw or instance.pk is None:
        instance._journal_changed = []
        return
    stored = sender._default_manager.filter(pk=instance.pk).first()
    before = _values(stored) if stored else {}
    after = _values(instance)
    instance._journal_changed = [name for name in after if before.get(name) != after[name]]


def shown_object_saved(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """A venue, area, category, tag or language was added (its lists change) or changed
    (the public events that show it change too)."""
    changed = getattr(instance, "_journal_changed", [])
    if raw or not (created or changed):
        return
    subject = f"{sender._meta.model_name} {instance.pk}: {instance}"
    if created:
        record(action="created", subject=subject)
        return
    if not SHOWN_FIELDS[sender].intersection(changed):
        record(action="edited", subject=subject, fields=changed)
        return
    events = SHOWN_IN_EVENTS[sender](instance)
    record(
        action="edited",
        subject=subject,
        events=events.published().values_list("pk", "uid"),
        fields=changed,
    )
    events.exclude(**Event.UNRENDERED).update(**Event.UNRENDERED)  # the unpublished ones' texts too
    if sender in SEARCHED:
        search_texts_refresh(events)
    if sender in DRAWN:
        sharing_images_forget(events)


def shown_object_deleting(sender, instance, **kwargs) -> None:
    """Deleted: its events lose it (a tag or a language; venues, areas and categories in
    use are protected)."""
    events = SHOWN_IN_EVENTS[sender](instance).published()
    record(action="deleted", subject=f"{sender._meta.model_name} {instance.pk}: {instance}",
           events=events.values_list("pk", "uid"))  # fmt: skip


def search_texts_refresh(events) -> None:
    """Write the search text of `events` again, in batches (their venue, area or category
    was renamed)."""
    named = events.select_related("venue__municipality", "category").only(
        *columns("title", "summary"),
        "search_text",
        *(
            f"{related}__{column}"
            for related in ("venue", "venue__municipality", "category")
            for column in columns("name")
        ),
    )
    batch = []
    for event in named.iterator(chunk_size=BATCH):
        event.search_text_refresh()
        batch.append(event)
        if len(batch) == BATCH:
            Event.objects.bulk_update(batch, ["search_text"])
            batch = []
    Event.objects.bulk_update(batch, ["search_text"])


def story_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    """Stories show on event and tag pages, not in events' data: the version moves."""
    if not raw:
        record(action="edited", subject=f"article {instance.pk}: {instance}")


def stories_tagged(sender, instance, action: str, **kwargs) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        record(action="edited", subject=f"article tags: {instance}")


def connect() -> None:
    post_save.connect(event_saved, sender=Event, dispatch_uid="journal-event")
    post_delete.connect(event_deleted, sender=Event, dispatch_uid="journal-event-d")
    for relation in (
        Event.tags.through,
        Event.languages.through,
        Event.related_articles.through,
        Event.excluded_articles.through,
    ):
        m2m_changed.connect(
            event_relations_changed, sender=relation, dispatch_uid=f"journal-{relation}"
        )
    for model in SHOWN_IN_EVENTS:
        uid = f"journal-{model.__name__}"
        pre_save.connect(shown_object_saving, sender=model, dispatch_uid=uid)
        post_save.connect(shown_object_saved, sender=model, dispatch_uid=uid)
        pre_delete.connect(shown_object_deleting, sender=model, dispatch_uid=uid)
    post_save.connect(story_changed, sender=Article, dispatch_uid="journal-article")
    post_delete.connect(story_changed, sender=Article, dispatch_uid="journal-article-d")
    m2m_changed.connect(stories_tagged, sender=Article.tags.through, dispatch_uid="journal-a-t")
