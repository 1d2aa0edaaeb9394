from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from common.translation import NamedInLanguages, Translated
from diary import images
from diary.text import validate_one_line, validate_text


class Municipality(NamedInLanguages):
    """An area of the city (in Brussels, one of its 19 municipalities): the `area` filter.
    Named in each language (Ixelles / Elsene)."""

    name = Translated(models.CharField(_("name"), validators=[validate_one_line], max_length=100))
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self) -> str:
        return self.name


class Venue(NamedInLanguages, images.Pictured):
    """A place events happen at. Its name and street in each language where they differ
    (Place Sainte-Croix / Heilig-Kruisplein); one language is enough where they do not."""

    name = Translated(models.CharField(_("name"), validators=[validate_one_line], max_length=200))
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    street_address = Translated(
        models.CharField(_("street address"), validators=[validate_one_line], max_length=200)
    )
    postal_code = models.CharField(
        _("postal code"), validators=[validate_one_line], max_length=20, blank=True
    )
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        related_name="venues",
        null=True,
        blank=True,
    )
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    website = models.URLField(_("website"), blank=True)
    step_free_access = models.BooleanField(_("step-free access"), default=False)
    accessible_toilets = models.BooleanField(_("accessible toilets"), default=False)
    hearing_loop = models.BooleanField(_("hearing loop"), default=False)
    description = models.TextField(_("description"), validators=[validate_text], blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="venue_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="venue_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("venues:detail", kwargs={"slug": self.slug})

    @property
    def address(self) -> str:
        locality = " ".join(
            part for part in (self.postal_code, str(self.municipality or "")) if part
        )
        return ", ".join(part for part in (self.street_address, locality) if part)


images.sized(Venue)
