"""The sitemap: `/sitemap.xml` is an index of pages (Django's index view), each page
(`/sitemap-<section>.xml?p=N`) at most `Section.limit` addresses.

Every page is in each language, each address naming the others (hreflang) and English as the
default, so an event counts three addresses. A page reads only its own rows (slug and date,
no model objects) and is written straight to XML: Django's sitemap template took 2 to 3
seconds for 10,000 addresses with their alternates, this takes milliseconds. Each answer is
remembered, gzipped, until the data version moves (`remembered_as`): a crawler's next
visit, or anyone's, costs a cache read, and a page past the end is a 404 from the
remembered count.
"""

import functools
import gzip
import hashlib
import re
from collections.abc import Sequence
from html import escape

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as django_sitemaps
from django.core.cache import cache
from django.core.paginator import EmptyPage, Paginator
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date

from diary.cache import remembered_as
from diary.models import Article, Event, Tag
from venues.models import Venue

TTL = 24 * 60 * 60  # a page, for one data version
CONTENT_TYPE = "application/xml"
PAGE = re.compile(r"[1-9][0-9]{0,5}")
SLUG = "__slug__"
LANGUAGE = settings.LANGUAGE_CODE  # the x-default: English pages have no prefix
URLSET = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
    'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
)


class Section(Sitemap):
    """Addresses of one kind, a page of rows at a time. `published()` is the public rows of
    its model, `changed` the field of their last change (if any), `view_name` the page a
    slug names."""

    limit = 10_000
    changefreq = "weekly"
    view_name = ""
    changed: str | None = "updated"

    def published(self) -> QuerySet:
        raise NotImplementedError

    def rows(self) -> QuerySet | list:
        """(slug, last change) pairs, ordered by a unique key: no model objects."""
        fields = ("slug", self.changed) if self.changed else ("slug",)
        return self.published().order_by("pk").values_list(*fields)

    def paths(self, slug: str) -> dict[str, str]:
        """The row's page in each language, from a pattern reversed once per language."""
        return {code: pattern.replace(SLUG, slug) for code, pattern in self.patterns.items()}

    @functools.cached_property
    def patterns(self) -> dict[str, str]:
        patterns = {}
        for code in self._languages():
            with translation.override(code):
                patterns[code] = reverse(self.view_name, kwargs={"slug": SLUG})
        return patterns

    def count(self) -> int:
        """How many rows, remembered for the data version (the index, and a page past the
        end, read no table)."""
        key = remembered_as("sitemap-count", type(self).__name__)
        count = cache.get(key)
        if count is None:
            count = self.published().count()
            cache.set(key, count, TTL)
        return count

    @property
    def paginator(self) -> Paginator:
        return Paginator(InLanguages(self), self.limit)

    def get_latest_lastmod(self):
        """For the index (Django's view asks it of each section)."""
        if not self.changed:
            return None
        return self.published().aggregate(latest=Max(self.changed))["latest"]

    def page_xml(self, number: str, *, origin: str) -> tuple[str, object]:
        """Page `number` as XML, and the latest change it shows (None when its rows have no
        dates): each row's address in each language, each naming all of them (hreflang)
        and the English one as the default. Raises EmptyPage or PageNotAnInteger."""
        parts, latest, made = [URLSET], None, {}
        zone = timezone.get_current_timezone()
        frequency = f"<changefreq>{self.changefreq}</changefreq>"
        for row, code in self.paginator.page(number).object_list:
            if row[0] not in made:
                paths = {lang: escape(origin + path) for lang, path in self.paths(row[0]).items()}
                links = "".join(
                    f'<xhtml:link rel="alternate" hreflang="{language}" href="{url}"/>'
                    for language, url in (*paths.items(), ("x-default", paths[LANGUAGE]))
                )
                changed = row[1] if self.changed else None
                day = f"<lastmod>{changed.astimezone(zone).date()}</lastmod>" if changed else ""
                latest = max(latest, changed) if latest and changed else latest or changed
                made = {row[0]: (paths, day + frequency + links)}
            paths, rest = made[row[0]]
            parts.append(f"<url><loc>{paths[code]}</loc>{rest}</url>\n")
        parts.append("</urlset>\n")
        return "".join(parts), latest


class InLanguages(Sequence):
    """A section's rows, each once per language, as the paginator counts and slices them:
    a slice reads only the rows it needs."""

    def __init__(self, section: Section):
        self.section = section
        self.languages = section._languages()

    def count(self) -> int:
        return self.section.count() * len(self.languages)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("A sitemap section is read by slices.")
        start, stop, _step = index.indices(len(self))
        width = len(self.languages)
        first = start // width
        rows = self.section.rows()[first : -(-stop // width)]
        pairs = [(row, code) for row in rows for code in self.languages]
        return pairs[start - first * width : stop - first * width]


class PageSitemap(Section):
    """The pages that list: the agenda and the venues."""

    changefreq = "daily"
    changed = None
    NAMES = ("diary:agenda", "venues:list")

    def rows(self) -> list:
        return [(name,) for name in self.NAMES]

    def count(self) -> int:
        return len(self.NAMES)

    def paths(self, name: str) -> dict[str, str]:
        paths = {}
        for code in self._languages():
            with translation.override(code):
                paths[code] = reverse(name)
        return paths


class EventSitemap(Section):
    """Published events only, past ones included (their pages stay): Event.objects.published()
    is the one source of public events."""

    changefreq = "daily"
    view_name = "diary:event-detail"

    def published(self) -> QuerySet:
        return Event.objects.published()


class VenueSitemap(Section):
    view_name = "venues:detail"

    def published(self) -> QuerySet:
        return Venue.objects.all()


class TagSitemap(Section):
    """Tags that lead somewhere: on a published event or a visible story."""

    view_name = "diary:tag-detail"
    changed = None

    def published(self) -> QuerySet:
        tagged_events = Event.objects.published().filter(tags=OuterRef("pk"))
        tagged_stories = Article.objects.visible().filter(tags=OuterRef("pk"))
        return Tag.objects.filter(Q(Exists(tagged_events)) | Q(Exists(tagged_stories)))


SECTIONS = {
    "pages": PageSitemap,
    "events": EventSitemap,
    "venues": VenueSitemap,
    "tags": TagSitemap,
}


def remembered(view):
    """The view's answer, made once per data version, host and page and kept gzipped: no
    other parameter is part of the key (they change nothing). A crawler that accepts gzip
    (they all do) gets the stored bytes as they are."""

    @functools.wraps(view)
    def answer(request, **kwargs):
        page = request.GET.get("p", "1") if kwargs else "1"  # the index is one page
        if not PAGE.fullmatch(page):
            raise Http404("No such sitemap page.")
        key = remembered_as(
            "sitemap", sorted(kwargs.items()), int(page), request.scheme, request.get_host()
        )
        stored = cache.get(key)
        if stored is None:
            content, headers = view(request, page=page, **kwargs)
            stored = (
                gzip.compress(content, compresslevel=6, mtime=0),
                hashlib.sha1(content).hexdigest(),
                headers,
            )
            cache.set(key, stored, TTL)
        body, digest, headers = stored
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            response = HttpResponse(body, content_type=CONTENT_TYPE, headers=headers)
            response["Content-Encoding"] = "gzip"
            response["ETag"] = f'"{digest}-gzip"'
        else:
            response = HttpResponse(
                gzip.decompress(body), content_type=CONTENT_TYPE, headers=headers
            )
            response["ETag"] = f'"{digest}"'
        response["X-Robots-Tag"] = "noindex, noodp, noarchive"
        patch_vary_headers(response, ["Accept-Encoding"])
        return response

    return answer


@remembered
def sitemap_index(request, *, page: str) -> tuple[bytes, dict]:
    """Django's index: each section's pages, from the remembered counts."""
    response = django_sitemaps.index(request, SECTIONS, sitemap_url_name="sitemap-section")
    response.render()
    modified = response.get("Last-Modified")
    return response.content, {"Last-Modified": modified} if modified else {}


@remembered
def sitemap_section(request, *, page: str, section: str) -> tuple[bytes, dict]:
    if section not in SECTIONS:
        raise Http404("No such sitemap section.")
    origin = f"{request.scheme}://{request.get_host()}"
    try:
        xml, latest = SECTIONS[section]().page_xml(page, origin=origin)
    except EmptyPage:
        raise Http404("No such sitemap page.") from None
    return xml.encode(), {"Last-Modified": http_date(latest.timestamp())} if latest else {}
