from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from common.http import API_PREFIX
from diary import embed, languages, letter_views, submissions, views
from diary.api import views as api
from diary.sitemaps import sitemap_index, sitemap_section
from feeds import views as feed_views
from venues.api import VenueViewSet

router = DefaultRouter()
router.register("events", api.EventViewSet, basename="event")
router.register("occurrences", api.OccurrenceViewSet, basename="occurrence")
router.register("venues", VenueViewSet, basename="venue")
router.register("categories", api.CategoryViewSet, basename="category")
router.register("tags", api.TagViewSet, basename="tag")
router.register("articles", api.ArticleViewSet, basename="article")

diary_patterns = (
    [
        path("", views.agenda, name="agenda"),
        path("month/", views.agenda_month, name="agenda-month"),
        path("venue-options/", views.venue_options, name="venue-options"),
        path("events/<slug:slug>/", views.event_detail, name="event-detail"),
        path("events/<slug:slug>.ics", feed_views.event_ics, name="event-ics"),
        path("tags/<slug:slug>/", views.tag_detail, name="tag-detail"),
        path("submit/", submissions.submit, name="submit"),
        path("submit/preview/", submissions.submission_preview, name="submission-preview"),
        path("submit/manage/<str:token>/", submissions.manage, name="submission-manage"),
        path("subscribe/", feed_views.subscribe, name="subscribe"),
        path("embed/builder/", embed.embed_builder, name="embed-builder"),
        path("letter/", letter_views.letter_subscribe, name="letter-subscribe"),
        path("letter/confirm/<str:token>/", letter_views.letter_confirm, name="letter-confirm"),
        path("letter/<str:token>/", letter_views.letter_manage, name="letter-manage"),
        path(
            "letter/<str:token>/unsubscribe/",
            letter_views.letter_unsubscribe,
            name="letter-unsubscribe",
        ),
    ],
    "diary",
)

# The API (diary.api), under common.http.API_PREFIX: what answers in JSON.
api_patterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

urlpatterns = [
    # Language-neutral and stable forever (DESIGN.md): feeds, the API, the admin, the files
    # search engines and load balancers read, the language switcher.
    path("feeds/", include("feeds.urls")),
    # The one page other sites may frame (diary.embed); its language is `lang`, like a feed's.
    path("embed/", embed.embed, name="embed"),
    path(API_PREFIX.lstrip("/"), include(api_patterns)),
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
    path("", include(diary_patterns)),
    path("venues/", include("venues.urls")),
    prefix_default_language=False,
)

handler404 = "diary.views.page_not_found"
handler500 = "diary.views.server_error"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
