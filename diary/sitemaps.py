from django.contrib.sitemaps import Sitemap

from diary.models import Event
from venues.models import Venue


class LanguagesSitemap(Sitemap):
    """Every page in each language, each naming the others (hreflang) and English as the
    default."""

    i18n = True
    alternates = True
    x_default = True


class EventSitemap(LanguagesSitemap):
    """Published events only: Event.objects.published() is the one source of public events."""

    changefreq = "daily"
    limit = 10_000

    def items(self):
        return Event.objects.published().only("slug", "updated").order_by("pk")

    def lastmod(self, event: Event):
        return event.updated


class VenueSitemap(LanguagesSitemap):
    changefreq = "weekly"

    def items(self):
        return Venue.objects.only("slug", "updated").order_by("pk")

    def lastmod(self, venue: Venue):
        return venue.updated
