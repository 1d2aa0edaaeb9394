"""Organisers' images: opened with Pillow (so only real images pass), re-encoded without
their metadata, and resized for the page, in bounded memory.

A small file can describe a huge image (a 77 KB PNG of 6300 × 6300 pixels decodes to 160 MB
and more with each copy), so the size is read from the header and checked before anything
is decoded. JPEG photos are decoded straight at a reduced scale (Pillow's draft mode, up to
1/8), so a 40-megapixel photo costs a few megabytes; PNG and WebP decode whole, so their cap
is lower. Every step after the first works on the small image.
"""

import logging
import os
import uuid
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _
from imagekit.cachefiles.strategies import Optimistic
from imagekit.models import ImageSpecField
from imagekit.processors import ResizeToFit
from PIL import Image, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 1600
# Pixels a header may announce, by format: larger than any photo or poster, and a bounded
# decode (docs/security.md: about 75 MB of pixels for a PNG or WebP, far less for a JPEG).
MAX_PIXELS = {"JPEG": 40_000_000, "PNG": 16_000_000, "WEBP": 16_000_000}
FORMATS = set(MAX_PIXELS)
# Pillow's own guard, for anything that gets past ours (it warns at half, raises beyond).
Image.MAX_IMAGE_PIXELS = max(MAX_PIXELS.values())


# The widths an image is also served at, each as WebP and as JPEG (for the browsers without
# WebP): a card, a card on a sharp screen or a page's column. Made once, when an image is
# saved (MadeOnSave: settings.IMAGEKIT_DEFAULT_CACHEFILE_STRATEGY), and
# never looked for on a request; `manage.py generateimages` makes them again (new widths).
WIDTHS = (480, 960, MAX_SIDE)
SERVED = {"webp": "WEBP", "jpeg": "JPEG"}


class MadeOnSave(Optimistic):
    """imagekit's optimistic strategy (sizes made when the image is saved, then assumed),
    except that an image whose file cannot be read saves all the same: its page shows it
    whole (without dimensions, `sizes` offers none)."""

    def on_source_saved(self, file):
        try:
            super().on_source_saved(file)
        except (OSError, ValueError, SyntaxError) as error:
            logger.warning("No sizes made of %s: %s", file.generator.source.name, error)


def sizes_of(source: str) -> dict[str, ImageSpecField]:
    """The fields of `source`'s sizes, by name (image_480_webp, image_480_jpeg, …)."""
    return {
        f"{source}_{width}_{extension}": ImageSpecField(
            source=source,
            processors=[ResizeToFit(width, upscale=False)],
            format=format,
            options={"quality": 80},
        )
        for width in WIDTHS
        for extension, format in SERVED.items()
    }


@dataclass(frozen=True)
class Size:
    width: int
    height: int
    webp: str
    jpeg: str


def sizes(obj, source: str = "image") -> list[Size]:
    """The sizes `obj`'s image is served at, smallest first, with their addresses and pixels
    (from the stored dimensions of the image: no file is opened); the last is the image's
    own width (or MAX_SIDE). Empty without an image or its dimensions."""
    image = getattr(obj, source)
    width, height = getattr(obj, f"{source}_width"), getattr(obj, f"{source}_height")
    if not (image and width and height):
        return []
    shown = []
    for target in widths_for(width):
        served = min(target, width)  # never enlarged
        urls = {ext: getattr(obj, f"{source}_{target}_{ext}").url for ext in SERVED}
        shown.append(Size(served, round(height * served / width), **urls))
    return shown


def widths_for(width: int) -> list[int]:
    """The WIDTHS an image `width` pixels wide is served at: those below it, and the first
    at or above it (which is the image itself, never enlarged)."""
    below = [target for target in WIDTHS if target < width]
    return below + [target for target in WIDTHS if target >= width][:1]


def dimensions(image) -> tuple[int | None, int | None]:
    """The width and height of a stored image, read from its header; None for a file that
    is missing or unreadable (its page then shows it without sizes)."""
    try:
        with image.storage.open(image.name, "rb") as file, Image.open(file) as opened:
            return opened.size
    except (OSError, UnidentifiedImageError, ValueError):
        return None, None


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
    every upload, or by a crash between writing a file and saving its event), with their
    sizes, and the sharing pictures of deleted events. Files younger than `older_than` stay:
    a submission may be saving with one right now."""
    from diary.models import Event

    now = now or timezone.now()
    referenced = set(Event.objects.exclude(image="").values_list("image", flat=True))
    referenced |= set(
        Event.objects.exclude(sharing_image="").values_list("sharing_image", flat=True)
    )
    for change in Event.objects.filter(pending_change__isnull=False).values_list(
        "pending_change", flat=True
    ):
        referenced.add((change.get("fields") or {}).get("image"))  # proposed, not yet approved
    removed = 0
    folders = ["events", "sharing"]
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
            image_delete(path)
            removed += 1
    return removed


def image_delete(path: str) -> None:
    """Delete the image at `path` and the sizes made of it (imagekit keeps them in a folder
    named after it)."""
    default_storage.delete(path)
    folder = os.path.join(settings.IMAGEKIT_CACHEFILE_DIR, os.path.splitext(path)[0])
    try:
        _subfolders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        default_storage.delete(f"{folder}/{name}")


def sizes_make(event) -> bool:
    """Make the sizes of an event's image saved before they existed, and store its
    dimensions (which tell pages the sizes are there). Whether the image could be read."""
    width, height = dimensions(event.image)
    if width is None:
        return False
    event.image_width, event.image_height = width, height
    sizes_generate(event, force=True)  # whatever imagekit remembers
    type(event).objects.filter(pk=event.pk).update(image_width=width, image_height=height)
    return True


def sizes_generate(obj, source: str = "image", *, force: bool = False) -> None:
    """Make the sizes `sizes` offers of an image whose dimensions are stored (a writer that
    saves no model, the demo loader, calls this; a save makes them by itself)."""
    for target in widths_for(getattr(obj, f"{source}_width")):
        for extension in SERVED:
            getattr(obj, f"{source}_{target}_{extension}").generate(force=force)
