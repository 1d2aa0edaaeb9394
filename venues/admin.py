from django.contrib import admin

from common.admin import MissingTextFilter
from common.translation import columns
from diary.admin import RecordedAdmin
from venues.models import Municipality, Venue


@admin.register(Municipality)
class MunicipalityAdmin(RecordedAdmin):
    list_display = (*columns("name"), "slug")
    list_filter = (MissingTextFilter.of("name"),)
    search_fields = (*columns("name"),)
    fields = (tuple(columns("name")), "slug")
    prepopulated_fields = {"slug": tuple(columns("name"))}


@admin.register(Venue)
class VenueAdmin(RecordedAdmin):
    list_display = ("name", "street_address", "postal_code", "municipality", "step_free_access")
    list_filter = (
        "municipality",
        MissingTextFilter.of("name"),
        "step_free_access",
        "accessible_toilets",
        "hearing_loop",
    )
    list_select_related = ("municipality",)
    search_fields = (
        *columns("name", "street_address"),
        "postal_code",
        *(f"municipality__{column}" for column in columns("name")),
    )
    prepopulated_fields = {"slug": tuple(columns("name"))}

    def get_fields(self, request, obj=None):
        """Each name and street in the languages side by side."""
        fields = [name for name in super().get_fields(request, obj) if name not in self.TEXTS]
        return [tuple(columns("name")), tuple(columns("street_address")), *fields]

    TEXTS = set(columns("name", "street_address"))
