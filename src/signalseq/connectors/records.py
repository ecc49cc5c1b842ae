"""Streaming JSONL and CSV records with their line numbers (memory stays flat)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from signalseq.errors import InputRejected


@dataclass
class Record:
    line: int
    raw: str
    data: dict[str, Any] | None
    error: str | None = None


def read_jsonl(path: Path) -> Iterator[Record]:
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            text = line.strip()
            if not text:
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                yield Record(number, text, None, f"invalid JSON: {exc.msg} at column {exc.colno}")
                continue
            if not isinstance(data, dict):
                yield Record(number, text, None, "expected a JSON object")
                continue
            yield Record(number, text, data)


def read_csv_records(path: Path) -> Iterator[Record]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        previous_end = 1
        for row in reader:
            start, previous_end = previous_end + 1, reader.line_num
            raw = json.dumps(row, ensure_ascii=False)
            if None in row:
                yield Record(start, raw, None, "more values than columns")
                continue
            yield Record(start, raw, {k.strip(): (v or "").strip() for k, v in row.items() if k})


def read_records(path: Path, format: str = "auto") -> Iterator[Record]:
    if not path.is_file():
        raise InputRejected(f"{path}: no such file")
    kind = format if format != "auto" else ("csv" if path.suffix.lower() == ".csv" else "jsonl")
    return read_csv_records(path) if kind == "csv" else read_jsonl(path)


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
