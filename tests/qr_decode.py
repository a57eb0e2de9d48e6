"""Read a QR code back from a PNG: a small PNG decoder (stdlib zlib) and the ZXing decoder (zxing-cpp)."""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def decode_qr_png(png: bytes) -> list[str]:
    """The texts of every QR code in the image."""
    import zxingcpp

    width, height, pixels = grayscale_pixels(png)
    image = memoryview(pixels).cast("B", (height, width))
    return [result.text for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def grayscale_pixels(png: bytes) -> tuple[int, int, bytes]:
    """Width, height and one luminance byte per pixel of a non-interlaced grey or palette PNG."""
    assert png.startswith(PNG_SIGNATURE), "not a PNG"
    chunks = _chunks(png[len(PNG_SIGNATURE):])
    width, height, depth, color_type, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert color_type in (0, 3) and interlace == 0, f"unsupported PNG (color type {color_type})"
    palette = chunks.get(b"PLTE", b"")
    levels = [sum(palette[i:i + 3]) // 3 for i in range(0, len(palette), 3)] if color_type == 3 else None
    rows = _unfilter(zlib.decompress(chunks[b"IDAT"]), width, height, depth)
    out = bytearray()
    for row in rows:
        for x in range(width):
            value = _sample(row, x, depth)
            out.append(levels[value] if levels else value * 255 // ((1 << depth) - 1))
    return width, height, bytes(out)


def _chunks(data: bytes) -> dict[bytes, bytes]:
    chunks: dict[bytes, bytes] = {}
    while data:
        length, kind = struct.unpack(">I4s", data[:8])
        chunks[kind] = chunks.get(kind, b"") + data[8:8 + length]  # IDAT chunks concatenate
        data = data[12 + length:]
    return chunks


def _unfilter(raw: bytes, width: int, height: int, depth: int) -> list[bytearray]:
    stride, bpp = (width * depth + 7) // 8, max(1, depth // 8)
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, up_left = previous[i], previous[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + _predict(kind, left, up, up_left)) & 0xFF
        rows.append(line)
        previous = line
    return rows


def _predict(kind: int, left: int, up: int, up_left: int) -> int:
    if kind == 0:
        return 0
    if kind == 1:
        return left
    if kind == 2:
        return up
    if kind == 3:
        return (left + up) // 2
    estimate = left + up - up_left
    return min((abs(estimate - left), 0, left), (abs(estimate - up), 1, up), (abs(estimate - up_left), 2, up_left))[2]


def _sample(row: bytearray, x: int, depth: int) -> int:
    if depth == 8:
        return row[x]
    per_byte = 8 // depth
    shift = (per_byte - 1 - x % per_byte) * depth
    return (row[x // per_byte] >> shift) & ((1 << depth) - 1)


def decode_qr_svg(svg: bytes, pixels_per_module: int = 4) -> list[str]:
    """Draw segno's SVG path (dark runs as `M`/`m` moves and `h` lines) into pixels, then decode it."""
    import zxingcpp

    root = ET.fromstring(svg)
    path = root.find("{http://www.w3.org/2000/svg}path")
    assert path is not None, "no path in the SVG"
    scale = float(re.fullmatch(r"scale\((\d+(?:\.\d+)?)\)", path.get("transform", "scale(1)"))[1])
    size = round(float(root.get("width", "0")) / scale)
    dark = _dark_modules(path.get("d", ""))
    side = size * pixels_per_module
    pixels = bytearray(b"\xff" * side * side)
    for x, y in dark:
        for dy in range(pixels_per_module):
            start = (y * pixels_per_module + dy) * side + x * pixels_per_module
            pixels[start:start + pixels_per_module] = b"\x00" * pixels_per_module
    image = memoryview(bytes(pixels)).cast("B", (side, side))
    return [result.text for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def _dark_modules(d: str) -> set[tuple[int, int]]:
    tokens = re.findall(r"[MmHh]|-?\d+(?:\.\d+)?", d)
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    i = 0
    while i < len(tokens):
        command = tokens[i]
        if command in "Mm":
            dx, dy = float(tokens[i + 1]), float(tokens[i + 2])
            x, y = (dx, dy) if command == "M" else (x + dx, y + dy)
            i += 3
        else:
            length = float(tokens[i + 1])
            end = length if command == "H" else x + length
            dark |= {(column, int(y)) for column in range(int(x), int(end))}
            x = end
            i += 2
    return dark
