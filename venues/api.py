from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from diary.api.schema import documented
from venues.models import Venue


class VenueSerializer(serializers.ModelSerializer):
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
            "accessible_toilets", "hearing_loop", "description", "url",
        ]  # fmt: skip

    def get_url(self, venue: Venue) -> str:
        request = self.context.get("request")
        path = venue.get_absolute_url()
        return request.build_absolute_uri(path) if request else path


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "area", OpenApiTypes.STR, description="Municipality slug, e.g. `ixelles`."
            )
        ],
        responses=documented({200: VenueSerializer(many=True)}, 404),
    ),
    retrieve=extend_schema(responses=documented({200: VenueSerializer}, 404)),
)
class VenueViewSet(viewsets.ReadOnlyModelViewSet):
    """Venues with their address, coordinates and accessibility facts."""

    serializer_class = VenueSerializer
    lookup_field = "slug"

    def get_queryset(self):
        venues = Venue.objects.select_related("municipality").order_by("name", "pk")
        area = self.request.query_params.get("area")
        return venues.filter(municipality__slug=area) if area else venues
