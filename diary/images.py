"""Organisers' images: opened with Pillow (so only real images pass), re-encoded without
their metadata, and resized for the page."""

import uuid
import warnings
from io import BytesIO

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # larger than any photo; a "decompression bomb" is far beyond
MAX_SIDE = 1600
FORMATS = {"JPEG", "PNG", "WEBP"}


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
            Image.MAX_IMAGE_PIXELS = MAX_PIXELS
            with Image.open(BytesIO(data)) as probe:
                if probe.format not in FORMATS:
                    raise ImageError(_("Send a JPEG, PNG or WebP image."))
                probe.verify()
            with Image.open(BytesIO(data)) as image:
                image.load()
                image = ImageOps.exif_transpose(image)
                if image.mode != "RGB":
                    background = Image.new("RGB", image.size, "white")
                    rgba = image.convert("RGBA")
                    background.paste(rgba, mask=rgba.getchannel("A"))
                    image = background
                image.thumbnail((MAX_SIDE, MAX_SIDE))
                out = BytesIO()
                image.save(out, format="JPEG", quality=85, optimize=True)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(_("This image has too many pixels to be a photo.")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageError(_("This file is not an image we can read.")) from None
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")
