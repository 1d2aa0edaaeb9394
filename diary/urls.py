from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from diary import submissions, views
from diary.api import views as api
from diary.sitemaps import EventSitemap, VenueSitemap
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
        path("events/<slug:slug>/", views.event_detail, name="event-detail"),
        path("events/<slug:slug>.ics", feed_views.event_ics, name="event-ics"),
        path("tags/<slug:slug>/", views.tag_detail, name="tag-detail"),
        path("submit/", submissions.submit, name="submit"),
        path("submit/preview/", submissions.submission_preview, name="submission-preview"),
        path("submit/manage/<str:token>/", submissions.manage, name="submission-manage"),
    ],
    "diary",
)

urlpatterns = [
    path("", include(diary_patterns)),
    path("venues/", include("venues.urls")),
    path("feeds/", include("feeds.urls")),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path(
        "sitemap.xml",
        sitemap,
        {"sitemaps": {"events": EventSitemap, "venues": VenueSitemap}},
        name="sitemap",
    ),
    path("robots.txt", views.robots_txt, name="robots"),
    path("healthz", views.healthz, name="healthz"),
    # Without a CSRF token, so that public pages carry nothing personal and can be shared
    # from the cache: a forged request could at worst change a visitor's interface language.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
]

handler404 = "diary.views.page_not_found"
handler500 = "diary.views.server_error"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
