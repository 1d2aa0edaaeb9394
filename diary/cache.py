"""Cached public answers, keyed by a data version that every write changes.

API lists and feeds are cached under a key made of the data version, the current minute
(windows like "from now" move with time), the host, the path with its query and the Accept
header. Any write that can change a public answer bumps the version, so a change is visible
at once and nothing stale is ever served; the cache lives in Redis when REDIS_URL is set,
shared by every app server.
"""

import hashlib
import uuid
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response

VERSION_KEY = "diary:data-version"
TTL = 10 * 60
FEED_HEADERS = ("ETag", "Last-Modified", "Cache-Control", "Content-Disposition")


def data_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY)
    return version


def _bump() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def data_changed(**kwargs) -> None:
    """Bumped now, and again after the commit: a reader between the two could otherwise
    cache the old data under the new version."""
    _bump()
    transaction.on_commit(_bump)


def cache_key(request, prefix: str) -> str:
    parts = (
        data_version(),
        timezone.now().strftime("%Y%m%d%H%M"),
        request.get_host(),
        request.get_full_path(),
        request.headers.get("Accept", ""),
    )
    return f"{prefix}:" + hashlib.sha1(repr(parts).encode()).hexdigest()


def cached_feed(view):
    """Serve a feed from the cache when its data did not change (304s included, with no
    query at all); a feed small enough to be built whole is stored for the next request."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.DIARY_CACHE_RESPONSES:
            return view(request, *args, **kwargs)
        key = cache_key(request, "feed")
        hit = cache.get(key)
        if hit is not None:
            body, content_type, headers = hit
            response = get_conditional_response(
                request, etag=headers.get("ETag"), last_modified=None
            ) or HttpResponse(body, content_type=content_type)
            for name, value in headers.items():
                response[name] = value
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming:
            headers = {name: response[name] for name in FEED_HEADERS if response.has_header(name)}
            cache.set(key, (response.content, response["Content-Type"], headers), TTL)
        return response

    return wrapper


def event_copies_stale(sender, instance, **kwargs) -> None:
    """An event's stored VEVENT names its venue, area and category: render it again. Its
    search text holds its venue's name (as Event.search_text_refresh() writes it)."""
    from diary.models import Category, Event
    from venues.models import Municipality, Venue

    events = {
        Venue: lambda: Event.objects.filter(venue=instance),
        Municipality: lambda: Event.objects.filter(venue__municipality=instance),
        Category: lambda: Event.objects.filter(category=instance),
    }[sender]()
    events.exclude(ical="").update(ical="")
    if sender is Venue:
        events.update(
            search_text=Concat("title", Value("\n"), "summary", Value("\n"), Value(instance.name))
        )


def connect() -> None:
    """Everything that shapes a public answer bumps the version when it changes."""
    from diary.models import Article, Category, Event, Tag
    from venues.models import Municipality, Venue

    for model in (Venue, Municipality, Category):
        post_save.connect(event_copies_stale, sender=model, dispatch_uid=f"ical-{model.__name__}")
    for model in (Event, Venue, Municipality, Category, Tag, Article):
        post_save.connect(data_changed, sender=model, dispatch_uid=f"version-{model.__name__}")
        post_delete.connect(data_changed, sender=model, dispatch_uid=f"version-d-{model.__name__}")
    for relation in (Event.tags.through, Event.languages.through):
        m2m_changed.connect(data_changed, sender=relation, dispatch_uid=f"version-{relation}")
