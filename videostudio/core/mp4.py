"""Is this file a whole MP4? A walk over its top-level boxes (ISO/IEC 14496-12), stdlib only.

A box starts with a 32-bit big-endian size and a four-character type; size 1 means a
64-bit size follows, size 0 means "to the end of the file". A complete file is a
sequence of boxes whose sizes add up exactly to its length, starting with ``ftyp`` and
holding ``moov`` (the index) and ``mdat`` (the media). A body cut short, random bytes
after a valid header, a run of zeros or trailing garbage all break that sum or the
box headers, so they are told apart from the clip that was paid for.

``Mp4Walker`` checks a stream as it arrives (a download can stop at the first bad
header instead of writing gigabytes of garbage); ``check_file`` checks a file on disk
by seeking from header to header, so it reads a few hundred bytes whatever the size.
"""

from __future__ import annotations

import struct
from pathlib import Path

REQUIRED = (b"ftyp", b"moov", b"mdat")
# A real ftyp holds a brand, a version and a few compatible brands: tens of bytes.
MAX_FTYP_SIZE = 4096
_HEADER = 8
_LARGE_HEADER = 16


class Mp4Error(ValueError):
    """The bytes are not a complete MP4 file; the message says what is wrong."""


def _type_name(kind: bytes) -> str:
    return kind.decode("latin-1") if _printable(kind) else kind.hex()


def _printable(kind: bytes) -> bool:
    # Top-level box types are ASCII four-character codes (ftyp, moov, mdat, free, ...).
    return all(0x20 <= c < 0x7F for c in kind)


class Mp4Walker:
    """Checks the top-level boxes of an MP4 fed to it in pieces of any size.

    ``feed`` raises Mp4Error as soon as a box header is impossible (not ASCII, too
    small, ``ftyp`` not first, a box running past ``expected_size`` when it is known).
    ``finish`` raises unless the boxes ended exactly at the end of the data and the
    required boxes were all seen. Memory use is constant: only headers are kept.
    """

    def __init__(self, expected_size: int | None = None) -> None:
        self.expected_size = expected_size
        self.position = 0  # bytes fed so far
        self.seen: list[bytes] = []
        self._box_end = 0  # where the current box ends (0: a header is due at position)
        self._to_eof = False  # the last box had size 0: it runs to the end of the data
        self._header = bytearray()

    def feed(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            if self._to_eof:
                self.position += len(view)
                return
            if self.position < self._box_end:  # inside a box body: skip it
                skip = min(len(view), self._box_end - self.position)
                self.position += skip
                view = view[skip:]
                continue
            # Collecting a header (8 bytes, or 16 for a 64-bit size).
            need = self._header_length() - len(self._header)
            take = min(need, len(view))
            self._header += view[:take]
            self.position += take
            view = view[take:]
            if len(self._header) == self._header_length():
                self._open_box()

    def _header_length(self) -> int:
        if len(self._header) >= 4 and struct.unpack(">I", self._header[:4])[0] == 1:
            return _LARGE_HEADER
        return _HEADER

    def _open_box(self) -> None:
        header = bytes(self._header)
        self._header.clear()
        start = self.position - len(header)
        size, kind = struct.unpack(">I4s", header[:_HEADER])
        if len(header) == _LARGE_HEADER:
            (size,) = struct.unpack(">Q", header[_HEADER:])
        if not _printable(kind):
            raise Mp4Error(f"no valid MP4 box at byte {start} (type {_type_name(kind)})")
        if not self.seen and kind != b"ftyp":
            raise Mp4Error(f"the file does not start with an ftyp box (found {_type_name(kind)})")
        if kind == b"ftyp" and (self.seen or not _HEADER < size <= MAX_FTYP_SIZE):
            raise Mp4Error(f"a misplaced or malformed ftyp box at byte {start}")
        self.seen.append(kind)
        if size == 0:
            self._to_eof = True
            return
        if size < len(header):
            raise Mp4Error(f"the {_type_name(kind)} box at byte {start} has size {size}")
        self._box_end = start + size
        if self.expected_size is not None and self._box_end > self.expected_size:
            raise Mp4Error(
                f"the {_type_name(kind)} box at byte {start} runs past the end of the file"
            )

    @property
    def next_box(self) -> int | None:
        """Where the next box header is due, or None once a box runs to the end of the data."""
        return None if self._to_eof else self._box_end

    def skip_to(self, position: int) -> None:
        """Account for bytes up to ``position`` that were not fed (box bodies of a file)."""
        if self._header:
            raise ValueError("cannot skip in the middle of a box header")
        self.position = max(self.position, position)

    def finish(self, end: int | None = None) -> None:
        """Raise Mp4Error unless the data (fed so far, or ending at ``end``) is a whole MP4."""
        end = self.position if end is None else end
        if self.expected_size is not None and end != self.expected_size:
            raise Mp4Error(f"the file has {end} bytes, {self.expected_size} were announced")
        if self._header:
            raise Mp4Error(f"{len(self._header)} stray bytes at the end of the file")
        if not self._to_eof and end < self._box_end:
            raise Mp4Error(f"the file is cut short: {end} of {self._box_end} bytes")
        missing = [k.decode() for k in REQUIRED if k not in self.seen]
        if missing:
            raise Mp4Error(f"the file has no {', '.join(missing)} box")


def check_file(path: Path) -> None:
    """Raise Mp4Error unless ``path`` is a complete MP4 (OSError if it cannot be read).

    Reads only the box headers: cheap even for a file of gigabytes.
    """
    with path.open("rb") as f:
        length = f.seek(0, 2)
        walker = Mp4Walker(expected_size=length)
        while (start := walker.next_box) is not None and start < length:
            walker.skip_to(start)
            f.seek(start)
            header = f.read(_HEADER)
            if len(header) == _HEADER and struct.unpack(">I", header[:4])[0] == 1:
                header += f.read(_LARGE_HEADER - _HEADER)
            walker.feed(header)
            if walker.next_box == start:
                break  # the file ends inside a header: finish() says so
        walker.finish(end=length)


def is_complete_mp4(path: Path) -> bool:
    """True when ``path`` exists and is a complete MP4."""
    try:
        check_file(path)
    except (OSError, Mp4Error):
        return False
    return True
