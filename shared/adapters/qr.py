"""QR codes of tracking URLs: real PNG and SVG images drawn by segno, kept in object storage."""

from __future__ import annotations

import io

from shared.adapters.storage import Storage
from shared.domain.errors import ValidationFailed
from shared.domain.tracking_links import QrFormat

SCALE = {QrFormat.PNG: 8, QrFormat.SVG: 4}  # pixels (PNG) or user units (SVG) per module
BORDER = 4  # the quiet zone the QR standard asks for, in modules


def render(url: str, fmt: QrFormat) -> bytes:
    """The QR image of `url`; error correction M, raised when the symbol has room for more."""
    import segno
    from segno import DataOverflowError

    try:
        code = segno.make(url, error="m", micro=False, boost_error=True)
    except DataOverflowError as exc:
        raise ValidationFailed("The URL is too long for a QR code.") from exc
    out = io.BytesIO()
    code.save(out, kind=fmt.value, scale=SCALE[fmt], border=BORDER)
    return out.getvalue()


def store(storage: Storage, stem: str, url: str) -> None:
    """Write every format of the URL's QR code as `<stem>.<format>`."""
    for fmt in QrFormat:
        storage.put(f"{stem}.{fmt.value}", render(url, fmt), fmt.content_type)


def load(storage: Storage, stem: str, url: str, fmt: QrFormat) -> bytes:
    """The stored image, drawn and stored again if it went missing (it depends on the URL alone)."""
    name = f"{stem}.{fmt.value}"
    data = storage.get(name)
    if data is None:
        data = render(url, fmt)
        storage.put(name, data, fmt.content_type)
    return data
