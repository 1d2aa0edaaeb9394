from django.db import models


class VenueQuerySet(models.QuerySet):
    def step_free(self) -> "VenueQuerySet":
        return self.filter(step_free_access=True)
