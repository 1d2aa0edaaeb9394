"""The demo city: real Brussels places and magazine stories, plus generated events.

This is the only place, beside settings, that knows about Brussels. Everything is upserted by
a natural key (slug, URL, UID), so seeding twice changes nothing, and generated events depend
only on the seed and the day they are generated around.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from common.translation import columns
from diary import catalogue, images, journal, posters, recurrence
from diary.models import Article, Category, Event, Language, Organiser, Tag
from diary.services import event_relations_set, event_save, events_bulk_create
from venues.models import Municipality, Venue

# The 19 municipalities: (slug, French, Dutch); English uses the French name, but for the
# City of Brussels.
MUNICIPALITIES = [
    ("anderlecht", "Anderlecht", "Anderlecht"),
    ("auderghem", "Auderghem", "Oudergem"),
    ("berchem-sainte-agathe", "Berchem-Sainte-Agathe", "Sint-Agatha-Berchem"),
    ("brussels", "Bruxelles", "Brussel"),
    ("etterbeek", "Etterbeek", "Etterbeek"),
    ("evere", "Evere", "Evere"),
    ("forest", "Forest", "Vorst"),
    ("ganshoren", "Ganshoren", "Ganshoren"),
    ("ixelles", "Ixelles", "Elsene"),
    ("jette", "Jette", "Jette"),
    ("koekelberg", "Koekelberg", "Koekelberg"),
    ("molenbeek-saint-jean", "Molenbeek-Saint-Jean", "Sint-Jans-Molenbeek"),
    ("saint-gilles", "Saint-Gilles", "Sint-Gillis"),
    ("saint-josse-ten-noode", "Saint-Josse-ten-Noode", "Sint-Joost-ten-Node"),
    ("schaerbeek", "Schaerbeek", "Schaarbeek"),
    ("uccle", "Uccle", "Ukkel"),
    ("watermael-boitsfort", "Watermael-Boitsfort", "Watermaal-Bosvoorde"),
    ("woluwe-saint-lambert", "Woluwe-Saint-Lambert", "Sint-Lambrechts-Woluwe"),
    ("woluwe-saint-pierre", "Woluwe-Saint-Pierre", "Sint-Pieters-Woluwe"),
]
ENGLISH_NAMES = {"brussels": "Brussels"}


@dataclass(frozen=True)
class DemoVenue:
    """A real place: its name (English, the slug's) and French street, with the French and
    Dutch name and the Dutch street where they differ."""

    name: str
    street_address: str
    postal_code: str
    municipality: str
    latitude: str
    longitude: str
    website: str
    step_free: bool = True
    street_nl: str = ""
    name_fr: str = ""
    name_nl: str = ""

    @property
    def slug(self) -> str:
        return slugify(self.name)

    def texts(self) -> dict[str, str]:
        return {
            "name_en": self.name,
            "name_fr": self.name_fr or self.name,
            "name_nl": self.name_nl or self.name,
            "street_address_fr": self.street_address,
            "street_address_nl": self.street_nl or self.street_address,
        }


VENUES = [
    DemoVenue(
        "Tour & Taxis", "Avenue du Port 86C", "1000", "brussels", "50.866000", "4.348000",
        "https://www.tour-taxis.com", street_nl="Havenlaan 86C",
    ),
    DemoVenue(
        "Bozar", "Rue Ravenstein 23", "1000", "brussels", "50.844200", "4.359700",
        "https://www.bozar.be", street_nl="Ravensteinstraat 23",
    ),
    DemoVenue(
        "Flagey", "Place Sainte-Croix", "1050", "ixelles", "50.827600", "4.372200",
        "https://www.flagey.be", street_nl="Heilig-Kruisplein",
    ),
    DemoVenue(
        "Ancienne Belgique", "Boulevard Anspach 110", "1000", "brussels", "50.847800",
        "4.348600", "https://www.abconcerts.be", street_nl="Anspachlaan 110",
    ),
    DemoVenue(
        "La Monnaie / De Munt", "Place de la Monnaie", "1000", "brussels", "50.849500",
        "4.354000", "https://www.lamonnaiedemunt.be", street_nl="Muntplein",
        name_fr="La Monnaie", name_nl="De Munt",
    ),
    DemoVenue(
        "Botanique", "Rue Royale 236", "1210", "saint-josse-ten-noode", "50.855100", "4.366000",
        "https://botanique.be", street_nl="Koningsstraat 236", name_nl="Kruidtuin",
    ),
    DemoVenue(
        "KANAL – Centre Pompidou", "Place Sainctelette 21", "1000", "brussels", "50.861700",
        "4.348700", "https://kanal.brussels", street_nl="Saincteletteplein 21",
    ),
    DemoVenue(
        "Atomium", "Place de l'Atomium 1", "1020", "brussels", "50.894900", "4.341500",
        "https://www.atomium.be", step_free=False, street_nl="Atomiumplein 1",
    ),
    DemoVenue(
        "Parc du Cinquantenaire", "Parc du Cinquantenaire", "1000", "brussels", "50.839900",
        "4.392500", "https://www.brussels.be/cinquantenaire-park", street_nl="Jubelpark",
        name_nl="Jubelpark",
    ),
    DemoVenue(
        "Recyclart", "Rue de Manchester 13-15", "1080", "molenbeek-saint-jean", "50.854100",
        "4.327600", "https://recyclart.be", street_nl="Manchesterstraat 13-15",
    ),
    DemoVenue(
        "Cirque Royal", "Rue de l'Enseignement 81", "1000", "brussels", "50.849700", "4.367100",
        "https://www.cirque-royal-bruxelles.be", street_nl="Onderrichtsstraat 81",
        name_nl="Koninklijk Circus",
    ),
    DemoVenue(
        "Forest National", "Avenue Victor Rousseau 208", "1190", "forest", "50.810200",
        "4.325400", "https://www.forest-national.be", street_nl="Victor Rousseaulaan 208",
        name_nl="Vorst Nationaal",
    ),
    DemoVenue(
        "Wiels", "Avenue Van Volxem 354", "1190", "forest", "50.825900", "4.324200",
        "https://www.wiels.org", street_nl="Van Volxemlaan 354",
    ),
    DemoVenue(
        "Halles de Schaerbeek", "Rue Royale-Sainte-Marie 22", "1030", "schaerbeek", "50.866400",
        "4.373700", "https://www.halles.be", street_nl="Koninklijke Sinte-Mariastraat 22",
        name_nl="Hallen van Schaarbeek",
    ),
    DemoVenue(
        "Beursschouwburg", "Rue Auguste Orts 20-28", "1000", "brussels", "50.848500", "4.348300",
        "https://www.beursschouwburg.be", step_free=False, street_nl="Auguste Ortsstraat 20-28",
    ),
    DemoVenue(
        "Kaaitheater", "Square Sainctelette 20", "1000", "brussels", "50.861500", "4.350100",
        "https://www.kaaitheater.be", street_nl="Saincteletteplein 20",
    ),
    DemoVenue(
        "Cinematek", "Rue Baron Horta 9", "1000", "brussels", "50.844500", "4.359400",
        "https://www.cinematek.be", street_nl="Baron Hortastraat 9",
    ),
    DemoVenue(
        "Marché du Midi", "Boulevard du Midi", "1060", "saint-gilles", "50.836500", "4.336500",
        "https://www.stgilles.brussels", street_nl="Zuidlaan", name_nl="Zuidmarkt",
    ),
]  # fmt: skip

# The magazine's topics: (slug, English, French, Dutch).
TAGS = [
    ("smart-city", "smart city", "ville intelligente", "slimme stad"),
    ("city-branding", "city branding", "image de la ville", "citymarketing"),
    ("new-economy", "New Economy", "Nouvelle économie", "Nieuwe economie"),
    ("urban-jungle", "Urban Jungle", "Jungle urbaine", "Stadsjungle"),
    ("foodie-guide", "Foodie guide", "Guide gourmand", "Foodiegids"),
    ("local-makers-shakers", "Local Makers & Shakers", "Créateurs d'ici", "Lokale makers"),
    ("fashion-city", "Fashion City", "Ville de la mode", "Modestad"),
    ("photo-stories", "Photo Stories", "Histoires en images", "Fotoverhalen"),
    ("travel-tourism", "Travel & Tourism", "Voyage & tourisme", "Reizen & toerisme"),
    (
        "culture-creativity",
        "Culture & Creativity",
        "Culture & créativité",
        "Cultuur & creativiteit",
    ),
]

MAGAZINE = "https://welovebrussels.eu"
SMART_CITY_ARTICLE = {
    "title": "Smart City – branding and the need for citizen engagement",
    "author": "Editorial Team",
    "published_on": date(2016, 5, 4),
    "excerpt": (
        "WeLoveBrussels participated at the first Brussels Smart City event, organized on "
        "3rd of May 2016 at Tour & Taxis."
    ),
    "tags": ["smart-city", "city-branding"],
    "section": "urban-life",
    "reading_minutes": 3,  # the magazine's own "3 minute read"
}
ARTICLES = [
    SMART_CITY_ARTICLE,
    {
        "title": "Belgian economic mission to Japan with large Brussels delegation",
        "author": "Editorial Team",
        "published_on": date(2022, 12, 6),
        "excerpt": "",
        "tags": ["city-branding"],
        "section": "urban-life",  # City Branding, in the menu
    },
    {
        "title": "Brussels Region opens economic office in the heart of Copenhagen",
        "author": "Editorial Team",
        "published_on": date(2022, 11, 23),
        "excerpt": "",
        "tags": ["city-branding", "new-economy"],
        "section": "urban-life",  # City Branding, in the menu
    },
    {
        "title": "Copenhagen and Brussels strengthen ties",
        "author": "Editorial Team",
        "published_on": date(2022, 11, 21),
        "excerpt": "",
        "tags": ["city-branding"],
        "section": "urban-life",  # City Branding, in the menu
    },
]

ORGANISERS = [
    ("Brussels Inspiration Bureau", "events@welovebrussels.example", True),
    ("Collectif Canal", "hello@collectif-canal.example", False),
    ("Les Amis du Marché", "marche@amis.example", False),
]

# Generated titles: category slug → [(English, French, Dutch)].
TITLES = {
    "music": [
        ("Jazz Session", "Session jazz", "Jazzsessie"),
        ("Piano Recital", "Récital de piano", "Pianorecital"),
        ("Brass Band Night", "Soirée fanfare", "Fanfareavond"),
        ("Indie Showcase", "Vitrine indie", "Indieshowcase"),
        ("Choir", "Chorale", "Koor"),
    ],
    "exhibition": [
        ("Photography Now", "La photographie aujourd'hui", "Fotografie nu"),
        ("Art Nouveau Drawings", "Dessins Art nouveau", "Art-nouveautekeningen"),
        ("Young Painters", "Jeunes peintres", "Jonge schilders"),
        ("Comics Wall", "Mur de BD", "Stripmuur"),
    ],
    "theatre": [
        ("Improv Evening", "Soirée d'impro", "Improvisatieavond"),
        ("A Midsummer Night's Dream", "Le Songe d'une nuit d'été", "Een midzomernachtsdroom"),
        ("Solo Stand-up", "Seul en scène", "Solo stand-up"),
        ("Puppet Show", "Spectacle de marionnettes", "Poppenkast"),
    ],
    "dance": [
        ("Contemporary Dance", "Danse contemporaine", "Hedendaagse dans"),
        ("Tango Milonga", "Milonga de tango", "Tangomilonga"),
        ("Hip-hop Battle", "Battle hip-hop", "Hiphopbattle"),
    ],
    "film": [
        ("Silent Film with Live Piano", "Film muet avec piano live", "Stille film met live piano"),
        ("Documentary Night", "Soirée documentaire", "Documentaireavond"),
        ("Belgian Shorts", "Courts métrages belges", "Belgische kortfilms"),
    ],
    "talk": [
        ("Smart City Meetup", "Rencontre ville intelligente", "Slimme-stadmeetup"),
        ("Urban Jungle Talk", "Conférence jungle urbaine", "Lezing stadsjungle"),
        ("City Branding Breakfast", "Petit-déjeuner image de la ville", "Citymarketingontbijt"),
        ("Book Talk", "Rencontre littéraire", "Boekengesprek"),
    ],
    "festival": [
        ("Neighbourhood Festival", "Fête de quartier", "Buurtfeest"),
        ("Street Art Weekend", "Week-end street art", "Streetartweekend"),
        ("Design Days", "Journées du design", "Designdagen"),
    ],
    "family": [
        ("Story Time", "L'heure du conte", "Voorleesuurtje"),
        ("Family Science Lab", "Labo des sciences en famille", "Wetenschapslab voor gezinnen"),
        ("Kids' Disco", "Boum des enfants", "Kinderdisco"),
    ],
    "food-drink": [
        ("Craft Beer Tasting", "Dégustation de bières artisanales", "Ambachtelijke bierproeverij"),
        ("Waffle Workshop", "Atelier gaufres", "Wafelworkshop"),
        ("Chocolate Walk", "Balade chocolat", "Chocoladewandeling"),
    ],
    "market": [
        ("Flea Market", "Marché aux puces", "Rommelmarkt"),
        ("Farmers' Market", "Marché fermier", "Boerenmarkt"),
        ("Vintage Fair", "Foire vintage", "Vintagebeurs"),
    ],
    "nightlife": [
        ("Rooftop DJ Night", "Soirée DJ sur le toit", "DJ-avond op het dak"),
        ("Silent Disco", "Silent disco", "Silent disco"),
        ("Techno Warehouse", "Entrepôt techno", "Technoloods"),
    ],
    "sport": [
        ("Canal Run", "Course du canal", "Kanaalloop"),
        ("Park Yoga", "Yoga au parc", "Yoga in het park"),
        ("Bike Tour of the Parks", "Tour des parcs à vélo", "Fietstocht langs de parken"),
    ],
    "guided-tour": [
        ("Art Nouveau Walk", "Promenade Art nouveau", "Art-nouveauwandeling"),
        ("Comic Strip Route", "Parcours BD", "Stripverhalenroute"),
        ("Hidden Gardens Tour", "Visite des jardins cachés", "Rondleiding verborgen tuinen"),
    ],
    "workshop": [
        ("Screen Printing", "Sérigraphie", "Zeefdruk"),
        ("Repair Café", "Repair Café", "Repair Café"),
        ("Ceramics for Beginners", "Céramique pour débutants", "Keramiek voor beginners"),
    ],
}
# A generated event's texts, in each language.
SUMMARIES = {
    "en": "{title}: a demo event of the city agenda.",
    "fr": "{title} : un événement de démonstration de l'agenda.",
    "nl": "{title}: een demo-evenement van de stadsagenda.",
}
DESCRIPTIONS = {
    "en": "<p>{title}. Generated demo data.</p>",
    "fr": "<p>{title}. Données de démonstration générées.</p>",
    "nl": "<p>{title}. Gegenereerde demogegevens.</p>",
}
AT_VENUE = {"en": "{title} at {venue}", "fr": "{title} – {venue}", "nl": "{title} – {venue}"}

# Generated events on a magazine topic carry its tag, so they find its stories.
TITLE_TAGS = {
    "Smart City Meetup": ["smart-city"],
    "City Branding Breakfast": ["city-branding"],
    "Urban Jungle Talk": ["urban-jungle"],
    "Design Days": ["culture-creativity"],
    "Craft Beer Tasting": ["foodie-guide"],
    "Chocolate Walk": ["foodie-guide"],
    "Repair Café": ["local-makers-shakers"],
}

# Events inserted at once: each batch is one change of the journal.
BATCH_SIZE = 1000
# The iCal texts rendered as the city is loaded, of the nearest events (from a week ago, as
# the feeds open): more than a subscription carries (DIARY_FEED_MAX_BYTES, 900 KB, holds
# about 1,300), so its first visitor reads them; further ones are rendered by the feeds that
# read them. Rendering all of 100,000 events (2 ms each) would triple the loading time.
RENDERED = 3000
# Generated events that get a poster (diary.posters) when `seed_demo` loads the city: drawing
# one and making its sizes takes a few tens of milliseconds.
PICTURES = 150
# Every PICK_EVERY-th generated event is an editors' pick, with one of these reasons (by its
# number, not the RNG, so that the rest of the city stays as it was).
PICK_EVERY = 10
PICK_REASONS = (
    {
        "en": "Our favourite of the season.",
        "fr": "Notre préféré de la saison.",
        "nl": "Onze favoriet van het seizoen.",
    },
    {
        "en": "Go early: the room is small.",
        "fr": "Venez tôt : la salle est petite.",
        "nl": "Kom vroeg: de zaal is klein.",
    },
    {
        "en": "A rare chance to see it in Brussels.",
        "fr": "Une occasion rare de le voir à Bruxelles.",
        "nl": "Een zeldzame kans om het in Brussel te zien.",
    },
)


@journal.door("demo")
def demo_city_seed(
    *,
    events: int,
    venues: int,
    seed: int,
    today: date | None = None,
    pictures: int = 0,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Create (or complete) the demo city. Returns how many generated events were added.
    The first `pictures` generated events get a poster (diary.posters) and its sizes, and
    so do the stories and the real venues unless `pictures` is 0."""
    today = today or timezone.localdate()
    with transaction.atomic():
        municipalities = _seed_municipalities()
        venue_list = _seed_venues(venues, municipalities, random.Random(seed))
        tags = _seed_tags()
        _seed_articles(tags)
        organisers = _seed_organisers()
        _seed_smart_city_event()
        if pictures:
            _seed_pictures()
    with journal.rendered_together(at_most=0):
        created = _seed_events(
            count=events,
            seed=seed,
            today=today,
            venues=venue_list,
            tags=list(tags.values()),
            organisers=organisers,
            pictures=pictures,
            progress=progress,
        )
    nearest = Event.objects.published().filter(start__gte=timezone.now() - timedelta(days=7))
    journal.texts_render(
        list(nearest.order_by("start", "pk").values_list("pk", flat=True)[:RENDERED])
    )
    return {"events": created, "venues": len(venue_list)}


def _seed_municipalities() -> dict[str, Municipality]:
    for slug, french, dutch in MUNICIPALITIES:
        names = {"name_en": ENGLISH_NAMES.get(slug, french), "name_fr": french, "name_nl": dutch}
        area = Municipality.objects.filter(slug=slug).first() or Municipality(slug=slug)
        for name, value in names.items():
            setattr(area, name, value)
        catalogue.shown_save(obj=area)
    return {m.slug: m for m in Municipality.objects.all()}


def _seed_venues(count: int, municipalities: dict, rng: random.Random) -> list[Venue]:
    wanted = []
    for real in VENUES[:count]:
        wanted.append(
            (
                real.slug,
                {
                    **real.texts(),
                    "postal_code": real.postal_code,
                    "municipality": municipalities[real.municipality],
                    "latitude": Decimal(real.latitude),
                    "longitude": Decimal(real.longitude),
                    "website": real.website,
                    "step_free_access": real.step_free,
                    "accessible_toilets": real.step_free,
                },
            )
        )
    slugs = sorted(municipalities)
    for number in range(len(VENUES) + 1, count + 1):
        municipality = municipalities[rng.choice(slugs)]
        wanted.append(
            (
                f"demo-venue-{number}",
                {
                    "name_en": f"Demo Venue {number}",
                    "name_fr": f"Lieu de démo {number}",
                    "name_nl": f"Demolocatie {number}",
                    "street_address_fr": f"Rue de la Démo {number}",
                    "street_address_nl": f"Demostraat {number}",
                    "postal_code": "1000",
                    "municipality": municipality,
                    "latitude": Decimal(f"{rng.uniform(50.79, 50.90):.6f}"),
                    "longitude": Decimal(f"{rng.uniform(4.29, 4.45):.6f}"),
                    "step_free_access": rng.random() < 0.6,
                },
            )
        )
    existing = set(
        Venue.objects.filter(slug__in=[s for s, _ in wanted]).values_list("slug", flat=True)
    )
    new = Venue.objects.bulk_create(
        [Venue(slug=slug, **fields) for slug, fields in wanted if slug not in existing]
    )
    if new:
        journal.record(action="created", subject=f"{len(new)} venues")
    return list(Venue.objects.filter(slug__in=[slug for slug, _ in wanted]).order_by("pk"))


def _seed_tags() -> dict[str, Tag]:
    for slug, *names in TAGS:
        catalogue.shown_get_or_create(
            Tag, slug=slug, defaults=dict(zip(columns("name"), names, strict=True))
        )
    return {tag.slug: tag for tag in Tag.objects.filter(slug__in=[slug for slug, *_ in TAGS])}


def article_url(title: str) -> str:
    return f"{MAGAZINE}/{slugify(title)}/"


def _seed_articles(tags: dict[str, Tag]) -> None:
    shown = ("title", "author", "published_on", "excerpt", "section", "reading_minutes")
    for data in ARTICLES:
        url = article_url(data["title"])
        article = Article.objects.filter(url=url).first() or Article(url=url)
        for key in shown:
            if key in data:
                setattr(article, key, data[key])
        catalogue.article_save(article=article, tags=[tags[slug] for slug in data["tags"]])


def _seed_pictures() -> None:
    """Posters for the stories (in their section's colour) and the real venues (in a colour
    of their own, with their area's name)."""
    stories = Article.objects.filter(url__in=[article_url(a["title"]) for a in ARTICLES])
    for story in stories:
        label, ground = story.get_section_display(), posters.colour(story.section)
        _picture_give(
            story, key=slugify(story.title), label=label, ground=ground, size=posters.WIDE
        )
    real = Venue.objects.filter(slug__in=[venue.slug for venue in VENUES])
    for venue in real.select_related("municipality"):
        ground = random.Random(venue.slug).choice(list(posters.COLOURS.values()))
        _picture_give(venue, key=venue.slug, label=str(venue.municipality or ""), ground=ground)


def _seed_organisers() -> list[Organiser]:
    for name, email, trusted in ORGANISERS:
        Organiser.objects.get_or_create(email=email, defaults={"name": name, "is_trusted": trusted})
    return list(Organiser.objects.filter(email__in=[email for _, email, _ in ORGANISERS]))


def _seed_smart_city_event() -> None:
    uid = f"demo-brussels-smart-city-2016@{settings.DIARY_UID_DOMAIN}"
    if Event.objects.filter(uid=uid).exists():
        return
    tz = ZoneInfo(settings.TIME_ZONE)
    event = event_save(
        event=Event(
            uid=uid,
            title_en="Brussels Smart City",
            title_fr="Bruxelles Smart City",
            title_nl="Brussel Smart City",
            slug="brussels-smart-city-2016",
            summary_en="The first Brussels Smart City event.",
            summary_fr="La première édition de Bruxelles Smart City.",
            summary_nl="De eerste editie van Brussel Smart City.",
            category=Category.objects.get(slug="talk"),
            venue=Venue.objects.get(slug="tour-taxis"),
            start=datetime(2016, 5, 3, 9, 0, tzinfo=tz),
            end=datetime(2016, 5, 3, 18, 0, tzinfo=tz),
            is_free=True,
            publication_state=Event.PublicationState.PUBLISHED,
        )
    )
    event_relations_set(
        event=event,
        tags=Tag.objects.filter(slug__in=["smart-city", "city-branding"]),
        related_articles=Article.objects.filter(url=article_url(SMART_CITY_ARTICLE["title"])),
    )


def _seed_events(
    *,
    count: int,
    seed: int,
    today: date,
    venues: list[Venue],
    tags: list[Tag],
    organisers: list[Organiser],
    pictures: int,
    progress: Callable[[int], None] | None,
) -> int:
    rng = random.Random(seed)
    prefix = f"demo-{seed}-"
    existing = set(
        Event.objects.filter(uid__startswith=prefix).values_list("uid", flat=True).iterator()
    )
    categories = {c.slug: c for c in Category.objects.filter(slug__in=TITLES)}
    languages = list(Language.objects.filter(code__in=["fr", "nl", "en"]))
    tz = ZoneInfo(settings.TIME_ZONE)
    now = timezone.now()
    created = 0
    batch: list[tuple[Event, list[Tag], list[Language]]] = []
    for number in range(1, count + 1):
        # Draw every number even for existing events, so the rest stay identical.
        drawn = _draw_event(
            rng, number, seed, today, tz, venues, tags, organisers, languages, categories
        )
        if drawn[0].uid in existing:
            continue
        if number <= pictures:
            event = drawn[0]
            category = event.category.slug if event.category else ""
            label = category.replace("-", " ")
            _picture(event, key=f"{seed}-{number}", label=label, ground=posters.colour(category))
        batch.append(drawn)
        if len(batch) >= BATCH_SIZE:
            created += _events_create(batch, now=now)
            if progress:
                progress(len(batch))
            batch = []
    if batch:
        created += _events_create(batch, now=now)
        if progress:
            progress(len(batch))
    return created


def _events_create(batch: list, *, now) -> int:
    """A batch inserted at once (no save, so their pictures' sizes are made here)."""
    created = events_bulk_create(batch, now=now)
    for event, _tags, _languages in batch:
        if event.image:
            images.sizes_generate(event)
    return created


def _picture(obj, *, key: str, label: str, ground: str, size=posters.SIZE) -> None:
    """A poster for a generated event, a story or a venue, written once (a rerun finds it):
    its title or name, `label` and a `ground` colour. No description: the poster says the
    title the page shows beside it (decorative)."""
    name = f"{obj._meta.model_name}s/demo/{key}.jpg"
    if not default_storage.exists(name):
        title = obj.own_title if isinstance(obj, Event) else str(obj)
        drawn = posters.poster(title=title, label=label, ground=ground, key=key, size=size)
        default_storage.save(name, ContentFile(drawn))
    obj.image.name = name
    obj.image_width, obj.image_height = size


def _picture_give(obj, **poster) -> None:
    """Give a stored story or venue without a picture its poster, and the poster's sizes."""
    if obj.image:
        return
    _picture(obj, **poster)
    type(obj).objects.filter(pk=obj.pk).update(image=obj.image.name)
    images.sizes_make(obj)  # as a save that brings a picture (images.Pictured.save)


# The shape of a capital's agenda (Brussels: some 24,000 events a year): a quarter are
# exhibitions that run for weeks, then concerts, stage, talks; a few festivals and markets.
# Weights by category; every category in TITLES has one.
CATEGORY_WEIGHTS = {
    "exhibition": 24, "music": 17, "theatre": 8, "talk": 8, "film": 6, "family": 6,
    "workshop": 5, "nightlife": 5, "guided-tour": 4, "dance": 4, "food-drink": 4,
    "sport": 3, "festival": 3, "market": 3,
}  # fmt: skip
# How long a run lasts, in days: exhibitions for weeks or months, festivals for days.
RUN_DAYS = {"exhibition": [21, 28, 42, 56, 70, 90], "festival": [2, 3, 4, 7, 10]}
# When a happening starts: most in the evening; families, tours, workshops and markets
# by day.
EVENING = [18, 19, 19, 20, 20, 20, 21, 22]
DAYTIME = [9, 10, 10, 11, 14, 14, 15, 16]
BY_DAY = {"family", "guided-tour", "workshop", "market", "sport", "food-drink"}
# Who is on stage, by category (made-up names, in the languages of Brussels).
PERFORMERS = {
    "music": ["Les Filles du Canal", "Trio Marolles", "DJ Zinneke", "Orchestre de la Senne",
              "Noor Vandamme", "The Kanal Brass Band", "Quatuor Dansaert"],
    "theatre": ["Compagnie du Sablon", "Theater Zuidpaleis", "Collectif Ixelles"],
    "dance": ["Cie Flagey Danse", "Ensemble Tour & Taxis"],
    "talk": ["Amina El Idrissi", "Pieter De Smet", "Claire Vandenbroucke"],
}  # fmt: skip


def _draw_event(rng, number, seed, today, tz, venues, tags, organisers, languages, categories):
    slugs = sorted(TITLES)
    [category_slug] = rng.choices(slugs, weights=[CATEGORY_WEIGHTS[slug] for slug in slugs])
    names = dict(zip(("en", "fr", "nl"), rng.choice(TITLES[category_slug]), strict=True))
    venue = rng.choice(venues) if venues and rng.random() > 0.08 else None
    titles = {
        code: AT_VENUE[code].format(title=name, venue=getattr(venue, f"name_{code}"))
        if venue
        else name
        for code, name in names.items()
    }
    title = titles["en"]
    texts = _demo_texts(titles, random.Random(f"{seed}-{number}"))
    day = today + timedelta(days=rng.randint(-14, 90))
    hour = rng.choice(DAYTIME if category_slug in BY_DAY else EVENING)
    start_local = datetime.combine(day, time(hour, rng.choice([0, 0, 30])))
    end_local = start_local + timedelta(minutes=rng.choice([60, 90, 120, 180]))
    all_day = False
    rrule = ""
    roll = rng.random()
    if category_slug in RUN_DAYS:
        # A run: many opened weeks ago and are still on, as in a real city.
        all_day = True
        day = today + timedelta(days=rng.randint(-75, 75))
        start_local = datetime.combine(day, time.min)
        end_local = start_local + timedelta(days=rng.choice(RUN_DAYS[category_slug]))
    elif category_slug == "market" or roll < 0.08:
        # Weekly until three months from today.
        until = today + timedelta(days=90)
        rrule = f"FREQ=WEEKLY;UNTIL={until:%Y%m%d}"
    elif category_slug == "talk" and roll < 0.5:
        rrule = "FREQ=MONTHLY;BYDAY=1TH;COUNT=3"
        start_local = datetime.combine(day, time(19, 0))
        end_local = start_local + timedelta(hours=2)
    price_roll = rng.random()
    is_free = price_roll < 0.3
    price_min = None if is_free else Decimal(rng.choice([5, 8, 10, 12, 15, 20]))
    price_max = None if is_free or price_roll < 0.6 else price_min + rng.choice([5, 10, 25])
    status_roll = rng.random()
    status = (
        Event.Status.CANCELLED
        if status_roll < 0.04
        else Event.Status.POSTPONED
        if status_roll < 0.06
        else Event.Status.SCHEDULED
    )
    state_roll = rng.random()
    publication_state = (
        Event.PublicationState.PENDING
        if state_roll < 0.05
        else Event.PublicationState.REJECTED
        if state_roll < 0.06
        else Event.PublicationState.PUBLISHED
    )
    # Drawn apart, so that the rest of the city stays as it was.
    stage = random.Random(f"{seed}-{number}-stage")
    cast = PERFORMERS.get(category_slug, [])
    performers = ", ".join(stage.sample(cast, k=stage.choice([1, 1, 2]))) if cast else ""
    event = Event(
        uid=f"demo-{seed}-{number}@{settings.DIARY_UID_DOMAIN}",
        **texts,
        slug=f"{slugify(title)[:150]}-{seed}-{number}",
        category=categories.get(category_slug),
        venue=venue,
        online_url="" if venue else "https://stream.example/live",
        organiser=rng.choice(organisers) if organisers else None,
        timezone=tz.key,
        start=recurrence.to_aware(start_local, tz),
        end=recurrence.to_aware(end_local, tz),
        all_day=all_day,
        rrule=rrule,
        is_free=is_free,
        price_min=price_min,
        price_max=price_max,
        sold_out=not is_free and stage.random() < 0.06,
        performers=performers,
        family_friendly=category_slug == "family" or rng.random() < 0.1,
        status=status,
        publication_state=publication_state,
    )
    if number % PICK_EVERY == 0:
        event.is_pick = True
        reason = PICK_REASONS[number // PICK_EVERY % len(PICK_REASONS)]
        for code, text in reason.items():
            setattr(event, f"pick_reason_{code}", text)
    chosen_tags = rng.sample(tags, k=min(len(tags), rng.choice([0, 0, 1, 2])))
    topic = [tag for tag in tags if tag.slug in TITLE_TAGS.get(names["en"], [])]
    chosen_tags = list(dict.fromkeys(topic + chosen_tags))
    chosen_languages = rng.sample(languages, k=min(len(languages), rng.randint(1, 2)))
    return event, chosen_tags, chosen_languages


def _demo_texts(titles: dict[str, str], rng: random.Random) -> dict[str, str]:
    """A generated event's texts, as Brussels' listings are written: most in French, then
    English and Dutch; many in their own language only, some in two, a third in all three,
    so that pages show fallbacks. Drawn from an RNG of the event's own, so the rest of the
    city stays as it was."""
    own = rng.choice(["fr", "fr", "fr", "en", "en", "nl", "nl"])
    roll = rng.random()
    others = [code for code in ("en", "fr", "nl") if code != own]
    present = [own, *others] if roll < 0.35 else [own, others[0]] if roll < 0.55 else [own]
    texts = {"text_language": own}
    for code in present:
        texts |= {
            f"title_{code}": titles[code],
            f"summary_{code}": SUMMARIES[code].format(title=titles[code]),
            f"description_{code}": DESCRIPTIONS[code].format(title=titles[code]),
        }
    return texts
