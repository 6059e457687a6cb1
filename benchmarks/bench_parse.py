"""Median time to parse one request of the corpus (tests/corpus/requests.json).

Run with ``python -m benchmarks.bench_parse``. The parser is built (or loaded from
lark's cache) once before timing; each request is then parsed ``REPEATS`` times and
the median over all requests of the per-request median is reported.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from grammar import parse
from grammar.parse import request_parser

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus" / "requests.json"
REPEATS = 5


def per_request_medians(requests: list[str]) -> list[float]:
    medians = []
    for text in requests:
        times = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            parse(text)
            times.append(time.perf_counter() - start)
        medians.append(statistics.median(times))
    return medians


def main() -> None:
    requests = [case["request"] for case in json.loads(CORPUS.read_text())]
    start = time.perf_counter()
    request_parser()
    build = time.perf_counter() - start
    medians = per_request_medians(requests)
    print(f"requests: {len(requests)}")
    print(f"parser build/load: {build * 1000:.1f} ms")
    print(f"median parse time per request: {statistics.median(medians) * 1000:.3f} ms")
    print(f"slowest request: {max(medians) * 1000:.3f} ms")


if __name__ == "__main__":
    main()
