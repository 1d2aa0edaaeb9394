from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiaryConfig(AppConfig):
    name = "diary"
    verbose_name = _("Event diary")

    def ready(self) -> None:
        from diary import checks  # noqa: F401 (it registers itself)
