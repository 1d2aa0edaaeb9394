from django.contrib import admin
from django.db import models


class AgendaAdmin(admin.ModelAdmin):
    """Shared admin defaults: a typed address without a scheme is read as https://."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
