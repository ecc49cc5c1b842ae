"""Streaming CSV reading with the physical line of every record."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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


def read_csv(path: Path) -> tuple[list[str], Iterator[CsvRecord]]:
    """Headers and an iterator of records; the file is read as it is consumed."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    handle = path.open(encoding="utf-8-sig", newline="")
    try:
        sample = handle.read(16384)
        handle.seek(0)
        reader = csv.reader(handle, _dialect(sample))
        headers = next(reader)
    except UnicodeDecodeError as exc:
        handle.close()
        raise UsageError(f"{path}: not UTF-8 text (save the export as CSV UTF-8)") from exc
    except StopIteration as exc:
        handle.close()
        raise UsageError(f"{path}: the file is empty") from exc
    headers = [h.strip() for h in headers]

    def records() -> Iterator[CsvRecord]:
        with handle:
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

    return headers, records()
