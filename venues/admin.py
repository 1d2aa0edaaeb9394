from django.contrib import admin

from common.admin import AgendaAdmin
from venues.models import Municipality, Venue


@admin.register(Municipality)
class MunicipalityAdmin(AgendaAdmin):
    list_display = ("name", "slug")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Venue)
class VenueAdmin(AgendaAdmin):
    list_display = ("name", "street_address", "postal_code", "municipality", "step_free_access")
    list_filter = ("municipality", "step_free_access", "accessible_toilets", "hearing_loop")
    list_select_related = ("municipality",)
    search_fields = ("name", "street_address", "postal_code", "municipality__name")
    prepopulated_fields = {"slug": ("name",)}
