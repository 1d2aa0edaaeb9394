"""Every write to the diary that follows a rule.

Every door calls these and holds no rule of its own: the submission form and the manage
link (diary.submissions), the API (diary.api), the admin's form, buttons and actions, the
iCal importer (feeds.importers), the demo city (diary.demo) and the commands. None of them
saves an Event by hand. Each write a reader could notice is journalled (diary.journal).
"""

import contextlib
import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext

from common.translation import CODES, columns
from diary import duplicates, journal, recurrence, sharing
from diary.clients import shared_cache, window_count
from diary.images import image_delete
from diary.models import Event, Occurrence, Organiser, new_uid
from diary.text import mail_subject, one_line

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MaterialiseResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0

    def __add__(self, other: "MaterialiseResult") -> "MaterialiseResult":
        return MaterialiseResult(
            self.created + other.created,
            self.updated + other.updated,
            self.deleted + other.deleted,
        )


SLUG_CANDIDATES = 20  # asked for at once: "concert", "concert-2"… "concert-20"


def unique_slug(
    model: type[models.Model],
    text: str,
    *,
    exclude_pk: int | None = None,
    reserved: set[str] = frozenset(),
) -> str:
    """slugify(text), with -2, -3… appended when it is taken (or `reserved`, by a batch
    about to be inserted). Asks for the candidates by name (the unique index answers), never
    for every slug that starts alike: that scan grew with the table, one per event of an
    import."""
    field = model._meta.get_field("slug")
    base = slugify(text)[: field.max_length - 8].strip("-") or model._meta.model_name
    rows = model._default_manager.exclude(pk=exclude_pk)
    first = 1
    while True:
        wanted = [base if n == 1 else f"{base}-{n}" for n in range(first, first + SLUG_CANDIDATES)]
        taken = reserved | set(rows.filter(slug__in=wanted).values_list("slug", flat=True))
        free = next((slug for slug in wanted if slug not in taken), None)
        if free:
            return free
        first += SLUG_CANDIDATES


def occurrence_instances(*, event: Event, now: datetime | None = None) -> list[recurrence.Instance]:
    """The dates to store for an event: up to its horizon, at most DIARY_MAX_OCCURRENCES."""
    return event.stored_instances(now)


@transaction.atomic
def occurrences_materialise(*, event: Event, now: datetime | None = None) -> MaterialiseResult:
    """Make the event's Occurrence rows match its dates up to the horizon.

    Rows that stay keep their primary key (links to an occurrence survive an edit elsewhere in
    the event); rows no longer wanted are deleted, new ones bulk-created.
    """
    wanted = {instance.start: instance for instance in occurrence_instances(event=event, now=now)}
    existing = {occurrence.start: occurrence for occurrence in event.occurrences.all()}

    stale = [occurrence.pk for start, occurrence in existing.items() if start not in wanted]
    changed = []
    for start, occurrence in existing.items():
        instance = wanted.get(start)
        if instance and (occurrence.end, occurrence.all_day) != (instance.end, event.all_day):
            occurrence.end, occurrence.all_day = instance.end, event.all_day
            occurrence.is_run = Occurrence.is_run_of(start, instance.end)
            changed.append(occurrence)
    new = [
        _occurrence(event, instance) for start, instance in wanted.items() if start not in existing
    ]
    if stale:
        Occurrence.objects.filter(pk__in=stale).delete()
    if changed:
        Occurrence.objects.bulk_update(changed, ["end", "all_day", "is_run"])
    Occurrence.objects.bulk_create(new)
    return MaterialiseResult(created=len(new), updated=len(changed), deleted=len(stale))


def _occurrence(event: Event, instance) -> Occurrence:
    """The row of one of `event`'s dates (an instance of its expansion)."""
    return Occurrence(
        event=event,
        start=instance.start,
        end=instance.end,
        all_day=event.all_day,
        is_run=Occurrence.is_run_of(instance.start, instance.end),
        published=event.is_published,
        category_id=event.category_id,
    )


SLUG_ATTEMPTS = 5


def _save_with_unique_slug(event: Event) -> None:
    """Save, giving a new event the first free slug of its title. Two organisers sending the
    same title at once both find it free: the second insert fails on the unique index, and
    is tried again (in a savepoint) with the next free one, then with a random suffix."""
    if event.slug:
        event.save()
        return
    for attempt in range(SLUG_ATTEMPTS):
        event.slug = unique_slug(Event, event.own_title, exclude_pk=event.pk)
        if attempt == SLUG_ATTEMPTS - 1:
            event.slug = f"{event.slug[:190]}-{secrets.token_hex(3)}"
        try:
            with transaction.atomic():
                event.save()
            return
        except IntegrityError:
            if Event.objects.filter(slug=event.slug).exclude(pk=event.pk).exists():
                continue  # taken meanwhile: the next free one
            raise
    raise IntegrityError(f"no free slug for {event.own_title!r}")


def _stamp_published(event: Event, now: datetime | None) -> None:
    if event.is_published and event.published_at is None:
        event.published_at = now or timezone.now()


@transaction.atomic
def events_bulk_create(batch: list[tuple[Event, list, list]], *, now: datetime) -> int:
    """Insert new events with their tags and languages, in bulk (the demo city): the same
    preparation, publication stamp, dates and journal as `event_save`, a thousand at once."""
    events = [event for event, _tags, _languages in batch]
    for event in events:
        _stamp_published(event, now)
        event.prepare_to_store()
    Event.objects.bulk_create(events)
    Occurrence.objects.bulk_create(
        (
            _occurrence(event, instance)
            for event in events
            for instance in occurrence_instances(event=event, now=now)
        ),
        batch_size=5000,
    )
    Event.tags.through.objects.bulk_create(
        Event.tags.through(event_id=event.pk, tag_id=tag.pk)
        for event, tags, _ in batch
        for tag in tags
    )
    Event.languages.through.objects.bulk_create(
        Event.languages.through(event_id=event.pk, language_id=language.pk)
        for event, _, languages in batch
        for language in languages
    )
    journal.record(
        action="published",
        subject=f"{len(events)} events",
        events=[(event.pk, event.uid) for event in events if event.is_published],
    )
    return len(events)


@transaction.atomic
def event_save(*, event: Event, now: datetime | None = None) -> Event:
    """Save an event the way every door must: unique slug, sequence, occurrences.

    The sequence rises when anything a calendar app shows changes (time, place, status,
    title), so subscribed calendars replace their copy (RFC 5545 3.8.7.4).
    """
    adding = event._state.adding
    changed = event.changed_fields()
    if not adding and changed:
        event.sequence += 1
    _stamp_published(event, now)
    _save_with_unique_slug(event)
    journal.event_recorded(event, created=adding)
    if adding or changed & set(Event.DATE_FIELDS):
        occurrences_materialise(event=event, now=now)
    sharing.sharing_image_refresh(event)
    event.mark_saved()
    return event


class CalledOff(Exception):
    """Its organiser cancelled this submission before it was published (Event.is_called_off):
    it is not published."""


@transaction.atomic
def event_delete(*, event: Event) -> None:
    """Delete an event (the admin's delete, which no organiser is told of): a reader who saw
    it learns it is gone (delta sync's tombstone)."""
    journal.event_delete_recorded(event)
    event.delete()


def event_relations_set(*, event: Event, **relations) -> None:
    """Set an event's tags, languages or stories (`relations`: each name with its objects),
    and record what changed of a public one."""
    with relations_changed(event, list(relations)) as changed:
        for name, objects in relations.items():
            getattr(event, name).set(objects)
    event_relations_recorded(event=event, names=changed)


@contextlib.contextmanager
def relations_changed(obj: models.Model, names: list[str]) -> Iterator[list[str]]:
    """The many-to-many relations among `names` of `obj` whose rows the block changed
    (filled in when it ends): a `set` that keeps the same rows records nothing."""

    def held() -> dict[str, set[int]]:
        return {name: set(getattr(obj, name).values_list("pk", flat=True)) for name in names}

    before, changed = held(), []
    yield changed
    after = held()
    changed.extend(name for name in names if after[name] != before[name])


def event_relations_recorded(*, event: Event, names: list[str]) -> None:
    """The relations `names` of `event` changed (set by `event_relations_set`, or by the
    admin's form): a public event's readers see it."""
    if names and event.is_published:
        journal.record_event(event, "edited", fields=names)


def event_publish(*, event: Event, now: datetime | None = None) -> Event:
    """Make a pending (or rejected) event public, or apply the pending change of a published
    one, and tell its organiser. A submission called off is not published: CalledOff."""
    if event.is_called_off:
        raise CalledOff(event.pk)
    was_public = event.is_published
    changed = event.pending_change is not None
    with transaction.atomic():
        if changed:
            event = event_change_approve(event=event)
        event.publication_state = Event.PublicationState.PUBLISHED
        event.rejection_reason = ""
        event = event_save(event=event, now=now)
    if not was_public or changed:
        organiser_notify(event=event, template="published")
    return event


def event_reject(*, event: Event, reason: str = "") -> Event:
    """Keep an event out of every public door, or, for a published event with a pending
    change, keep the published version and drop the change; its organiser is told why."""
    event.rejection_reason = reason
    if event.is_published and event.pending_change is not None:
        # Nothing public changes: only these columns (no journal row, no new `updated`).
        proposed_image_forget(event.pending_change, keep={event.image.name})
        event.pending_change = None
        Event.objects.filter(pk=event.pk).update(pending_change=None, rejection_reason=reason)
        organiser_notify(event=event, template="change_rejected")
        return event
    event.publication_state = Event.PublicationState.REJECTED
    event = event_save(event=event)
    organiser_notify(event=event, template="rejected")
    return event


def duplicate_flag(*, event: Event, known: Event | None = None) -> list[Event]:
    """Find a saved event's likely duplicates and record the likeliest for the editors
    (unless one of them said it is none); `known` is one it repeats whatever its text (an
    import's event that names another's UID), recorded when nothing likelier is found.
    Only that column is written: nothing public changes. Returns them all, most similar
    first."""
    if event.not_duplicate:
        return []
    suspects = duplicates.likely_duplicates(event) or ([known] if known else [])
    likeliest = suspects[0] if suspects else None
    if event.duplicate_of_id != (likeliest.pk if likeliest else None):
        event.duplicate_of = likeliest
        Event.objects.filter(pk=event.pk).update(duplicate_of=likeliest)
    return suspects


def duplicate_suspect(event: Event) -> Event | None:
    """The listed event this one likely repeats; None when there is none, or when it was
    rejected since (nothing left to merge into)."""
    other = event.duplicate_of
    if other is None or other.publication_state == Event.PublicationState.REJECTED:
        return None
    return other


def duplicate_merge(*, event: Event) -> Event:
    """Resolve a suspected duplicate as one event: the published one stays, with its UID
    (calendars that hold it keep it); of two published or two unpublished ones, the older.
    The other is rejected as its duplicate, its organiser told which one stays. Returns the
    one kept."""
    other = duplicate_suspect(event)
    if other is None:
        raise ValueError("This event is no longer suspected to repeat a listed one.")
    pair = (event, other)
    published = [item for item in pair if item.is_published]
    if len(published) == 1:
        kept = published[0]
    else:
        kept = min(pair, key=lambda item: (item.published_at or item.created, item.pk))
    dropped = other if kept is event else event
    with transaction.atomic():
        Event.objects.filter(pk=kept.pk).update(duplicate_of=None)
        Event.objects.filter(pk=dropped.pk).update(duplicate_of=kept)
        kept.duplicate_of, dropped.duplicate_of = None, kept
        # A change to it would be a change to a duplicate: it goes, with its image.
        proposed_image_forget(dropped.pending_change, keep={dropped.image.name})
        dropped.pending_change = None
        event_reject(event=dropped, reason=_duplicate_reason(kept, dropped))
    return kept


def _duplicate_reason(kept: Event, dropped: Event) -> str:
    """Why `dropped` is rejected, in its organiser's language, for the mail and its manage
    page: the event that stays is named only once it is public (an unpublished one is
    another organiser's, and nobody else's to read)."""
    with translation.override(dropped.text_language):
        if not kept.is_published:
            return gettext(
                "A duplicate of another event sent to the agenda, which an editor keeps instead."
            )
        return gettext("A duplicate of “%(title)s”, which stays in the agenda: %(url)s") % {
            "title": kept.title,
            "url": settings.SITE_URL + kept.get_absolute_url(),
        }


def duplicate_dismiss(*, event: Event) -> Event:
    """An editor's word that the event is no duplicate: the suspicion goes, for good."""
    event.duplicate_of, event.not_duplicate = None, True
    Event.objects.filter(pk=event.pk).update(duplicate_of=None, not_duplicate=True)
    return event


def event_pick(*, event: Event, pick: bool = True, reasons: dict[str, str] | None = None) -> Event:
    """An editor's pick, or no longer one: the agenda opens with the picks of its selection
    in the weeks they are on, each with why it was picked (`reasons`, by language: those
    given replace the event's). Only the admin calls this; no organiser's door sets it, and
    calendars are not told (the sequence stays)."""
    event.is_pick = pick
    for code, reason in (reasons or {}).items():
        if code in CODES and reason.strip():
            setattr(event, f"pick_reason_{code}", one_line(reason)[:200])
    return event_save(event=event)


def event_cancel(*, event: Event) -> Event:
    """Mark an event cancelled. It stays listed, so subscribers learn it is off."""
    event.status = Event.Status.CANCELLED
    return event_save(event=event)


def event_reinstate(*, event: Event) -> Event:
    """Undo a cancellation: the event is on again, and calendars are told (the sequence
    rises with the status)."""
    event.status = Event.Status.SCHEDULED
    return event_save(event=event)


class StatusChangesSpent(Exception):
    """An event's manage link has changed its status as often as an hour allows."""


QUICK_UNDO = timedelta(minutes=10)


def event_status_by_link(*, event: Event, cancelled: bool) -> Event:
    """Cancel or reinstate an event through its manage link, which whoever holds the link
    can press (the unproven one too). Each change is a journal row, a new data version (the
    whole response cache) and a flip in subscribed calendars, so an event takes at most
    DIARY_MANAGE_STATUS_PER_HOUR of them an hour from the first (diary.clients.window_count);
    beyond that, StatusChangesSpent. Asking for the status it has changes and counts nothing.

    An undo within QUICK_UNDO of the link's last change, nothing else having changed since,
    is allowed at once (a mistaken cancel is put right now, not later) but shares that
    change's sequence instead of raising it again: a calendar that fetched the change sees
    the same SEQUENCE with a later DTSTAMP (the event's `modified`), which orders it after
    (RFC 5546 2.1.5); one that did not sees what it had, one number up. Refusing the undo
    would keep a wrong status in every calendar for the window.
    """
    status = Event.Status.CANCELLED if cancelled else Event.Status.SCHEDULED
    if event.status == status:
        return event
    if window_count(f"manage:status:{event.pk}", seconds=3600).count > (
        settings.DIARY_MANAGE_STATUS_PER_HOUR
    ):
        raise StatusChangesSpent(event.pk)
    last_key = f"manage:status:last:{event.pk}"
    undo = shared_cache.get(last_key) == event.sequence
    if undo:
        event.sequence -= 1  # event_save raises it again, to the change's own number
    event.status = status
    event = event_save(event=event)
    if undo:
        shared_cache.delete(last_key)
    else:
        shared_cache.set(last_key, event.sequence, timeout=QUICK_UNDO.total_seconds())
    return event


MANAGE_SALT = "diary.manage"
# How far the clock of the server that signs a manage link may be behind the one that saved
# its event (a link is always made after): a link signed longer before is another event's.
LINK_CLOCK_SKEW = timedelta(minutes=5)


def manage_token(event: Event, *, proven: bool = True) -> str:
    """The private, signed part of an event's manage link (no account needed).

    A link mailed to the organiser's address is `proven`: following it shows that its holder
    reads that mailbox. The link handed to whoever sent the form is not: anyone can type an
    address, so it never carries the organiser's trust.
    """
    return signing.dumps({"uid": event.uid, "proven": proven}, salt=MANAGE_SALT)


def signed_at(token: str) -> int:
    """When a token of `signing.dumps` (checked by `signing.loads`) was made, in whole
    seconds: Django writes it as its second-to-last part (value:timestamp:signature)."""
    return signing.b62_decode(token.rsplit(":", 2)[-2])


def manage_url(event: Event) -> str:
    return settings.SITE_URL + reverse("diary:submission-manage", args=[manage_token(event)])


@dataclass(frozen=True)
class ManageAccess:
    event: Event
    proven: bool


def event_for_token(token: str) -> ManageAccess:
    """The event a manage link is for, and whether the link proves the organiser's address;
    signing.BadSignature (or SignatureExpired) if none."""
    max_age = timedelta(days=settings.DIARY_MANAGE_LINK_DAYS)
    data = signing.loads(token, salt=MANAGE_SALT, max_age=max_age)
    event = Event.objects.filter(uid=data.get("uid")).select_related("organiser").first()
    if event is None:
        raise signing.BadSignature("no such event")
    if event.created.timestamp() >= signed_at(token) + LINK_CLOCK_SKEW.total_seconds():
        # A UID can be given again once its event is deleted (an import takes its source's
        # UID when it is free): a link made before this event was is another event's.
        raise signing.BadSignature("the link is older than the event")
    return ManageAccess(event=event, proven=data.get("proven", False) is True)


def organiser_notify(*, event: Event, template: str) -> None:
    """E-mail the organiser (received, published, rejected) with the manage link, in the
    language the organiser wrote in, once the write it tells of has committed: a write
    rolled back sends nothing. Written now, from the event as it is now; a mail server that
    fails is logged and changes nothing."""
    if event.organiser is None:
        return
    with translation.override(event.text_language):  # the organiser's, not the editor's
        context = {"event": event, "manage_url": manage_url(event), "site_url": settings.SITE_URL}
        subject = mail_subject(f"diary/email/{template}_subject.txt", context)
        body = render_to_string(f"diary/email/{template}.txt", context)
    recipient = event.organiser.email
    transaction.on_commit(lambda: send_mail(subject, body, None, [recipient]), robust=True)


def organiser_vouches(organiser: Organiser | None, *, proven: bool) -> bool:
    """Whether an organiser's word publishes without moderation: the one trust rule.

    Only trusted organisers skip moderation, and only through a channel that proves the
    request is theirs: their API token, a link mailed to their address, an editor's import.
    A typed e-mail address proves nothing.
    """
    return proven and organiser is not None and organiser.is_trusted


def organiser_for_submission(*, name: str, email: str) -> Organiser:
    """The organiser an address names, created with the typed name when new.

    An existing organiser is never changed from the form: its name shows on every event it
    holds, and the form proves nothing about who typed the address (editors change it).
    """
    organiser, _created = Organiser.objects.get_or_create(
        email=email.strip().lower(), defaults={"name": name}
    )
    return organiser


def event_submit(
    *,
    event: Event,
    organiser: Organiser,
    proven: bool = False,
    tags=(),
    languages=(),
    notify: bool = True,
) -> Event:
    """A new event from an organiser: pending, or published when the organiser vouches for
    it through a proven channel. One transaction: all of it is saved, or none. The organiser
    is mailed its manage link (and, for a trusted organiser, the way to publish at once)."""
    with transaction.atomic():
        event.organiser = organiser
        event.publication_state = (
            Event.PublicationState.PUBLISHED
            if organiser_vouches(organiser, proven=proven)
            else Event.PublicationState.PENDING
        )
        event_save(event=event)
        event_relations_set(event=event, tags=tags, languages=languages)
        duplicate_flag(event=event)
    if notify:
        organiser_notify(event=event, template="received")
    return event


def event_resubmit(*, event: Event, proven: bool, tags=None, languages=None) -> Event:
    """An organiser's edit (manage link or API).

    Applied at once when the organiser vouches for it through a proven channel. Otherwise
    an edit of a published event waits for an editor as its `pending_change`, while the
    published version stays public (pages, feeds and calendars keep it); an edit of a
    pending or rejected event goes (back) to moderation. Tags and languages left as None
    stay as they are.
    """
    return _event_edit(
        event=event,
        vouched=organiser_vouches(event.organiser, proven=proven),
        tags=tags,
        languages=languages,
    )


def _event_edit(*, event: Event, vouched: bool, tags=None, languages=None) -> Event:
    """An edit, applied when vouched for; otherwise moderated (the rule of event_resubmit,
    which the importer shares)."""
    with transaction.atomic():
        if not vouched:
            stored = Event.objects.select_for_update().get(pk=event.pk)
            if stored.is_published:
                return event_change_propose(
                    event=event, stored=stored, tags=tags, languages=languages
                )
            event.publication_state = Event.PublicationState.PENDING
        else:  # a vouched version supersedes an older proposal
            proposed_image_forget(event.pending_change, keep={event.image.name})
            event.pending_change = None
        event_save(event=event)
        _relations_set(event, tags=tags, languages=languages)
    return event


def _relations_set(event: Event, *, tags=None, languages=None) -> None:
    given = {"tags": tags, "languages": languages}
    event_relations_set(
        event=event, **{name: objs for name, objs in given.items() if objs is not None}
    )


def event_change_propose(*, event: Event, stored: Event, tags=None, languages=None) -> Event:
    """Keep an organiser's edit of a published event for the editors; change nothing public.

    A later edit replaces the earlier proposal; an edit that changes nothing withdraws it.
    Returns the event as stored (the published version) with its pending change.
    """
    change: dict = {"fields": event.proposed_fields(stored)}
    for name, values in (("tags", tags), ("languages", languages)):
        if values is not None:
            proposed = sorted(value.pk for value in values)
            if proposed != sorted(getattr(stored, name).values_list("pk", flat=True)):
                change[name] = proposed
    earlier = stored.pending_change
    stored.pending_change = change if len(change) > 1 or change["fields"] else None
    # Only this column: the public version, its `updated` and its VEVENT stay as they are.
    Event.objects.filter(pk=stored.pk).update(pending_change=stored.pending_change)
    proposed_image_forget(earlier, keep={stored.image.name, proposed_image(stored.pending_change)})
    return stored


def proposed_image(change: dict | None) -> str:
    """The image a pending change proposes (stored when the change was), or ""."""
    return ((change or {}).get("fields") or {}).get("image") or ""


def proposed_image_forget(change: dict | None, *, keep: set[str]) -> None:
    """Delete the image `change` proposed, with its sizes, once the write that replaces,
    approves or rejects the change commits; unless it is in `keep` (the event's image now,
    or the next proposal's). A proposal's image lives exactly as long as the proposal."""
    image = proposed_image(change)
    if image and image not in keep:
        transaction.on_commit(lambda: image_delete(image), robust=True)


def event_change_approve(*, event: Event) -> Event:
    """Apply an organiser's pending change to a published event (an editor's approval)."""
    change = event.pending_change or {}
    with transaction.atomic():
        replaced = event.image.name
        event = event.with_pending_change()
        event.pending_change = None
        event_save(event=event)
        _relations_set(event, tags=change.get("tags"), languages=change.get("languages"))
        if replaced and replaced != event.image.name:  # no event shows it any more
            transaction.on_commit(lambda: image_delete(replaced), robust=True)
    return event


def event_confirm(*, access: ManageAccess) -> Event:
    """A trusted organiser publishes a pending submission by following the link mailed to its
    address: what a typed address alone cannot do."""
    event = access.event
    if event.publication_state != Event.PublicationState.PENDING:
        return event
    if not organiser_vouches(event.organiser, proven=access.proven):
        raise PermissionError("only a proven link of a trusted organiser publishes")
    return event_publish(event=event)


IMPORTED_FIELDS = (
    *columns("title", "description"),
    "category",
    "venue",
    "online_url",
    "ticket_url",
    "timezone",
    "start",
    "end",
    "all_day",
    "rrule",
    "rdates",
    "exdates",
    "overrides",
    "status",
    "text_language",
)


def imported_event(
    stored: Event | None,
    *,
    uid: str,
    fields: dict,
    source: str,
    organiser=None,
    publish: bool = False,
    clash: bool = False,
) -> tuple[Event | None, set[str]]:
    """The event this source calls `uid` as an import makes it (from `stored`, the event this
    source imported under that UID, or new), checked and unsaved, with the imported fields it
    changes; None when the stored event would not change, so importing the same file twice
    changes nothing. A new event keeps the source's UID as its own, unless another event
    holds it (`clash`): then it has a UID of ours and waits for an editor, whoever vouches,
    however often the file is imported again.
    Raises ValidationError (with the reason) when the data is invalid."""
    if stored is not None and (stored.source, stored.source_uid) != (source, uid):
        raise ValueError("An import updates only the events of its own source.")
    # An event of this source that does not carry its UID as its own came in over another
    # event's: it waits for an editor, on this import and on every later one.
    clash = clash or (stored is not None and stored.uid != uid)
    event = stored or Event(
        uid=new_uid() if clash else uid, source=source, source_uid=uid, organiser=organiser
    )
    if stored is None and not clash and import_vouched(organiser, publish):
        event.publication_state = Event.PublicationState.PUBLISHED
    before = {name: getattr(event, name) for name in IMPORTED_FIELDS}
    for name, value in fields.items():
        setattr(event, name, value)
    event.prepare_to_store()  # safe HTML and a normal rule, before comparing
    publishing = publish and not clash and event.publication_state == Event.PublicationState.PENDING
    if publishing:
        event.publication_state = Event.PublicationState.PUBLISHED
    changed = {name for name in IMPORTED_FIELDS if getattr(event, name) != before[name]}
    if stored and not changed and not publishing:
        return None, changed
    # Fields and clean() check everything an import sets (the end after the start, choices,
    # dates, the rule); the table's constraints, on prices and ages no import sets, and the
    # UIDs' uniqueness (just looked up) are the database's to enforce: Django would ask it
    # one query each, for every event.
    event.full_clean(exclude=["slug", "uid", "source_uid"], validate_constraints=False)
    return event, changed


def import_vouched(organiser, publish: bool, stored: Event | None = None) -> bool:
    """The command line is an operator's: it proves the organiser it names, for that
    organiser's own events (a stored event of another organiser's is not vouched for), and
    `publish` is the operator's own word for the whole file."""
    if stored is not None and stored.organiser_id != getattr(organiser, "pk", None):
        return publish
    return publish or organiser_vouches(organiser, proven=True)


def of_source(source: str):
    """A source's events, asked so that the databases read them from the (source,
    source_uid) unique index: its condition is a source, which a query must state for the
    index to serve it. Without it, finding one event of a source read all of that source's
    (an import of 10,000 unchanged events: 68 s on SQLite, 136 s on PostgreSQL)."""
    return Event.objects.filter(source=source).exclude(source="")


def imported_uids(*, source: str, uids: list[str]) -> set[str]:
    """Those of `uids` this source imported already (each is then read, and compared, by
    `event_import`): one query a thousand UIDs, for the UIDs alone."""
    found: set[str] = set()
    for start in range(0, len(uids), 1000):
        batch = uids[start : start + 1000]
        found.update(
            of_source(source).filter(source_uid__in=batch).values_list("source_uid", flat=True)
        )
    return found


def uids_held(uids: list[str]) -> dict[str, Event]:
    """The events that hold these UIDs as their own, by UID: a new imported event cannot
    take one of them. One query a thousand UIDs."""
    found: dict[str, Event] = {}
    for start in range(0, len(uids), 1000):
        held = Event.objects.filter(uid__in=uids[start : start + 1000])
        found.update((event.uid, event) for event in held)
    return found


@transaction.atomic
def event_import(
    *,
    uid: str,
    fields: dict,
    source: str,
    organiser=None,
    publish: bool = False,
) -> str:
    """Create or update the event `source` calls `uid` (its identity is the pair: an import
    never touches another source's event, whatever UID it names).

    Returns "created", "updated" or "unchanged" (`imported_event`). Raises ValidationError
    (with the reason) and saves nothing when the data is invalid.
    """
    # Unordered: ordered by id, PostgreSQL walks the primary key instead of the unique index.
    # With what the comparison and the search text read (`imported_event`), in this query.
    stored = next(
        iter(
            of_source(source)
            .filter(source_uid=uid)
            .select_related("venue__municipality", "category")
            .order_by()[:1]
        ),
        None,
    )
    holder = None if stored else next(iter(Event.objects.filter(uid=uid).order_by()[:1]), None)
    event, changed = imported_event(
        stored,
        uid=uid,
        fields=fields,
        source=source,
        organiser=organiser,
        publish=publish,
        clash=holder is not None,
    )
    if event is None:
        return "unchanged"
    if stored is None:
        event_save(event=event)
        duplicate_flag(event=event, known=holder)
        return "created"
    vouched = import_vouched(organiser, publish, stored)
    # An update nobody vouches for is moderated, as through every other door: a published
    # event keeps its public version until an editor approves the change. Calling it off
    # (or on again) is not moderated, as through the manage link: subscribers learn at once.
    if not vouched and "status" in changed:
        stored = Event.objects.get(pk=event.pk)
        if stored.is_published:
            stored.status = event.status
            event_save(event=stored)
    _event_edit(event=event, vouched=vouched)
    return "updated"


def events_import_new(events: list[Event], *, clashes: dict[str, Event] | None = None) -> None:
    """Insert new events of one import (each checked by `imported_event`) at once: unique
    slugs, one insert of the events and one of their dates, one journal change
    (`events_bulk_create`); then their likely duplicates are flagged, unless the diary holds
    no event from elsewhere to repeat (one query). An event whose source's UID another
    event holds (`clashes`, by that UID) is flagged as likely repeating it when nothing more
    like it is found. An IntegrityError (a slug or UID taken meanwhile) saves none of them."""
    clashes = clashes or {}
    reserved: set[str] = set()
    for event in events:
        event.slug = unique_slug(Event, event.own_title, reserved=reserved)
        reserved.add(event.slug)
    events_bulk_create([(event, [], []) for event in events], now=timezone.now())
    sources = {event.source for event in events}
    if clashes or Event.objects.exclude(source__in=sources).exists():
        for event in events:
            duplicate_flag(event=event, known=clashes.get(event.source_uid))


def events_cancel_missing(*, source: str, present: set[str]) -> int:
    """Cancel (never delete) the events once imported from `source` that it no longer has:
    subscribers then see them called off instead of silently gone. Only that source's."""
    missing = (
        Event.objects.filter(source=source)
        .exclude(source_uid__in=present)
        .exclude(status=Event.Status.CANCELLED)
    )
    count = 0
    for event in missing:
        event_cancel(event=event)
        count += 1
    return count


def occurrences_extend(*, now: datetime | None = None) -> MaterialiseResult:
    """Roll every recurring event's occurrences forward to the current horizon."""
    now = now or timezone.now()
    total = MaterialiseResult()
    for event in Event.objects.recurring().iterator(chunk_size=500):
        try:
            total += occurrences_materialise(event=event, now=now)
        except recurrence.RecurrenceError as error:
            # Stored before validation existed, or by hand: report it and go on with the rest.
            logger.warning("Event %s (%s) not extended: %s", event.pk, event.uid, error)
    if total != MaterialiseResult():
        # New dates show in the agenda and the API, not in any event's own data.
        journal.record(action="extended", subject=f"occurrences up to {now:%Y-%m-%d}")
    return total
