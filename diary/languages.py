"""The pages' languages in the URL: English at /…, French at /fr/…, Dutch at /nl/….

A first visit to an unprefixed page goes to the language the visitor asked for: a choice made
with the header's switcher (its cookie), else the browser's `Accept-Language`; English pages
are served where neither asks for another language (search engines, most API clients). The
feeds, the API and the admin have no prefix (urls.py). Each page names its other languages
(`hreflang`) and its canonical address (`alternates`).
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.http import (
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
    JsonResponse,
)
from django.urls import Resolver404, resolve, reverse, translate_url
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from common.http import API_PREFIX, is_api

# The API, the feeds and the embedded agenda take `lang` (en, fr, nl) beside
# Accept-Language: calendar apps, scripts and partner sites cannot choose the header.
LANG = "lang"
LANG_PATHS = (API_PREFIX, "/feeds/", "/embed/")
# The namespaces of the pages (urls.py's i18n_patterns); an event's .ics file stays one.
PAGE_NAMESPACES = {"diary", "venues"}
NOT_PAGES = {"diary:event-ics"}


def language_of_path(path: str) -> str:
    return translation.get_language_from_path(path) or settings.LANGUAGE_CODE


def unprefixed(path: str) -> str:
    """The path without its language prefix (/fr/submit/ → /submit/)."""
    language = translation.get_language_from_path(path)
    return path[len(language) + 1 :] if language else path


def resolve_path(path: str):
    """resolve(path), reading /fr/… in French (a prefix resolves only in its own language),
    or None when nothing answers there."""
    with translation.override(language_of_path(path)):
        try:
            return resolve(path)
        except Resolver404:
            return None


def _prefixed(path: str):
    """The ResolverMatch of a path under i18n_patterns (one that may carry a prefix), or
    None: the pages, and an event's .ics file."""
    match = resolve_path(path)
    return match if match and PAGE_NAMESPACES & set(match.namespaces) else None


def _is_page(match) -> bool:
    return (
        match is not None
        and bool(PAGE_NAMESPACES & set(match.namespaces))
        and match.view_name not in NOT_PAGES
    )


class FirstVisitLanguageMiddleware:
    """Sends a visitor asking for French or Dutch from an unprefixed page to that language's
    page, query string kept; answers the unprefixed rest (the API, the feeds, the admin) in
    the language asked for. After django.middleware.locale.LocaleMiddleware, which gives
    every unprefixed path English."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        match = _prefixed(request.path_info)
        page = _is_page(match)
        if not translation.get_language_from_path(request.path_info):
            wanted = translation.get_language_from_request(request)
            if page and request.method in ("GET", "HEAD") and wanted != settings.LANGUAGE_CODE:
                response = HttpResponseRedirect(translate_url(request.get_full_path(), wanted))
                patch_vary_headers(response, ("Accept-Language", "Cookie"))
                return response
            if match is None:  # not under i18n_patterns: resolving needs no prefix
                if request.path_info.startswith(LANG_PATHS) and LANG in request.GET:
                    wanted = request.GET[LANG]
                    if wanted not in dict(settings.LANGUAGES):
                        return lang_refused(request, wanted)
                translation.activate(wanted)
                request.LANGUAGE_CODE = wanted
        response = self.get_response(request)
        if page:
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response


@csrf_exempt
def switch_language(request):
    """Django's set_language, reading the page to go back to in that page's own language, so
    that /fr/?category=music becomes /nl/?category=music (Django's reads it in the
    language already active, which a prefixed page's path is not).

    Without a CSRF token, so that public pages carry nothing personal and can be shared from
    the cache: a forged request could at worst change a visitor's interface language.
    """
    target = request.POST.get("next", request.GET.get("next", ""))
    with translation.override(language_of_path(urlsplit(target).path)):
        return set_language(request)


def lang_refused(request, value: str) -> HttpResponse:
    """An unknown `lang` is a 400 that names the parameter, in the API's or the feeds' form."""
    message = _("“%(value)s” is not one of the languages: %(languages)s.") % {
        "value": value,
        "languages": ", ".join(code for code, _name in settings.LANGUAGES),
    }
    if is_api(request):
        return JsonResponse({LANG: [message]}, status=400)
    return HttpResponseBadRequest(f"{LANG}: {message}\n", content_type="text/plain; charset=utf-8")


def english_unprefixed(request, rest: str):
    """/en/… is the English page's other name: it moved to /…, for good.

    Always to a path of this site: the slashes and backslashes that lead `rest` are dropped
    (a browser reads `//evil.example/x` and `/\\evil.example` as another site's address, and
    /en//evil.example or /en/%2F%2Fevil.example carry one), and the path is quoted again as
    it came (`%3F` stays a character of the path, not the start of a query)."""
    path = escape_uri_path("/" + rest.lstrip("/\\"))
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(path + (f"?{query}" if query else ""))


def alternates(request) -> dict:
    """A context processor: the page in each language (hreflang), and its canonical address.
    Reversed from the request's own match: no resolving again."""
    match = getattr(request, "resolver_match", None)
    if not _is_page(match):
        return {}
    query = request.META.get("QUERY_STRING", "")
    suffix = f"?{query}" if query else ""
    links = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            path = reverse(match.view_name, args=match.args, kwargs=match.kwargs)
        links.append((code, request.build_absolute_uri(path + suffix)))
    english = dict(links)[settings.LANGUAGE_CODE]
    return {
        "language_alternates": [*links, ("x-default", english)],
        "canonical_url": request.build_absolute_uri(request.get_full_path()),
    }
