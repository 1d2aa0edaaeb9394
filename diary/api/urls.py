"""The API's routes, under common.http.API_PREFIX (config.urls): what answers in JSON."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from diary.api import views as api
from diary.api.venues import VenueViewSet

router = DefaultRouter()
router.register("events", api.EventViewSet, basename="event")
router.register("occurrences", api.OccurrenceViewSet, basename="occurrence")
router.register("venues", VenueViewSet, basename="venue")
router.register("categories", api.CategoryViewSet, basename="category")
router.register("tags", api.TagViewSet, basename="tag")
router.register("articles", api.ArticleViewSet, basename="article")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]
