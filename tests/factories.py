import time
from datetime import datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import factory
from django.conf import settings
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from diary import catalogue, services, spam
from diary.models import Article, Category, Event, Occurrence, Organiser, Tag
from venues.models import Municipality, Venue


def local(*args) -> datetime:
    """An aware datetime in the city's time zone: local(2026, 3, 29, 19, 0)."""
    return datetime(*args, tzinfo=ZoneInfo(settings.TIME_ZONE))


class ShownFactory(factory.django.DjangoModelFactory):
    """What events show (venues, areas, categories, tags), saved through diary.catalogue like
    every door; the one its get-or-create fields name, if it exists."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        keys = {name: kwargs[name] for name in cls._meta.django_get_or_create}
        found = model_class._default_manager.filter(**keys).first()
        return found or catalogue.shown_save(obj=model_class(*args, **kwargs))


class MunicipalityFactory(ShownFactory):
    class Meta:
        model = Municipality
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Municipality {n}")
    slug = factory.Sequence(lambda n: f"municipality-{n}")


class VenueFactory(ShownFactory):
    class Meta:
        model = Venue
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Venue {n}")
    slug = factory.Sequence(lambda n: f"venue-{n}")
    street_address = factory.Sequence(lambda n: f"Rue de l'Exemple {n}")
    postal_code = "1000"
    municipality = factory.SubFactory(MunicipalityFactory)


class CategoryFactory(ShownFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = "Music"
    slug = "music"


class TagFactory(ShownFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"tag {n}")
    slug = factory.Sequence(lambda n: f"tag-{n}")


class OrganiserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organiser

    name = factory.Sequence(lambda n: f"Organiser {n}")
    email = factory.Sequence(lambda n: f"organiser{n}@example.org")


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"Story {n}")
    url = factory.Sequence(lambda n: f"https://magazine.example/story-{n}/")
    published_on = factory.LazyFunction(lambda: timezone.localdate())

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return catalogue.article_save(article=model_class(*args, **kwargs))


class EventFactory(factory.django.DjangoModelFactory):
    """A published event next week at 19:00, saved through `event_save` like every door."""

    class Meta:
        model = Event
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Event {n}")
    category = factory.SubFactory(CategoryFactory)
    venue = factory.SubFactory(VenueFactory)
    start = factory.LazyFunction(
        lambda: (timezone.localtime() + timedelta(days=7)).replace(
            hour=19, minute=0, second=0, microsecond=0
        )
    )
    end = factory.LazyAttribute(lambda event: event.start + timedelta(hours=2))
    publication_state = Event.PublicationState.PUBLISHED

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.event_save(event=model_class(*args, **kwargs))

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            services.event_relations_set(event=self, tags=extracted)


# What the organisers' form posts (diary.submissions), for the tests of every door it opens.


def started(seconds_ago: float = 10) -> str:
    return signing.dumps(time.time() - seconds_ago, salt=spam.SALT)


def form_data(**overrides) -> dict:
    data = {
        "organiser_name": "Collectif Canal",
        "organiser_email": "canal@example.org",
        "title": "Repair Café",
        "summary": "Bring your broken things",
        "description": "<p>Every <strong>Tuesday</strong>.</p>",
        "category": CategoryFactory(slug="workshop", name="Workshop").pk,
        "venue_name": VenueFactory(name="Recyclart", slug="recyclart").name,
        "start": "2026-12-01T19:00",
        "end": "2026-12-01T21:00",
        "repeat": "weekly",
        "weekly_days": ["TU"],
        "repeat_until": "2026-12-22",
        "is_free": "on",
        "started": started(),
        "website_url": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def png(size=(800, 600), exif: bool = False) -> SimpleUploadedFile:
    image = Image.new("RGB", size, "orange")
    out = BytesIO()
    if exif:
        info = Image.Exif()
        info[0x010F] = "SecretCamera"  # Make
        image.save(out, format="PNG", exif=info)
    else:
        image.save(out, format="PNG")
    return SimpleUploadedFile("poster.png", out.getvalue(), content_type="image/png")


# What a page or a list shows.


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def titles(dates) -> list[str]:
    """The event titles of a list's dates (the agenda lists them narrow: ids and times)."""
    named = dict(
        Occurrence.objects.filter(pk__in=[d.pk for d in dates]).values_list("pk", "event__title_en")
    )
    return [named[date.pk] for date in dates]
