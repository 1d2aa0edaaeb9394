"""The site's addresses: the language-neutral ones (feeds, the API, the admin, what search
engines and load balancers read), then each app's pages under every language's prefix."""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path

from common.http import API_PREFIX
from diary import embed, languages, views
from diary.sitemaps import sitemap_index, sitemap_section

urlpatterns = [
    # Language-neutral and stable forever (DESIGN.md): feeds, the API, the admin, the files
    # search engines and load balancers read, the language switcher.
    path("feeds/", include("feeds.urls")),
    # The one page other sites may frame (diary.embed); its language is `lang`, like a feed's.
    path("embed/", embed.embed, name="embed"),
    path(API_PREFIX.lstrip("/"), include("diary.api.urls")),
    path("admin/", admin.site.urls),
    # An index of pages (diary.sitemaps), each at most 10,000 addresses.
    path("sitemap.xml", sitemap_index, name="sitemap"),
    path("sitemap-<slug:section>.xml", sitemap_section, name="sitemap-section"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", languages.switch_language, name="set_language"),
    # /en/… is the English page's other name: the English pages have no prefix.
    re_path(r"^en/(?P<rest>.*)$", languages.english_unprefixed),
]
# The pages, in each language: English at /…, French at /fr/…, Dutch at /nl/…
# (diary.languages sends a first visit to the language it asks for).
urlpatterns += i18n_patterns(
    path("", include("diary.urls")),
    path("venues/", include("venues.urls")),
    prefix_default_language=False,
)

handler404 = "diary.views.page_not_found"
handler500 = "diary.views.server_error"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
