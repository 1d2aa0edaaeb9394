from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from diary import views

diary_patterns = (
    [
        path("", views.home, name="home"),
        path("events/<slug:slug>/", views.event_detail, name="event-detail"),
    ],
    "diary",
)

urlpatterns = [
    path("", include(diary_patterns)),
    path("venues/", include("venues.urls")),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
