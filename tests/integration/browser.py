"""A real browser's view of a rendered report: headless Debian chromium, not a parser of ours.

Unit tests check the HTML's structure; only a browser shows that the inline SVG actually
paints. `painted_fraction` decodes the screenshot with the standard library (zlib, struct),
so the check needs no imaging package.
"""

from __future__ import annotations

import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

from tests.integration.system_packages import ensure_debian_package

_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
          "--no-first-run", "--mute-audio"]


def render_in_chromium(html_path: Path, out_dir: Path, timeout_s: float = 90) -> tuple[str, Path]:
    """The DOM chromium built from `html_path`, and a 1200x2400 screenshot of it in `out_dir`."""
    binary = ensure_debian_package("chromium", "chromium")
    url = Path(html_path).resolve().as_uri()
    out_dir.mkdir(parents=True, exist_ok=True)
    png = out_dir / f"{Path(html_path).stem}.png"
    png.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        flags = [binary, *_FLAGS, f"--user-data-dir={profile}"]
        dom, _ = _run(flags + ["--dump-dom", url], timeout_s)
        _, said = _run(flags + [f"--screenshot={png}", "--window-size=1200,2400", url], timeout_s)
    if not png.exists() or png.stat().st_size == 0:
        raise RuntimeError(f"chromium wrote no screenshot to {png}: {said[-2000:]}")
    return dom, png


def _run(cmd: list[str], timeout_s: float) -> tuple[str, str]:
    """stdout and stderr of one chromium call; a failure says the command and chromium's words."""
    result = subprocess.run(cmd, capture_output=True, timeout=timeout_s, stdin=subprocess.DEVNULL)
    out, err = result.stdout.decode(errors="replace"), result.stderr.decode(errors="replace")
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {result.returncode}: {err[-2000:]}")
    return out, err


def painted_fraction(png: Path) -> float:
    """Fraction of pixels that are not white (transparent counts as white)."""
    width, height, channels, rows = decode_png(Path(png).read_bytes())
    if width * height == 0:
        return 0.0
    white = b"\xff" * (width * channels)
    painted = 0
    for row in rows:
        if row == white:
            continue
        for i in range(0, len(row), channels):
            px = row[i:i + channels]
            if channels == 4 and px[3] == 0:
                continue
            if px[0] != 255 or px[1] != 255 or px[2] != 255:
                painted += 1
    return painted / (width * height)


def decode_png(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """(width, height, channels, unfiltered rows) of an 8-bit RGB or RGBA, non-interlaced PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat.append(chunk)
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError("PNG without IHDR")
    width, height, depth, colour, _, _, interlace = header
    channels = {2: 3, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace:
        raise ValueError(f"unsupported PNG: bit depth {depth}, colour type {colour}, interlace {interlace}")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, prev = [], bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        line = _unfilter(raw[start], raw[start + 1:start + 1 + stride], prev, channels)
        rows.append(line)
        prev = line
    return width, height, channels, rows


def _unfilter(kind: int, line: bytes, prev: bytes, bpp: int) -> bytes:
    """Undo one row's PNG filter (0 none, 1 sub, 2 up, 3 average, 4 Paeth)."""
    if kind == 0:
        return bytes(line)
    if kind == 2:
        return bytes((a + b) & 255 for a, b in zip(line, prev))
    out = bytearray(line)
    for i in range(len(out)):
        left = out[i - bpp] if i >= bpp else 0
        if kind == 1:
            out[i] = (out[i] + left) & 255
        elif kind == 3:
            out[i] = (out[i] + ((left + prev[i]) >> 1)) & 255
        elif kind == 4:
            up, up_left = prev[i], prev[i - bpp] if i >= bpp else 0
            p = left + up - up_left
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
            pred = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
            out[i] = (out[i] + pred) & 255
        else:
            raise ValueError(f"unknown PNG filter type {kind}")
    return bytes(out)
