"""Streaming CSV reading with the physical line of every record."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from signalseq.errors import UsageError


@dataclass
class CsvRecord:
    line: int
    values: dict[str, str]

    def raw(self) -> str:
        buffer = io.StringIO()
        csv.writer(buffer).writerow(self.values.values())
        return buffer.getvalue().rstrip("\r\n")


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return csv.excel


@contextmanager
def open_csv(path: Path) -> Iterator[tuple[list[str], Iterator[CsvRecord]]]:
    """Headers and an iterator of records, read as consumed; the file is closed on exit."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        try:
            sample = handle.read(16384)
            handle.seek(0)
            reader = csv.reader(handle, _dialect(sample))
            headers = [h.strip() for h in next(reader)]
        except UnicodeDecodeError as exc:
            raise UsageError(f"{path}: not UTF-8 text (save the export as CSV UTF-8)") from exc
        except StopIteration as exc:
            raise UsageError(f"{path}: the file is empty") from exc
        yield headers, _records(reader, headers)


def _records(reader: Any, headers: list[str]) -> Iterator[CsvRecord]:
    previous_end = reader.line_num
    for row in reader:
        start = previous_end + 1
        previous_end = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(headers):
            values = dict(zip(headers, row, strict=False))
            values["__extra__"] = ",".join(row[len(headers) :])
        else:
            values = {h: (row[i] if i < len(row) else "") for i, h in enumerate(headers)}
        yield CsvRecord(start, values)
