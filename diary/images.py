"""Organisers' images: opened with Pillow (so only real images pass), re-encoded without
their metadata, and resized for the page, in bounded memory.

A small file can describe a huge image (a 77 KB PNG of 6300 × 6300 pixels decodes to 160 MB
and more with each copy), so the size is read from the header and checked before anything
is decoded. JPEG photos are decoded straight at a reduced scale (Pillow's draft mode, up to
1/8), so a 40-megapixel photo costs a few megabytes; PNG and WebP decode whole, so their cap
is lower. Every step after the first works on the small image.
"""

import uuid
import warnings
from datetime import datetime, timedelta
from io import BytesIO

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 1600
# Pixels a header may announce, by format: larger than any photo or poster, and a bounded
# decode (docs/security.md: about 75 MB of pixels for a PNG or WebP, far less for a JPEG).
MAX_PIXELS = {"JPEG": 40_000_000, "PNG": 16_000_000, "WEBP": 16_000_000}
FORMATS = set(MAX_PIXELS)
# Pillow's own guard, for anything that gets past ours (it warns at half, raises beyond).
Image.MAX_IMAGE_PIXELS = max(MAX_PIXELS.values())


class ImageError(ValueError):
    """An upload we will not keep; the message tells the organiser why."""


def image_process(upload) -> ContentFile:
    """A clean JPEG of at most MAX_SIDE pixels a side, or ImageError."""
    if upload.size > MAX_BYTES:
        raise ImageError(_("The image is larger than 5 MB; please send a smaller one."))
    data = upload.read()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as probe:
                if probe.format not in FORMATS:
                    raise ImageError(_("Send a JPEG, PNG or WebP image."))
                width, height = probe.size
                if width * height > MAX_PIXELS[probe.format]:
                    raise ImageError(_("This image has too many pixels to be a photo."))
                probe.verify()
            with Image.open(BytesIO(data)) as image:
                if image.format == "JPEG":
                    image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode at 1/2, 1/4 or 1/8
                image.thumbnail((MAX_SIDE, MAX_SIDE))
                image = ImageOps.exif_transpose(image)
                if image.mode != "RGB":
                    background = Image.new("RGB", image.size, "white")
                    rgba = image.convert("RGBA")
                    background.paste(rgba, mask=rgba.getchannel("A"))
                    image = background
                out = BytesIO()
                image.save(out, format="JPEG", quality=85, optimize=True)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(_("This image has too many pixels to be a photo.")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageError(_("This file is not an image we can read.")) from None
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")


def orphan_images_remove(*, older_than: timedelta, now: datetime | None = None) -> int:
    """Delete the event images no event refers to (left by earlier versions, which stored
    every upload, or by a crash between writing a file and saving its event). Files younger
    than `older_than` stay: a submission may be saving with one right now."""
    from diary.models import Event

    now = now or timezone.now()
    referenced = set(Event.objects.exclude(image="").values_list("image", flat=True))
    for change in Event.objects.filter(pending_change__isnull=False).values_list(
        "pending_change", flat=True
    ):
        referenced.add((change.get("fields") or {}).get("image"))  # proposed, not yet approved
    removed = 0
    folders = ["events"]
    while folders:
        folder = folders.pop()
        try:
            subfolders, files = default_storage.listdir(folder)
        except FileNotFoundError:
            continue
        folders += [f"{folder}/{name}" for name in subfolders]
        for name in files:
            path = f"{folder}/{name}"
            if path in referenced or now - default_storage.get_modified_time(path) < older_than:
                continue
            default_storage.delete(path)
            removed += 1
    return removed
