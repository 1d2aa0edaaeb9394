"""What events show (venues, areas, categories, tags, languages) and the magazine's stories:
their writes. Each service records its write in the change journal, and refreshes what the
write touches: the public events that show a renamed venue, area or category get their
VEVENTs rendered anew, their search text rewritten and their sharing cards forgotten until
they are drawn again. Every door calls these: the admin (through `diary.admin.RecordedAdmin`),
the demo loader, the import of stories.
"""

from django.db import models, transaction

from common.translation import columns
from diary import journal
from diary.models import Article, Category, Event, Language, Tag
from diary.sharing import sharing_images_forget
from venues.models import Municipality, Venue

# What each kind of shown object touches: the events that show it.
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
# Those an event's sharing card names or is coloured by (diary.sharing).
DRAWN = (Venue, Municipality, Category)
# Kept out of the comparison: bookkeeping no page shows.
UNSHOWN = {"updated", "created"}


def _values(obj: models.Model) -> dict:
    return {
        field.attname: field.value_from_object(obj)
        for field in obj._meta.concrete_fields
        if field.attname not in UNSHOWN
    }


def _subject(obj: models.Model) -> str:
    return f"{obj._meta.model_name} {obj.pk}: {obj}"


def shown_save(*, obj: models.Model) -> models.Model:
    """Save a venue, area, category, tag or language, and record it: a new one changes the
    lists; a changed one, the public events that show it too when it changed what their
    data shows (which are rendered, searched and drawn anew). A save that changes nothing
    records nothing."""
    model = type(obj)
    stored = model._default_manager.filter(pk=obj.pk).first() if obj.pk is not None else None
    before = _values(stored) if stored else {}
    with transaction.atomic():
        obj.save()
        if stored is None:
            journal.record(action="created", subject=_subject(obj))
            return obj
        changed = [name for name, value in _values(obj).items() if before.get(name) != value]
        if not changed:
            return obj
        if not SHOWN_FIELDS[model].intersection(changed):
            journal.record(action="edited", subject=_subject(obj), fields=changed)
            return obj
        events = SHOWN_IN_EVENTS[model](obj)
        journal.record(
            action="edited",
            subject=_subject(obj),
            events=events.published().values_list("pk", "uid"),
            fields=changed,
        )
        events.exclude(**Event.UNRENDERED).update(**Event.UNRENDERED)  # unpublished ones too
        if model in SEARCHED:
            search_texts_refresh(events)
        if model in DRAWN:
            sharing_images_forget(events)
    return obj


def shown_get_or_create(model: type[models.Model], *, defaults: dict, **lookup):
    """The `model` row that `lookup` finds, or a new one saved with `defaults` through
    `shown_save`; and whether it is new."""
    found = model._default_manager.filter(**lookup).first()
    if found is not None:
        return found, False
    return shown_save(obj=model(**lookup, **defaults)), True


def shown_delete(*, obj: models.Model) -> None:
    """Delete a tag or a language (venues, areas and categories in use are protected): the
    public events that showed it lose it."""
    subject = _subject(obj)
    with transaction.atomic():
        shown_in = list(SHOWN_IN_EVENTS[type(obj)](obj).published().values_list("pk", "uid"))
        obj.delete()  # first: a protected one raises before anything is recorded
        journal.record(action="deleted", subject=subject, events=shown_in)


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
    for event in named.iterator(chunk_size=journal.BATCH):
        event.search_text_refresh()
        batch.append(event)
        if len(batch) == journal.BATCH:
            Event.objects.bulk_update(batch, ["search_text"])
            batch = []
    Event.objects.bulk_update(batch, ["search_text"])


def article_save(*, article: Article, tags=None) -> Article:
    """Save a story (and set its tags, when given): stories show on event and tag pages,
    not in events' data, so the data version moves and no event is touched."""
    with transaction.atomic():
        article.save()
        if tags is not None:
            article.tags.set(tags)
        article_recorded(article=article)
    return article


def article_recorded(*, article: Article) -> None:
    """A story changed (its tags set by the admin's form, after `article_save`)."""
    journal.record(action="edited", subject=f"article {article.pk}: {article}")


def article_delete(*, article: Article) -> None:
    with transaction.atomic():
        journal.record(action="edited", subject=f"article {article.pk}: {article}")
        article.delete()
