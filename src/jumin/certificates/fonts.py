"""The working copy of IPAmj明朝 that certificates embed: the same glyphs, far fewer of them.

IPAmj明朝 holds about 60,000 glyphs (50 MB); subsetting it for every certificate costs more than the rest of
the rendering (performance.md, "PDF fonts dominate certificate time"). So the node keeps, under
``var/fonts/``, a subset of it with JIS X 0208, kana, ASCII and full-width forms, plus every further
character and IVS sequence a certificate has needed so far. The glyph outlines are IPAmj明朝's own; a
certificate needing something new rebuilds the working copy once (seconds), then it is cached for good.
Coverage is always decided against the full font (``rendering.unregistered_characters``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from fontTools import subset
from fontTools.ttLib import TTFont

_lock = threading.Lock()
_STATE_FILE = "ipamj-working.json"


def _is_selector(code: int) -> bool:
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


@lru_cache(maxsize=1)
def base_code_points() -> frozenset[int]:
    """JIS X 0208 (both levels), ASCII, CJK punctuation, kana and full-width forms."""
    points: set[int] = set(range(0x20, 0x7F)) | set(range(0x3000, 0x3100)) | set(range(0xFF01, 0xFF5F))
    for high in range(0xA1, 0xFF):
        for low in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                points.update(ord(c) for c in bytes([high, low]).decode("euc_jp"))
    return frozenset(points)


def code_points(texts: Iterable[str]) -> frozenset[int]:
    """Every code point of the texts, variation selectors included."""
    return frozenset(ord(char) for text in texts for char in text)


def _folder() -> Path:
    return Path(settings.VAR_DIR) / "fonts"


@contextlib.contextmanager
def _file_lock(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / ".ipamj.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _read_state(folder: Path) -> tuple[frozenset[int], Path | None]:
    try:
        data = json.loads((folder / _STATE_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return frozenset(), None
    path = folder / str(data.get("file", ""))
    return frozenset(int(p) for p in data.get("extra", [])), (path if path.is_file() else None)


def _build(source: Path, points: frozenset[int], folder: Path) -> Path:
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.drop_tables += ["GSUB", "GPOS", "vhea", "vmtx"]
    font = TTFont(str(source))
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(points))  # selectors too, so the cmap keeps those IVS sequences
    subsetter.subset(font)
    digest = hashlib.sha256(",".join(map(str, sorted(points))).encode()).hexdigest()[:16]
    target = folder / f"ipamj-{digest}.ttf"
    fd, temporary = tempfile.mkstemp(prefix=".ipamj-", dir=folder)
    os.close(fd)
    font.save(temporary)
    os.replace(temporary, target)
    return target


_current: dict[str, tuple[frozenset[int], Path]] = {}


def working_font(source: Path, texts: Iterable[str]) -> Path:
    """A subset of ``source`` that holds every code point of ``texts``; rebuilt only when it does not."""
    needed = code_points(texts)
    key = str(source)
    with _lock:
        cached = _current.get(key)
        if cached is not None and needed <= cached[0]:
            return cached[1]
        folder = _folder()
        with _file_lock(folder):
            extra, path = _read_state(folder)
            covered = base_code_points() | extra
            if path is None or not needed <= covered:
                extra = extra | (needed - base_code_points())
                covered = base_code_points() | extra
                path = _build(source, covered, folder)
                state = {"source": key, "file": path.name, "extra": sorted(extra)}
                (folder / _STATE_FILE).write_text(json.dumps(state), encoding="utf-8")
        _current[key] = (covered, path)
        return path
