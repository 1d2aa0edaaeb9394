"""Cached public answers, keyed by a data version that every write changes.

Views mark the anonymous answers that may be shared (`cacheable`: the public pages, the API
lists and the feeds; nothing personal is on them, not even a CSRF token);
`PublicResponseCacheMiddleware`, near the top of the middleware stack, stores them and
serves them again before any other middleware or view runs. The key is made of the data
version, the current minute (windows like "from now" move with time), the scheme and host,
the path with its query, the visitor's language and the request headers an answer can vary
on. The version is the change journal's last row (diary.journal): any write a reader could
notice appends one, so a change is visible at once and nothing stale is ever served; the
cache lives in Redis when REDIS_URL is set, shared by every app server.

Requests for other views (the health check, the admin, the forms) skip the cache without a
lookup. A large answer's body is stored apart from its headers, so a 304 reads only the
headers; a streamed feed (too large to store) leaves only its validators, so the polls of
calendar apps that already hold it are still answered 304 without a query.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe

from common.caching import drop_unknown
from diary.journal import data_version
from diary.languages import resolve_path

TTL = 10 * 60
# What an answer may vary on besides its URL and language (responses say so in Vary).
KEY_HEADERS = ("Accept", "Origin", "HX-Request", "HX-History-Restore-Request")
# Answers carrying these are personal: never stored.
PRIVATE_REQUEST_HEADERS = ("Authorization",)
# Bodies larger than this are stored under a key of their own.
INLINE_BODY_BYTES = 512 * 1024
APART = "apart"
# How long a remembered answer (`remembered_as`: the filter form's choices, a month's grid, the
# runs on, the picks) is kept at most; any write moves its key's data version before.
REMEMBERED = 60 * 60


def remembered_as(kind: str, *asked) -> str:
    """The cache key of something remembered until the data version moves (a feed's
    validators, the filter form's choices): `kind` and what was asked, in this version."""
    return f"{kind}:" + hashlib.sha1(repr((data_version(), *asked)).encode()).hexdigest()


def serves_cacheable(path: str) -> bool:
    """Whether the view at `path` may answer from the cache: one marked `cacheable`, or an API
    action its viewset lists in `cacheable_actions`."""
    return cacheable_view(path) is not None


def cacheable_view(path: str):
    """The view at `path` if it may answer from the cache (`serves_cacheable`), else None."""
    match = resolve_path(path)
    if match is None:
        return None
    view = match.func
    if getattr(view, "cacheable", False):
        return view
    actions = getattr(view, "actions", None) or {}
    if actions.get("get") in getattr(getattr(view, "cls", None), "cacheable_actions", ()):
        return view
    return None


class PublicResponseCacheMiddleware:
    """Serve what `cacheable` views answered before, while the data has not changed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = self.view_for(request)
        if view is None:
            return self.get_response(request)
        # A view that names the parameters it reads (common.caching.reads_only) is asked,
        # and its answer stored, without the others: unknown ones bust no cache.
        drop_unknown(request, getattr(view, "parameters", None))
        key = self.key(request)
        hit = cache.get(key)
        if hit is not None:
            response = self.replay(request, key, *hit)
            if response is not None:
                return response
        response = self.get_response(request)
        if self.storable(request, response):
            self.store(key, response)
        return response

    @staticmethod
    def applies_to(request) -> bool:
        return PublicResponseCacheMiddleware.view_for(request) is not None

    @staticmethod
    def view_for(request):
        """The view whose answer may come from the cache, or None."""
        if (
            settings.DIARY_CACHE_RESPONSES
            and request.method in ("GET", "HEAD")
            and not any(request.headers.get(name) for name in PRIVATE_REQUEST_HEADERS)
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
        ):
            return cacheable_view(request.path_info)
        return None

    @staticmethod
    def storable(request, response) -> bool:
        """Asked only of answers from views that `serves_cacheable` names."""
        return (
            getattr(response, "cacheable", True)
            and request.method == "GET"
            and response.status_code == 200
            and not response.cookies
            and (not response.streaming or response.has_header("ETag"))
        )

    @staticmethod
    def key(request) -> str:
        parts = (
            data_version(),
            timezone.now().strftime("%Y%m%d%H%M"),
            request.scheme,
            request.get_host(),
            request.get_full_path(),
            translation.get_language_from_request(request),
            *(request.headers.get(name, "") for name in KEY_HEADERS),
        )
        return "response:" + hashlib.sha1(repr(parts).encode()).hexdigest()

    @staticmethod
    def store(key: str, response) -> None:
        """Headers and body under `key`; a large body under a key of its own, so that a 304
        does not read it; a streamed body not at all."""
        body = None if response.streaming else response.content
        headers = dict(response.items())
        if body is not None and len(body) > INLINE_BODY_BYTES:
            cache.set_many({key: (APART, headers), f"{key}:body": body}, TTL)
        else:
            cache.set(key, (body, headers), TTL)

    @staticmethod
    def replay(request, key: str, body: bytes | str | None, headers: dict) -> HttpResponse | None:
        """The stored answer, or 304 when the client holds it; None when the body is not
        stored (a streamed feed, or a body evicted) and the client does not hold it."""
        last_modified = parse_http_date_safe(headers.get("Last-Modified", ""))
        response = get_conditional_response(
            request, etag=headers.get("ETag"), last_modified=last_modified
        )
        if response is None:
            if body == APART:
                body = cache.get(f"{key}:body")
            if body is None:
                return None
            response = HttpResponse(body)
        for name, value in headers.items():
            if response.status_code == 200 or name.lower() != "content-length":
                response[name] = value
        return response
