"""Every benchmark of bench/ in one run: one table on stdout, the same figures as JSON.

    .venv/bin/python -m bench [--quick] [--only NAME ...] [--output FILE]

`make bench` runs it; `make bench ARGS=--quick` runs smaller sizes in about a minute.
The figures go to bench/results/latest.json (git ignores that folder; BENCHMARKS.md keeps
the table of a full run). Everything runs on loopback and stops by itself: each benchmark
bounds its own waits.
"""

import argparse
import json
import logging
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import (
    cold_start,
    cost_model,
    enqueue_cost,
    local_stack_throughput,
    sender_parallelism,
    sender_profile,
)
from bench.report import cost_table, summary_table
from bench.support import median
from local_stack.template import PROJECT_ROOT

DEFAULT_OUTPUT = PROJECT_ROOT / "bench" / "results" / "latest.json"


@dataclass(frozen=True)
class Sizes:
    enqueue_targets: tuple[int, ...]
    enqueue_runs: int
    parallelism_runs: int
    profile_runs: int
    end_to_end_targets: int
    end_to_end_runs: int
    import_runs: int
    sam_build: bool


FULL = Sizes((100, 1000, 10000), 3, 20, 10, 1000, 3, 5, True)
QUICK = Sizes((100, 1000), 1, 5, 3, 300, 1, 1, False)


def _end_to_end(sizes: Sizes) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as work_folder:
        return local_stack_throughput.measure(
            sizes.end_to_end_targets, sizes.end_to_end_runs, Path(work_folder)
        )


def _cold_start(sizes: Sizes) -> dict[str, Any]:
    built = cold_start.built_sizes() if sizes.sam_build else {"skipped": "--quick"}
    return {"imports": cold_start.import_times(sizes.import_runs), "built": built}


BENCHMARKS: dict[str, Callable[[Sizes], Any]] = {
    "enqueue_cost": lambda s: enqueue_cost.measure(list(s.enqueue_targets), s.enqueue_runs),
    "sender_parallelism": lambda s: sender_parallelism.measure(s.parallelism_runs),
    "sender_profile": lambda s: sender_profile.measure(s.profile_runs),
    "end_to_end": _end_to_end,
    "cold_start": _cold_start,
}


def run(sizes: Sizes, only: list[str]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    for name, benchmark in BENCHMARKS.items():
        if only and name not in only:
            continue
        print(f"== {name}", flush=True)
        started = time.monotonic()
        results[name] = benchmark(sizes)
        seconds[name] = round(time.monotonic() - started, 1)
    return {"results": results, "seconds": seconds, "cost_model": _cost_model(results)}


def _cost_model(results: dict[str, Any]) -> dict[str, Any] | None:
    """Charges per million deliveries for each measured fan-out size, if all inputs ran."""
    if not {"enqueue_cost", "sender_profile", "end_to_end"} <= results.keys():
        return None
    even_runs = results["end_to_end"]["scenarios"]["even"]["runs"]
    invocation_seconds = median([r["stack"]["sender_median_ms"] for r in even_runs]) / 1000
    settings = cost_model.StackSettings.from_template()
    by_size = {
        figure["targets"]: cost_model.cost_per_million_deliveries(
            figure, results["sender_profile"], invocation_seconds, settings
        )
        for figure in results["enqueue_cost"]
    }
    return {
        "retried_fraction": cost_model.RETRIED_FRACTION,
        "sender_invocation_seconds": invocation_seconds,
        "settings": asdict(settings),
        "prices": cost_model.PRICES,
        "dollars_per_million_by_targets_per_action": {
            targets: round(cost_model.total_dollars(lines), 4)
            for targets, lines in by_size.items()
        },
        "lines_by_targets_per_action": {
            targets: cost_model.as_json(lines) for targets, lines in by_size.items()
        },
    }


def machine() -> dict[str, Any]:
    cpu_model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return {
        "cpu_model": cpu_model,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "system": platform.platform(),
        "python": sys.version.split()[0],
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, no sam build")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), default=[])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    options = parser.parse_args()
    sizes = QUICK if options.quick else FULL
    # SAM's translator, which reads template.yaml, warns about its own metrics on exit.
    logging.getLogger("samtranslator").setLevel(logging.ERROR)
    started = time.monotonic()
    figures = {
        "machine": machine(),
        "command": " ".join(["python -m bench", *sys.argv[1:]]),
        "sizes": asdict(sizes),
        **run(sizes, options.only),
    }
    figures["total_seconds"] = round(time.monotonic() - started, 1)
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(figures, indent=2) + "\n")
    print()
    print(summary_table(figures))
    if figures["cost_model"] is not None:
        print()
        print(cost_table(figures["cost_model"]))
    print(f"\nfigures written to {options.output}")


if __name__ == "__main__":
    main()
