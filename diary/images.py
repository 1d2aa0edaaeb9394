"""Organisers' images: opened with Pillow (so only real images pass), re-encoded without
their metadata, and resized for the page, in bounded memory.

A small file can describe a huge image (a 77 KB PNG of 6300 × 6300 pixels decodes to 160 MB
and more with each copy; a 684-byte WebP to 250 MB), so what decoding it would cost is read
from the header and checked against MEMORY_BUDGET before anything is decoded
(`decoding_bytes`: the pixels as Pillow stores them, by mode, and what the decoder keeps
besides). JPEG photos are decoded straight at a reduced scale (Pillow's draft mode, up to
1/8), so a 40-megapixel photo costs a few megabytes, unless it is progressive (or in several
scans): libjpeg then keeps the whole image's coefficients. PNG and WebP decode whole. Only the
first frame of an animation is decoded. Every step after the first works on the small image.
"""

import logging
import os
import uuid
import warnings
from dataclasses import dataclass
from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from imagekit.cachefiles.strategies import Optimistic
from imagekit.models import ImageSpecField
from imagekit.processors import ResizeToFill, ResizeToFit
from PIL import Image, ImageOps, UnidentifiedImageError

from diary.text import validate_one_line

logger = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 1600
# Pixels a header may announce, by format: larger than any photo or poster (the memory
# budget below is the finer bound; this one bounds a JPEG's decoding time).
MAX_PIXELS = {"JPEG": 40_000_000, "PNG": 16_000_000, "WEBP": 16_000_000}
# What turning an upload into the page's image may cost a worker, decoding included,
# estimated from the header (docs/security.md, *Measured*: a worker's growth stays under it).
MEMORY_BUDGET = 100 * 1024 * 1024
# What the small image costs once decoded: flattened on white and encoded, at most three
# copies of MAX_SIDE × MAX_SIDE pixels of 4 bytes.
SMALL_IMAGE_BYTES = 3 * MAX_SIDE * MAX_SIDE * 4
FORMATS = set(MAX_PIXELS)
# Scans a JPEG may have (a progressive one has about 10): libjpeg goes over the whole image
# for each, and a scan can be a dozen bytes, so 5 MB of them would take a worker minutes.
MAX_SCANS = 100
# Pillow's own guard, for anything that gets past ours (it warns at half, raises beyond).
Image.MAX_IMAGE_PIXELS = max(MAX_PIXELS.values())


# The widths an image is also served at, each as WebP and as JPEG (for the browsers without
# WebP): a card, a card on a sharp screen or a page's column. Made once, when a save brings
# a new image (Pictured.save), and never looked for on a request; `size_images` makes those
# of older images.
WIDTHS = (480, 960, MAX_SIDE)
SERVED = {"webp": "WEBP", "jpeg": "JPEG"}
# The shapes search engines are given an event's picture in (Google's Event rich results
# ask for 16:9, 4:3 and 1:1, at least 720 pixels wide), by name, with their pixels: the
# image cropped to its middle (and enlarged if it must be), or the sharing card drawn so
# (diary.sharing). 16:9 is also what a shared link shows of a card.
RATIOS = {"16x9": (1200, 675), "4x3": (960, 720), "1x1": (720, 720)}


class MadeOnSave(Optimistic):
    """imagekit's optimistic strategy (sizes assumed to be there, never looked for on a
    request), except that Pictured.save makes them, not imagekit's signal: the signal takes
    every save of a loaded object for a new image, and would make every width, even those
    wider than the image."""

    def on_source_saved(self, file):
        pass


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


def crops_of(source: str) -> dict[str, ImageSpecField]:
    """The fields of `source`'s crops to RATIOS, by name (image_16x9, …), in JPEG."""
    return {
        f"{source}_{ratio}": ImageSpecField(
            source=source,
            processors=[ResizeToFill(width, height)],
            format="JPEG",
            options={"quality": 80},
        )
        for ratio, (width, height) in RATIOS.items()
    }


def sized(model: type[models.Model], source: str = "image", *, cropped: bool = False) -> None:
    """Give `model` the sizes its image is served at (image_480_webp, …), and if `cropped`
    its crops to RATIOS (image_16x9, …): files, not columns."""
    fields = sizes_of(source) | (crops_of(source) if cropped else {})
    for name, field in fields.items():
        model.add_to_class(name, field)


def crops(obj, source: str = "image") -> list[str]:
    """The addresses of `obj`'s image cropped to each of RATIOS, once its sizes are made
    (its dimensions stored); empty otherwise, or for a model without crops."""
    if not (getattr(obj, source) and getattr(obj, f"{source}_width")):
        return []
    return [getattr(obj, name).url for name in crop_names(obj, source)]


def crop_names(obj, source: str = "image") -> list[str]:
    """The names of the crops `obj`'s model has of `source` (none, or one per RATIOS)."""
    return [f"{source}_{ratio}" for ratio in RATIOS if hasattr(type(obj), f"{source}_{ratio}")]


def upload_path(instance: models.Model, filename: str) -> str:
    """Where an uploaded image is stored: a folder per kind and month (events/2026/12/…)."""
    return f"{instance._meta.model_name}s/{timezone.now():%Y/%m}/{filename}"


class Pictured(models.Model):
    """An image (an event's, a story's, a venue's) with its description, and its dimensions,
    stored when a save brings a new image, whichever door saved it, so that pages size it
    without opening it (not ImageField's width_field: that opens the file on every load
    until they are set)."""

    image = models.ImageField(gettext_lazy("image"), upload_to=upload_path, blank=True)
    image_alt = models.CharField(
        gettext_lazy("image description"),
        validators=[validate_one_line],
        max_length=300,
        blank=True,
        help_text=gettext_lazy("What the image shows, for people who cannot see it."),
    )
    image_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_height = models.PositiveIntegerField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        unread = "image" in self.get_deferred_fields() or (
            update_fields is not None and "image" not in update_fields
        )
        new_image = not unread and self.image.name != getattr(self, "_loaded_image", "")
        super().save(*args, **kwargs)
        if new_image:
            sizes_make(self)  # once the file is stored (an upload is stored by the save)
        if not unread:
            self._loaded_image = self.image.name

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        if "image" in field_names:
            instance._loaded_image = instance.image.name
        return instance


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
            with Image.open(BytesIO(data)) as image:  # the header only, so far
                small = fitted(image.size)
                if image.format == "JPEG":
                    if data.count(b"\xff\xda") > MAX_SCANS:  # start-of-scan markers, or more
                        raise ImageError(_("This file is not an image we can read."))
                    image.draft("RGB", small)  # decode at 1/2, 1/4 or 1/8 of its size
                needed = decoding_bytes(image, data, (width, height), small)
                if needed > MEMORY_BUDGET:
                    logger.info("Image refused: %s %s needs %d MB", image.format,
                                (width, height), -(-needed >> 20))  # fmt: skip
                    raise ImageError(
                        _(
                            "This image needs too much memory to open (%(needed)d MB; we allow "
                            "%(budget)d MB). Please send a smaller one: 1600 pixels on its "
                            "longest side is plenty."
                        )
                        % {"needed": -(-needed >> 20), "budget": MEMORY_BUDGET >> 20}
                    )
                image.thumbnail((MAX_SIDE, MAX_SIDE))  # the first frame of an animation
                ImageOps.exif_transpose(image, in_place=True)  # not another copy
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


def fitted(size: tuple[int, int]) -> tuple[int, int]:
    """`size` shrunk to fit MAX_SIDE × MAX_SIDE, keeping its proportions (as thumbnail)."""
    width, height = size
    longest = max(width, height)
    if longest <= MAX_SIDE:
        return size
    return max(1, width * MAX_SIDE // longest), max(1, height * MAX_SIDE // longest)


def stored_bytes(mode: str, width: int, height: int) -> int:
    """The memory Pillow takes for an image: its pixels (1, 2 or 4 bytes, by mode) and a
    pointer per row (which is what a 1 × 16,000,000 image costs)."""
    pixel = 1 if mode in ("1", "L", "P") else 2 if mode.startswith("I;16") else 4
    return width * height * pixel + 8 * height


def decoding_bytes(
    image: Image.Image, data: bytes, size: tuple[int, int], small: tuple[int, int]
) -> int:
    """What decoding `image` (opened, nothing decoded yet; a JPEG's draft scale set; `size`
    its header's) and shrinking it to `small` costs at most, from its header: the file, the
    decoded image, what its decoder keeps besides, the copies shrinking makes, and the small
    image's."""
    width, height = image.size  # a JPEG's at its draft scale
    if image.format == "JPEG" and jpeg_decoded_whole(data):
        width, height = size
    cost = len(data) + stored_bytes(image.mode, width, height) + SMALL_IMAGE_BYTES
    if image.format == "JPEG" and jpeg_buffers_whole_image(image, data):
        cost += jpeg_coefficient_bytes(image.layer, size)
    elif image.format == "PNG":
        cost += 2 * (8 * width + 1)  # the decoder's row and the one before (16-bit RGBA at most)
    elif image.format == "WEBP":
        # libwebp's canvas and its previous frame's, and the frame it hands Pillow.
        cost += 3 * width * height * 4
    if (width, height) != small:
        if image.mode in ("RGBA", "LA", "PA"):
            cost += stored_bytes("RGBA", width, height)  # resized premultiplied: a copy
        if width != small[0]:
            cost += stored_bytes("RGBA", small[0], height)  # resized across, then down
    return cost


def jpeg_frame(data: bytes) -> tuple[int | None, int] | None:
    """The JPEG's frame marker (0xC0 baseline, 0xC2 progressive, 0xC3 lossless…) and the
    number of components of its first scan, read from the markers before that scan (Pillow
    stops reading at it and keeps neither); None for markers that cannot be followed."""
    frame, at = None, 2
    while at + 4 < len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
        elif marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            at += 2
        elif marker == 0xDA:
            return frame, data[at + 4]
        elif marker in (0xD8, 0xD9):
            return None
        else:
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                frame = marker
            at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
    return None


def jpeg_buffers_whole_image(image: Image.Image, data: bytes) -> bool:
    """Whether libjpeg keeps the coefficients of the whole image while it decodes `data`:
    when the JPEG is progressive (Pillow tells) or its first scan carries fewer components
    than the image (libjpeg's own test). A header that cannot be followed counts as yes."""
    if image.info.get("progressive") or image.info.get("progression"):
        return True
    frame = jpeg_frame(data)
    return frame is None or frame[1] < len(image.layer)


def jpeg_decoded_whole(data: bytes) -> bool:
    """Whether libjpeg decodes this JPEG at its full size whatever the draft: a lossless one
    (it has no scaled decoding without DCT), or one whose header cannot be followed."""
    frame = jpeg_frame(data)
    return frame is None or frame[0] in (None, 0xC3, 0xC7, 0xCB, 0xCF)


def jpeg_coefficient_bytes(layers: list[tuple], size: tuple[int, int]) -> int:
    """libjpeg's whole-image coefficient buffers for an image of `size` (full scale, whatever
    the draft) with components `layers` (Pillow's: id, horizontal and vertical sampling):
    2 bytes a coefficient, 64 a block of 8 × 8 samples, rows rounded to whole MCUs."""
    width, height = size
    most_across = max(layer[1] for layer in layers)
    most_down = max(layer[2] for layer in layers)
    total = 0
    for _id, across, down, *_table in layers:
        columns = -(-width * across // (8 * most_across))
        rows = -(-height * down // (8 * most_down))
        columns, rows = -(-columns // across) * across, -(-rows // down) * down
        total += columns * rows * 64 * 2
    return total


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


def sizes_make(obj: Pictured, *, force: bool = False) -> bool:
    """Store the dimensions of `obj`'s image (which tell pages its sizes are there) and make
    its sizes; `force`, even those imagekit remembers. Whether the image could be read: one
    that cannot saves all the same, and its page shows it whole, without sizes."""
    obj.image_width, obj.image_height = dimensions(obj.image) if obj.image else (None, None)
    type(obj)._default_manager.filter(pk=obj.pk).update(
        image_width=obj.image_width, image_height=obj.image_height
    )
    if obj.image_width is None:
        return False
    try:
        sizes_generate(obj, force=force)
    except (OSError, ValueError, SyntaxError) as error:
        logger.warning("No sizes made of %s: %s", obj.image.name, error)
        return False
    return True


def sizes_generate(obj, source: str = "image", *, force: bool = False) -> None:
    """Make the sizes `sizes` offers of an image whose dimensions are stored (a writer that
    saves no model, the demo loader, calls this; a save that brings an image makes them)."""
    for target in widths_for(getattr(obj, f"{source}_width")):
        for extension in SERVED:
            getattr(obj, f"{source}_{target}_{extension}").generate(force=force)
    for name in crop_names(obj, source):
        getattr(obj, name).generate(force=force)
