from django.conf import settings
from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _
from translated_fields import TranslatedFieldAdmin

from common.translation import to_attribute


class AgendaAdmin(TranslatedFieldAdmin, admin.ModelAdmin):
    """Shared admin defaults: a typed address without a scheme is read as https://; the
    columns of a text in several languages are labelled with their language ("Title [fr]")."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class MissingTextFilter(admin.SimpleListFilter):
    """ "Missing a title in: Dutch": the rows whose text `name` is empty in a language."""

    text = ""

    @classmethod
    def of(cls, name: str) -> type:
        verbose = {"title": _("missing a title in"), "description": _("missing a description in"),
                   "name": _("missing a name in")}[name]  # fmt: skip
        return type(
            f"Missing{name.title()}Filter",
            (cls,),
            {"text": name, "title": verbose, "parameter_name": f"missing_{name}"},
        )

    def lookups(self, request, model_admin):
        return settings.LANGUAGES

    def queryset(self, request, queryset):
        if self.value() in dict(settings.LANGUAGES):
            return queryset.filter(**{to_attribute(self.text, self.value()): ""})
        return queryset
