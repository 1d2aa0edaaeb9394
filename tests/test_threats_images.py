"""Finding 2 of issue 29 (docs/security.md), as the attacker tried it, refused.

Small files that describe images costly to decode (tests/hostile_images.py makes them, as
scripts/abuse_probe.py does to measure them) are refused from their header, within the
memory budget, before anything is decoded; ordinary photos and posters still pass.
"""

from contextlib import contextmanager
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile, JpegImagePlugin, WebPImagePlugin

from diary.images import ImageError, image_process
from tests import hostile_images
from tests.factories import form_data

pytestmark = pytest.mark.django_db


class Decoded(Exception):
    """Raised if an image is decoded where it should have been refused from its header."""


@contextmanager
def no_decoding():
    """Any image decoded inside raises Decoded."""

    def load(self):
        raise Decoded(self.format, self.size)

    with pytest.MonkeyPatch.context() as patch:
        for kind in (Image.Image, ImageFile.ImageFile, WebPImagePlugin.WebPImageFile):
            patch.setattr(kind, "load", load)
        yield


def upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("poster", data)


HOSTILE = {
    # Each under the pixel caps of JPEG (40 MP) or PNG and WebP (16 MP), each a small file.
    "progressive CMYK JPEG": lambda: hostile_images.jpeg_cmyk_progressive((5000, 4000)),
    "progressive 4:4:4 JPEG": lambda: hostile_images.jpeg_444_progressive((5000, 4000)),
    "progressive JPEG at the cap": lambda: hostile_images.jpeg((7700, 5100), progressive=True),
    "sequential JPEG in three scans": lambda: hostile_images.jpeg_in_three_scans((5000, 4000)),
    "lossless WebP": hostile_images.webp_lossless,
    "animated WebP": lambda: hostile_images.webp_animated(frames=10),
    "1 × 16,000,000 PNG": hostile_images.png_tall,
    "16,000,000 × 1 16-bit RGBA PNG": hostile_images.png_wide_16_bit,
    "4000 × 4000 RGBA PNG": lambda: hostile_images.png(4000, 4000, colour_type=6),
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_small_images_that_cost_a_worker_hundreds_of_mb_are_refused_from_their_header(kind):
    data = HOSTILE[kind]()
    assert len(data) < 2 * 1024 * 1024
    with no_decoding(), pytest.raises(ImageError, match="too much memory") as refused:
        image_process(upload(data))
    assert "1600 pixels" in str(refused.value)


def test_a_jpeg_in_hundreds_of_scans_is_refused_before_decoding():
    data = hostile_images.jpeg_in_many_scans()
    with no_decoding(), pytest.raises(ImageError, match="not an image we can read"):
        image_process(upload(data))


def test_the_refusal_is_the_forms_message_not_a_server_error(client):
    data = hostile_images.jpeg_cmyk_progressive((5000, 4000))
    with no_decoding():
        response = client.post("/submit/", {**form_data(), "image": upload(data)})
    assert response.status_code == 400
    assert "needs too much memory to open" in response.content.decode()


def test_a_jpeg_is_decoded_at_the_scale_its_shrunk_size_needs(monkeypatch):
    # 7700 × 5100 shrinks to 1600 × 1059: decoded at 1/4 (1925 × 1275), not at 1/2 as a
    # square box of 1600 would ask.
    drafted = []
    original = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        result = original(self, mode, size)
        drafted.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    image_process(upload(hostile_images.jpeg((7700, 5100))))
    assert drafted[0] == (1925, 1275)


@pytest.mark.parametrize(
    "size, format, options",
    [
        ((1600, 1200), "JPEG", {"quality": 90}),  # a photo
        ((6000, 4000), "JPEG", {}),  # a camera's, decoded at 1/2
        ((2400, 1600), "JPEG", {"progressive": True}),  # a web export
        ((3000, 2000), "PNG", {}),
        ((2000, 2000), "PNG", {"mode": "RGBA"}),
        ((2000, 1500), "WEBP", {}),
    ],
)
def test_ordinary_photos_and_posters_are_still_accepted(size, format, options):
    mode = options.pop("mode", "RGB")
    picture = Image.linear_gradient("L").resize(size).convert(mode)
    out = BytesIO()
    picture.save(out, format, **options)
    made = Image.open(image_process(upload(out.getvalue())))
    assert made.format == "JPEG"
    assert max(made.size) == min(1600, max(size))


def test_an_animation_is_decoded_from_its_first_frame_only(monkeypatch):
    frames = []
    get_next = WebPImagePlugin.WebPImageFile._get_next
    monkeypatch.setattr(
        WebPImagePlugin.WebPImageFile,
        "_get_next",
        lambda self: frames.append(1) or get_next(self),
    )
    data = hostile_images.webp_animated((800, 600), frames=100)
    made = Image.open(image_process(upload(data)))
    assert frames == [1]
    assert made.getpixel((10, 10))[0] > 200  # the first frame is red
