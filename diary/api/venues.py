import django_filters
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets

from diary.api.schema import documented
from diary.api.serializers import TranslationsField, shown
from diary.filters import SlugsFilter
from venues.models import Municipality, Venue


@extend_schema_field(OpenApiTypes.STR)
class AreaFilter(SlugsFilter):
    pass


class VenueFilter(django_filters.FilterSet):
    """`area`, as the agenda reads it: repeatable, and an unknown slug is a 400 naming it."""

    area = AreaFilter(
        field_name="municipality__slug",
        queryset=Municipality.objects.all(),
        label=_("Municipality slug, e.g. ixelles; repeat for several."),
    )

    class Meta:
        model = Venue
        fields: list[str] = []


class VenueSerializer(serializers.ModelSerializer):
    name = shown()
    street_address = shown()
    translations = TranslationsField(("name", "street_address"))
    municipality = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    municipality_name = serializers.CharField(
        source="municipality.name", read_only=True, allow_null=True
    )
    url = serializers.SerializerMethodField()

    class Meta:
        model = Venue
        fields = [
            "slug", "name", "street_address", "postal_code", "municipality",
            "municipality_name", "latitude", "longitude", "website", "step_free_access",
            "accessible_toilets", "hearing_loop", "description", "translations", "url",
        ]  # fmt: skip

    def get_url(self, venue: Venue) -> str:
        request = self.context.get("request")
        path = venue.get_absolute_url()
        return request.build_absolute_uri(path) if request else path


@extend_schema_view(
    list=extend_schema(responses=documented({200: VenueSerializer(many=True)}, 400, 404)),
    retrieve=extend_schema(responses=documented({200: VenueSerializer}, 404)),
)
class VenueViewSet(viewsets.ReadOnlyModelViewSet):
    """Venues with their address, coordinates and accessibility facts."""

    serializer_class = VenueSerializer
    lookup_field = "slug"
    queryset = Venue.objects.select_related("municipality").order_by("name_en", "pk")
    filter_backends = [DjangoFilterBackend]
    filterset_class = VenueFilter
