from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from diary import views
from diary.sitemaps import EventSitemap, VenueSitemap
from feeds import views as feed_views

diary_patterns = (
    [
        path("", views.agenda, name="agenda"),
        path("month/", views.agenda_month, name="agenda-month"),
        path("events/<slug:slug>/", views.event_detail, name="event-detail"),
        path("events/<slug:slug>.ics", feed_views.event_ics, name="event-ics"),
    ],
    "diary",
)

urlpatterns = [
    path("", include(diary_patterns)),
    path("venues/", include("venues.urls")),
    path("feeds/", include("feeds.urls")),
    path("admin/", admin.site.urls),
    path(
        "sitemap.xml",
        sitemap,
        {"sitemaps": {"events": EventSitemap, "venues": VenueSitemap}},
        name="sitemap",
    ),
    path("robots.txt", views.robots_txt, name="robots"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
