"""Read an image's whole data block once, in chunks: is it all there, and is every value finite?

A header can be intact while the data behind it are cut short (an interrupted copy) or hold NaN or
Inf (a failed conversion). Both are found only by reading to the end, which :func:`scan_data` does
with bounded memory (one chunk at a time, never the whole image), so a 1 GB BOLD series costs a few
seconds of decompression and a few MB of RAM.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass

import numpy as np

CHUNK_BYTES = 1 << 24  # 16 MiB of image data per read


@dataclass(frozen=True)
class DataScan:
    """What reading the data block found: bytes expected and read, non-finite values, or an error."""

    expected_bytes: int
    read_bytes: int
    nonfinite: int
    error: str = ""

    @property
    def complete(self) -> bool:
        return not self.error and self.read_bytes >= self.expected_bytes


def scan_data(path, img) -> DataScan:
    """Stream the data block of the NIfTI ``img`` loaded from ``path`` (plain or gzip).

    Counts NaN/Inf values for float data (integer data cannot hold them). A truncated or corrupt
    file gives ``complete == False`` with the reason in ``error`` (or fewer bytes than expected).
    """
    dtype = img.get_data_dtype()
    expected = int(np.prod(img.shape, dtype=np.int64)) * dtype.itemsize
    offset = int(img.dataobj.offset)  # img.header's offset is reset to 0 on load; the proxy keeps it
    step = max(dtype.itemsize, CHUNK_BYTES // dtype.itemsize * dtype.itemsize)
    floating = dtype.kind in "fc"
    opener = gzip.open if str(path).endswith(".gz") else open
    read = nonfinite = 0
    try:
        with opener(path, "rb") as handle:
            handle.read(offset)
            while read < expected:
                chunk = handle.read(min(step, expected - read))
                if not chunk:
                    break
                usable = len(chunk) - len(chunk) % dtype.itemsize
                if floating and usable:
                    nonfinite += int(np.count_nonzero(~np.isfinite(np.frombuffer(chunk[:usable], dtype))))
                read += len(chunk)
    except (EOFError, OSError, zlib.error) as err:  # gzip.BadGzipFile is an OSError
        return DataScan(expected, read, nonfinite, f"{type(err).__name__}: {err}")
    return DataScan(expected, read, nonfinite)
