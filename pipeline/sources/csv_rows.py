"""Numbered CSV data rows that survive rows the csv module cannot parse."""
from __future__ import annotations

import csv
from typing import Iterator


def numbered_rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """(row number from 1, the row, None), or (number, None, reason) for a row csv cannot parse."""
    index = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            index += 1
            reason = (f"record too large: a field exceeds {csv.field_size_limit()} characters"
                      if "field limit" in str(err) else f"broken CSV row: {err}")
            yield index, None, reason
            continue
        index += 1
        yield index, row, None
