"""An event's image is served at the size each page needs: its sizes are made once, when it
is saved, in WebP and JPEG, and pages name them (srcset) with their pixels, opening no file."""

import json
import re
from datetime import timedelta
from io import BytesIO, StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from imagekit.cachefiles import ImageCacheFile
from PIL import Image

from diary import posters, services
from diary.images import RATIOS, crop_names
from diary.models import Event
from diary.orphan_images import orphan_images_remove
from tests.factories import (
    CategoryFactory,
    EventFactory,
    MunicipalityFactory,
    VenueFactory,
    form_data,
    html_of,
    local,
    png,
)

pytestmark = pytest.mark.django_db


def jpeg(size=(1200, 900)) -> ContentFile:
    out = BytesIO()
    Image.new("RGB", size, "teal").save(out, format="JPEG")
    return ContentFile(out.getvalue(), name="poster.jpg")


def sizes_on_disk(settings) -> list[Path]:
    return sorted((Path(settings.MEDIA_ROOT) / settings.IMAGEKIT_CACHEFILE_DIR).rglob("*.*"))


@pytest.fixture
def generated():
    """Counts the sizes written."""
    with mock.patch.object(
        ImageCacheFile, "_generate", autospec=True, side_effect=ImageCacheFile._generate
    ) as spy:
        yield spy


def test_a_submitted_image_is_sized_once_when_saved(client, settings, generated):
    client.post("/submit/", {**form_data(), "image": png(size=(1200, 900))})
    event = Event.objects.get()
    assert (event.image_width, event.image_height) == (1200, 900)
    files = sizes_on_disk(settings)
    # 480 and 960 pixels wide, and its own 1,200 (never enlarged), each in WebP and JPEG,
    # and its crops for search engines, in JPEG.
    assert sorted(file.suffix for file in files) == [".jpg"] * 6 + [".webp"] * 3
    widths = sorted(Image.open(file).size[0] for file in files if file.suffix == ".webp")
    assert widths == [480, 960, 1200]
    assert generated.call_count == 9

    services.event_publish(event=event)  # a save that keeps the image makes nothing again
    event.title = "Renamed"
    services.event_save(event=event)
    assert generated.call_count == 9


def test_an_editors_upload_is_sized_when_saved(settings):
    event = EventFactory(image=jpeg((800, 600)))
    event.refresh_from_db()
    assert (event.image_width, event.image_height) == (800, 600)
    # Every size is made; the wider ones are the image itself (never enlarged).
    widths = {
        Image.open(file).size[0] for file in sizes_on_disk(settings) if file.suffix == ".webp"
    }
    assert widths == {480, 800}
    event.image = jpeg((600, 800))
    services.event_save(event=event)
    event.refresh_from_db()
    assert (event.image_width, event.image_height) == (600, 800)


def test_the_event_page_names_each_size_with_its_pixels_and_opens_no_file(
    client, settings, django_assert_num_queries
):
    event = EventFactory(image=jpeg((1200, 900)), image_alt="The band on stage")
    plain = EventFactory()
    with CaptureQueriesContext(connection) as without:
        client.get(plain.get_absolute_url())
    with (
        mock.patch("django.core.files.storage.FileSystemStorage.open", side_effect=AssertionError),
        mock.patch(
            "django.core.files.storage.FileSystemStorage.exists", side_effect=AssertionError
        ),
        django_assert_num_queries(len(without.captured_queries)),
    ):
        html = html_of(client.get(event.get_absolute_url()))
    [picture] = re.findall(r"<picture>.*?</picture>", html, re.S)
    webp = re.search(r'<source type="image/webp" sizes="[^"]+" srcset="([^"]+)"', picture)
    assert [entry.split()[1] for entry in webp.group(1).split(", ")] == ["480w", "960w", "1200w"]
    assert all(entry.split()[0].endswith(".webp") for entry in webp.group(1).split(", "))
    img = re.search(r"<img [^>]*>", picture).group()
    assert 'width="1200" height="900"' in img
    assert 'alt="The band on stage"' in img
    assert re.search(r'srcset="[^"]+\.jpg 480w, [^"]+\.jpg 960w, [^"]+\.jpg 1200w"', img)
    assert "<picture>" not in html_of(client.get(plain.get_absolute_url()))


def test_a_missing_file_is_shown_whole_and_never_breaks_the_page(client):
    event = EventFactory()
    event.image.name = "events/2026/12/gone.jpg"
    services.event_save(event=event)
    event.refresh_from_db()
    assert event.image_width is None
    html = html_of(client.get(event.get_absolute_url()))
    assert "<picture>" not in html
    assert 'src="/media/events/2026/12/gone.jpg"' in html


def test_images_saved_before_sizes_get_them_from_the_command(client, settings):
    event = EventFactory(image=jpeg((1000, 500)))
    Event.objects.filter(pk=event.pk).update(image_width=None, image_height=None)
    for file in sizes_on_disk(settings):
        file.unlink()
    out = StringIO()
    call_command("size_images", stdout=out)
    assert out.getvalue() == "Images sized: 1; cropped: 0; missing or unreadable: 0.\n"
    event.refresh_from_db()
    assert (event.image_width, event.image_height) == (1000, 500)
    assert len(sizes_on_disk(settings)) == 6 + 3
    assert "<picture>" in html_of(client.get(event.get_absolute_url()))


def test_images_sized_before_crops_get_them_from_the_command(settings):
    cropped = EventFactory(image=jpeg((1000, 500)))
    EventFactory(image=jpeg((800, 600)))  # cropped already
    for name in crop_names(cropped):
        Path(settings.MEDIA_ROOT, getattr(cropped, name).name).unlink()
    out = StringIO()
    call_command("size_images", stdout=out)
    assert out.getvalue() == "Images sized: 0; cropped: 1; missing or unreadable: 0.\n"
    assert all(Path(settings.MEDIA_ROOT, getattr(cropped, name).name).exists()
               for name in crop_names(cropped))  # fmt: skip
    call_command("size_images", stdout=out)
    assert out.getvalue().endswith("Images sized: 0; cropped: 0; missing or unreadable: 0.\n")


@pytest.mark.parametrize("size", [(1600, 400), (400, 1600), (300, 200)])
def test_an_image_is_cropped_to_each_shape_search_engines_ask_for(size):
    """Google's Event rich results: 16:9, 4:3 and 1:1, at least 720 pixels wide, whatever
    the upload's shape (a banner, a poster, a small photo: its middle, enlarged if it must)."""
    event = EventFactory(image=jpeg(size))
    event.refresh_from_db()
    shapes = {}
    for name in crop_names(event):
        with Image.open(getattr(event, name).path) as crop:
            shapes[name] = crop.size
    assert shapes == {"image_16x9": (1200, 675), "image_4x3": (960, 720), "image_1x1": (720, 720)}
    assert {name: RATIOS[name.removeprefix("image_")] for name in shapes} == shapes
    for width, height in shapes.values():
        assert width >= 720 and width * height >= 50_000


def test_removing_an_orphan_image_removes_its_sizes(settings):
    event = EventFactory(image=jpeg())
    assert sizes_on_disk(settings)
    Event.objects.filter(pk=event.pk).update(image="")
    assert orphan_images_remove(older_than=timedelta(0)) == 1
    assert sizes_on_disk(settings) == []


def test_a_deleted_events_sharing_picture_is_removed_and_no_other(settings):
    kept, deleted = EventFactory(), EventFactory()
    card = Path(settings.MEDIA_ROOT) / deleted.sharing_image.name
    deleted.delete()
    assert orphan_images_remove(older_than=timedelta(0)) == 9  # each language's, each shape's
    assert not card.exists()
    kept_card = Path(settings.MEDIA_ROOT) / kept.sharing_image.name
    assert kept_card.exists()
    assert kept_card.with_suffix(".fr.jpg").exists() and kept_card.with_suffix(".nl.jpg").exists()
    assert (
        kept_card.with_suffix(".4x3.jpg").exists() and kept_card.with_suffix(".nl.1x1.jpg").exists()
    )


def test_a_listed_date_shows_its_picture_or_its_categorys_colour(client):
    music = CategoryFactory(slug="music", name="Music")
    EventFactory(title="Pictured", image=jpeg((1200, 800)), category=music)
    EventFactory(title="Plain", category=music, summary="Bring your own records.")
    EventFactory(title="Uncategorised", category=None)
    html = html_of(client.get("/"))
    rows = {
        re.search(r'<a href="/events/[^"]+">([^<]+)</a>', row).group(1): row
        for row in re.findall(r'<li class="occurrence.*?</li>', html, re.S)
    }
    pictured = rows["Pictured"]
    assert 'loading="lazy"' in pictured and 'width="1200" height="800"' in pictured
    assert re.search(r'srcset="[^"]+\.webp 480w, [^"]+\.webp 960w, [^"]+\.webp 1200w"', pictured)
    assert 'class="tile"' not in pictured
    plain = rows["Plain"]
    assert "<img" not in plain
    assert f'<span class="tile" style="--tile: {posters.colour("music")}">Music</span>' in plain
    assert '<span class="summary-line">Bring your own records.</span>' in plain
    assert f'<span class="tile" style="--tile: {posters.OTHER}"></span>' in rows["Uncategorised"]


# What a shared link shows (Open Graph)


def og(client, event, prefix: str = "") -> dict[str, str]:
    html = html_of(client.get(prefix + event.get_absolute_url()))
    return dict(re.findall(r'<meta property="og:(image[:a-z]*)" content="([^"]*)">', html))


@pytest.fixture
def drawn():
    """Counts the sharing pictures drawn."""
    with mock.patch.object(posters, "sharing_card", side_effect=posters.sharing_card) as spy:
        yield spy


def test_an_event_without_a_picture_is_shared_with_one_drawn_once(client, settings, drawn):
    event = EventFactory(title="Jazz Session", start=local(2026, 12, 12, 20))
    assert drawn.call_count == 9  # one per language, in each of the three shapes
    english = drawn.call_args_list[0].kwargs
    assert english["title"] == "Jazz Session"
    assert english["when"] == "Saturday 12 December 2026, 20:00"
    shared = og(client, event)
    assert shared["image"] == f"http://testserver/media/{event.sharing_image.name}"
    assert (shared["image:width"], shared["image:height"]) == ("1200", "675")
    card = Path(settings.MEDIA_ROOT) / event.sharing_image.name
    for name, size in [("", (1200, 675)), (".4x3", (960, 720)), (".fr.1x1", (720, 720))]:
        with Image.open(card.with_suffix(f"{name}.jpg")) as drawn_card:
            assert drawn_card.size == size

    event.is_free = True  # the picture does not say it: nothing is drawn
    services.event_save(event=event)
    for _ in range(3):
        og(client, event)  # nor by any request
    assert drawn.call_count == 9


def test_the_sharing_picture_is_drawn_again_when_what_it_says_changes(settings, drawn):
    event = EventFactory(title="Jazz Session")
    first = Path(settings.MEDIA_ROOT) / event.sharing_image.name
    siblings = [first.with_suffix(f".{name}.jpg") for name in ("fr", "nl", "4x3", "fr.1x1")]
    assert all(sibling.exists() for sibling in siblings)
    event.title = "Jazz Session, second set"
    services.event_save(event=event)
    assert drawn.call_count == 18
    assert not first.exists() and not any(sibling.exists() for sibling in siblings)
    assert (Path(settings.MEDIA_ROOT) / event.sharing_image.name).exists()
    with translation.override("fr"):
        assert services.event_save(event=event)  # saved from a French page: same pictures
    assert drawn.call_count == 18


def test_each_language_shares_its_own_picture_with_the_next_date_and_the_status(
    client, settings, drawn, time_machine
):
    """A French page shared its English card, and a running exhibition's card gave the day
    it opened, weeks ago."""
    time_machine.move_to(local(2026, 12, 7, 12))
    ixelles = MunicipalityFactory(slug="ixelles", name_en="Ixelles", name_nl="Elsene")
    show = EventFactory(
        title="Young Painters",
        title_fr="Jeunes peintres",
        title_nl="Jonge schilders",
        venue=VenueFactory(name="Flagey", municipality=ixelles),
        start=local(2026, 11, 25),
        end=local(2026, 12, 23),
        all_day=True,
    )
    cards = {call.kwargs["title"]: call.kwargs for call in drawn.call_args_list}
    assert cards["Jeunes peintres"]["when"] == "25 novembre – 22 décembre 2026"
    assert cards["Jonge schilders"]["when"] == "25 november – 22 december 2026"
    assert cards["Young Painters"]["when"] == "25 November – 22 December 2026"
    assert "Elsene" in cards["Jonge schilders"]["where"]
    assert cards["Jeunes peintres"]["mark"] == "Agenda"
    assert {card["status"] for card in cards.values()} == {""}
    french = og(client, show, prefix="/fr")["image"]
    assert french == f"http://testserver/media/{show.sharing_image.name[:-4]}.fr.jpg"
    assert (Path(settings.MEDIA_ROOT) / french.split("/media/")[1]).exists()
    show.status = Event.Status.CANCELLED
    services.event_save(event=show)
    statuses = {call.kwargs["status"] for call in drawn.call_args_list[-9:]}
    assert statuses == {"Cancelled", "Annulé", "Geannuleerd"}


def test_an_event_with_a_picture_shares_its_own(client, drawn):
    event = EventFactory(image=jpeg((1600, 1000)), image_alt="The band")
    assert drawn.call_count == 0
    assert not event.sharing_image
    shared = og(client, event)
    assert shared["image"].endswith(".jpg") and "/CACHE/images/" in shared["image"]
    assert (shared["image:width"], shared["image:height"]) == ("960", "600")
    assert shared["image:alt"] == "The band"


def test_search_engines_get_the_picture_in_each_shape_they_ask_for(client, settings):
    """schema.org's image, as Google's Event rich results want it: 16:9, 4:3 and 1:1, at
    least 720 pixels wide; the event's own picture cropped, or its card in the page's
    language; none before a card is drawn (an event inserted in bulk)."""
    pictured = EventFactory(image=jpeg((1600, 500)))
    plain = EventFactory()
    bulk = EventFactory()
    Event.objects.filter(pk=bulk.pk).update(sharing_image="")

    def found(event, prefix=""):
        html = html_of(client.get(prefix + event.get_absolute_url()))
        payload = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
        return json.loads(payload.group(1)).get("image", [])

    def shapes(urls):
        measured = []
        for url in urls:
            assert url.startswith("http://testserver/media/")
            with Image.open(
                Path(settings.MEDIA_ROOT, url.removeprefix("http://testserver/media/"))
            ) as picture:
                measured.append(picture.size)
        return measured

    expected = [(1200, 675), (960, 720), (720, 720)]
    assert shapes(found(pictured)) == expected
    assert all("/CACHE/images/" in url for url in found(pictured))
    assert shapes(found(plain)) == expected
    french = found(plain, prefix="/fr")
    assert shapes(french) == expected
    assert french[0] == f"http://testserver/media/{plain.sharing_image.name[:-4]}.fr.jpg"
    assert found(bulk) == []


def test_libjpeg_buffers_the_whole_image_for_progressive_jpegs_and_split_scans_only():
    from diary.images import jpeg_buffers_whole_image, jpeg_coefficient_bytes
    from tests import hostile_images

    def whole(data: bytes) -> bool:
        with Image.open(BytesIO(data)) as image:
            return jpeg_buffers_whole_image(image, data)

    assert not whole(hostile_images.jpeg((400, 300)))
    assert whole(hostile_images.jpeg((400, 300), progressive=True))
    assert whole(hostile_images.jpeg_in_three_scans((400, 300)))
    with Image.open(BytesIO(hostile_images.jpeg((400, 300)))) as image:
        assert jpeg_buffers_whole_image(image, b"\xff\xd8\x00junk")  # unreadable: the worst
        # 2 bytes a sample: Y whole, Cb and Cr a quarter each (4:2:0; whole MCUs of 16 × 16).
        assert jpeg_coefficient_bytes(image.layer, (4096, 3072)) == 4096 * 3072 * 2 * 3 // 2
    with Image.open(BytesIO(hostile_images.jpeg_cmyk_progressive((400, 300)))) as image:
        assert jpeg_coefficient_bytes(image.layer, (4000, 3000)) == 4000 * 3000 * 2 * 4


def test_a_lossless_jpeg_counts_at_its_full_size_whatever_the_draft():
    from diary.images import jpeg_decoded_whole, jpeg_frame
    from tests import hostile_images

    baseline = hostile_images.jpeg((400, 300))
    assert jpeg_frame(baseline) == (0xC0, 3)
    assert not jpeg_decoded_whole(baseline)
    assert not jpeg_decoded_whole(hostile_images.jpeg((400, 300), progressive=True))
    at = baseline.index(b"\xff\xc0")
    assert jpeg_decoded_whole(baseline[:at] + b"\xff\xc3" + baseline[at + 2 :])  # lossless
    assert jpeg_decoded_whole(baseline[:2] + b"junk" + baseline[2:])  # unreadable: the worst


def test_pillow_keeps_a_pointer_per_row():
    from diary.images import stored_bytes

    assert stored_bytes("L", 1, 16_000_000) == 16_000_000 * 9
    assert stored_bytes("RGB", 1000, 1000) == stored_bytes("CMYK", 1000, 1000) == 4_008_000
    assert stored_bytes("I;16", 1000, 1000) == 2_008_000
