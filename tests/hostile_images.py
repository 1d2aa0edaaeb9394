"""Small files that describe images costly to decode, as an attacker makes them (finding 2 of
issue 29): the threat tests refuse them, scripts/abuse_probe.py measures what they cost."""

import struct
import zlib
from io import BytesIO

from PIL import Image

JPEG_SIZE = (7700, 5100)  # under the 40-megapixel cap of JPEG


def _saved(image: Image.Image, format: str, **options) -> bytes:
    out = BytesIO()
    image.save(out, format, **options)
    return out.getvalue()


def _gradient(size: tuple[int, int]) -> Image.Image:
    return Image.linear_gradient("L").resize(size)


def jpeg(size: tuple[int, int], **options) -> bytes:
    return _saved(_gradient(size).convert("RGB"), "JPEG", **options)


def jpeg_cmyk_progressive(size=JPEG_SIZE) -> bytes:
    """A progressive CMYK JPEG: libjpeg keeps 2 bytes per pixel for each of the four
    components, whatever the scale it decodes at."""
    return _saved(_gradient(size).convert("CMYK"), "JPEG", progressive=True)


def jpeg_444_progressive(size=JPEG_SIZE) -> bytes:
    """A progressive JPEG without chroma subsampling: 6 bytes a pixel in libjpeg."""
    return _saved(_gradient(size).convert("RGB"), "JPEG", progressive=True, subsampling=0)


def jpeg_in_three_scans(size=JPEG_SIZE) -> bytes:
    """A sequential (not progressive) JPEG whose three components come one per scan, as
    `jpegtran -scans` writes them: libjpeg then buffers the whole image as for a progressive
    one. Made of three greyscale JPEGs, one per component."""
    planes = [_gradient(size), Image.new("L", size, 100), Image.new("L", size, 150)]
    tables, scans = [], []
    for number, plane in enumerate(planes):
        data = _saved(plane, "JPEG", quality=75)
        at, defined = 2, b""
        while data[at + 1] != 0xDA:
            length = struct.unpack(">H", data[at + 2 : at + 4])[0]
            segment = data[at : at + 2 + length]
            if data[at + 1] == 0xDB:  # its quantisation table, renumbered as the component's
                tables.append(segment[:4] + bytes([number]) + segment[5:])
            elif data[at + 1] == 0xC4:  # Huffman tables, defined again before each scan
                defined += segment
            at += 2 + length
        length = struct.unpack(">H", data[at + 2 : at + 4])[0]
        header = b"\xff\xda\x00\x08\x01" + bytes([number + 1]) + b"\x00\x00\x3f\x00"
        scans.append(defined + header + data[at + 2 + length : data.rindex(b"\xff\xd9")])
    width, height = size
    frame = struct.pack(">HBHHB", 17, 8, height, width, 3) + b"".join(
        bytes([number + 1, 0x11, number]) for number in range(3)
    )
    return b"\xff\xd8" + b"".join(tables) + b"\xff\xc0" + frame + b"".join(scans) + b"\xff\xd9"


def jpeg_in_many_scans(size=(400, 300), scans: int = 150) -> bytes:
    """A progressive JPEG whose last scan comes again and again: libjpeg goes over the whole
    image for each one."""
    data = jpeg(size, progressive=True)
    end = data.rindex(b"\xff\xd9")
    last = data[data.rindex(b"\xff\xda") : end]
    return data[:end] + last * (scans - 10) + b"\xff\xd9"


def webp_lossless(size=(4000, 4000)) -> bytes:
    """A lossless WebP of one colour: a few hundred bytes; Pillow decodes WebP whole."""
    return _saved(Image.new("RGB", size), "WEBP", lossless=True)


def webp_animated(size=(4000, 4000), frames: int = 100) -> bytes:
    """An animation: Pillow decodes its first frame only."""
    colours = ["red", "blue"] * (frames // 2) + ["red"] * (frames % 2)
    first, *others = [Image.new("RGB", size, colour) for colour in colours]
    return _saved(first, "WEBP", save_all=True, append_images=others, lossless=True)


def png(width: int, height: int, *, depth: int = 8, colour_type: int = 0) -> bytes:
    """A PNG written by hand (Pillow cannot write 16-bit colour): black rows, compressed."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour_type]
    row = bytes(1 + (width * channels * depth + 7) // 8)
    rows = max(1, (1 << 20) // len(row))  # compressed a megabyte at a time
    packer = zlib.compressobj(9)
    pixels = b"".join(
        packer.compress(row * min(rows, height - done)) for done in range(0, height, rows)
    )
    pixels += packer.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    palette = chunk(b"PLTE", b"\0\0\0") if colour_type == 3 else b""
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + palette
        + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )  # fmt: skip


def png_tall() -> bytes:
    """1 × 16,000,000: within the 16-megapixel cap, but Pillow keeps a pointer per row."""
    return png(1, 16_000_000)


def png_wide_16_bit() -> bytes:
    """16,000,000 × 1 in 16-bit RGBA: the decoder's row buffers are 128 MB each."""
    return png(16_000_000, 1, depth=16, colour_type=6)
