"""The figures of `python -m bench` as Markdown tables, for the terminal and BENCHMARKS.md."""

from collections.abc import Callable
from typing import Any

from bench.support import median

Row = tuple[str, str, str, str]
_MEBIBYTE = 1024 * 1024


def summary_table(figures: dict[str, Any]) -> str:
    results = figures["results"]
    sections: list[tuple[str, Callable[[Any], list[Row]]]] = [
        ("enqueue_cost", _enqueue_rows),
        ("sender_parallelism", _parallelism_rows),
        ("end_to_end", _end_to_end_rows),
        ("sender_profile", _profile_rows),
        ("cold_start", _cold_start_rows),
        ("end_to_end", lambda figures: _memory_rows(figures["memory"])),
    ]
    rows = [row for name, rows_of in sections if name in results for row in rows_of(results[name])]
    if figures.get("cost_model"):
        rows += _cost_rows(figures["cost_model"])
    machine = figures["machine"]
    heading = (
        f"{machine['cores']} cores, {machine['cpu_model']}, {machine['memory_gib']} GiB,"
        f" Python {machine['python']}, {machine['date']}.\n"
        f"`{figures['command']}` took {figures['total_seconds']:.0f} s."
    )
    return (
        heading
        + "\n\n"
        + _markdown(("benchmark", "figure", "measured", "target or comparison"), rows)
    )


def cost_table(cost: dict[str, Any]) -> str:
    sizes = cost["lines_by_targets_per_action"]
    targets = 1000 if 1000 in sizes else next(iter(sizes))
    rows = [
        (
            line["service"],
            line["item"],
            f"{_quantity(line['quantity'])} {line['unit']}",
            f"${line['dollars']:.4f}",
        )
        for line in sizes[targets]
    ]
    total = cost["dollars_per_million_by_targets_per_action"][targets]
    rows.append(("total", "", "", f"${total:.4f}"))
    heading = (
        f"Per million deliveries, {targets:,} targets per GET /action,"
        f" {cost['retried_fraction']:.0%} of deliveries retried once:"
    )
    return heading + "\n\n" + _markdown(("service", "what", "quantity", "dollars"), rows)


def _enqueue_rows(figures: list[dict[str, Any]]) -> list[Row]:
    rows = []
    for figure in figures:
        calls = figure["api_calls"]
        per_100 = figure["send_message_batch_per_100_targets"]
        rows.append(
            (
                f"1. enqueue, {figure['targets']:,} targets",
                "GET /action; AWS calls it made",
                f"{figure['action_seconds']:.2f} s; {calls.get('sqs.SendMessageBatch', 0)}"
                f" SendMessageBatch, {calls.get('dynamodb.Scan', 0)} Scan,"
                f" {calls.get('dynamodb.PutItem', 0)} PutItem",
                f"{per_100:.2f} SendMessageBatch per 100 targets (target <= 1.1):"
                f" {_met(per_100 <= 1.1)}; {figure['aws_scan_pages']} Scan pages on AWS",
            )
        )
    largest = figures[-1]
    moto_time = ", ".join(
        f"{name.split('.')[1]} {seconds:.1f} s over {_calls(largest['api_calls'][name])}"
        for name, seconds in largest["moto_seconds"].items()
    )
    rows.append(
        (
            "",
            f"moto's own time answering GET /action's calls, {largest['targets']:,} targets",
            moto_time,
            "calls overlap: 4 scan segments and 8 queue writes in flight",
        )
    )
    return rows


def _parallelism_rows(figure: dict[str, Any]) -> list[Row]:
    ratio = figure["ratio_to_one_request"]
    return [
        (
            "2. sender parallelism",
            f"{figure['targets']} targets x {figure['receiver_delay_ms']:.0f} ms, one invocation",
            f"median {figure['median_ms']:.0f} ms, p90 {figure['p90_ms']:.0f} ms",
            f"{ratio:.2f} x one request (target < {figure['target_ratio']}): {_met(ratio < 1.3)}",
        )
    ]


def _end_to_end_rows(figures: dict[str, Any]) -> list[Row]:
    rows = []
    for number, (name, scenario) in zip("34", figures["scenarios"].items(), strict=True):
        slow = (
            f", {scenario['slow_targets']} answer in {scenario['slow_delay_ms'] / 1000:.0f} s"
            if scenario["slow_targets"]
            else ""
        )
        label = f"{number}. end to end, {name}"
        what = f"{figures['targets']:,} targets x {figures['receiver_delay_ms']} ms{slow}"
        rows += [
            (
                label,
                f"{what}: limit (thread pool, 100 in flight)",
                f"{scenario['limit_seconds']:.2f} s",
                "",
            ),
            (
                "",
                "naive (lockstep batches of 10, 10 workers)",
                f"{scenario['naive_seconds']:.2f} s",
                "",
            ),
            (
                "",
                "stack: GET /action to the last answer",
                f"{scenario['stack_seconds']:.2f} s",
                f"{scenario['stack_to_limit']:.2f} x limit,"
                f" {scenario['stack_to_naive']:.2f} x naive",
            ),
        ]
        rows += _timeline_rows(scenario["runs"])
    return rows


def _timeline_rows(runs: list[dict[str, Any]]) -> list[Row]:
    stack = [run["stack"] for run in runs]

    def typical(key: str) -> float:
        return median([run[key] for run in stack])

    cpu: dict[str, float] = {}
    for run in stack:
        for label, seconds in run["cpu_seconds"].items():
            cpu[label] = cpu.get(label, 0.0) + seconds / len(stack)
    limit_cpu = sum(sum(run["limit"]["cpu_seconds"].values()) for run in runs) / len(runs)
    busiest = ", ".join(
        f"{label} {seconds:.2f}"
        for label, seconds in sorted(cpu.items(), key=lambda item: -item[1])[:4]
    )
    return [
        (
            "",
            "stack timeline (s after GET /action)",
            f"answered {typical('action_seconds'):.2f}, first sender started"
            f" {typical('first_sender_start_seconds'):.2f}, last sender ended"
            f" {typical('last_sender_end_seconds'):.2f}",
            f"{median([r['sender_invocations'] for r in stack]):.0f} sender invocations,"
            f" {typical('sender_median_ms'):.0f} ms median,"
            f" {typical('sender_ms_per_message'):.0f} ms per message of 10",
        ),
        (
            "",
            "CPU seconds of every process during a fan-out (mean of the runs)",
            f"stack's: {sum(cpu.values()):.2f} ({busiest})",
            f"limit's: {limit_cpu:.2f} (its client and the receiver)",
        ),
    ]


def _memory_rows(memory: dict[str, Any]) -> list[Row]:
    return [
        (
            "6. memory during 3 and 4",
            f"local stack, whole tree ({memory['processes']} processes), sum of RSS",
            f"peak {memory['tree_peak_rss_mib']:.0f} MiB (idle {memory['tree_idle_rss_mib']:.0f})",
            f"PSS (shared pages divided): {memory['tree_after_pss_mib']:.0f} MiB after the runs;"
            f" stack process alone: peak {memory['stack_process_peak_rss_mib']:.0f} MiB RSS",
        ),
        (
            "",
            "one sender worker (a sender invocation's sandbox), kernel's peak RSS",
            f"{memory['sender_worker_peak_rss_mib']:.0f} MiB"
            f" (idle {memory['sender_worker_idle_rss_mib']:.0f})",
            "SenderFunction has 256 MB",
        ),
    ]


def _profile_rows(figure: dict[str, Any]) -> list[Row]:
    stages = ", ".join(f"{name} {ms:.0f}" for name, ms in figure["stage_ms"].items() if ms >= 0.5)
    calls = ", ".join(
        f"{count} {name.split('.')[1]}" for name, count in figure["api_calls"].items()
    )
    return [
        (
            "3. one sender invocation, by stage",
            f"{figure['targets']} targets x {figure['receiver_delay_ms']} ms, in-process",
            f"{figure['invocation_ms']:.0f} ms: {stages}",
            f"floor {figure['window_floor_ms']:.0f} ms; {figure['invocation_cpu_ms']:.0f} ms"
            f" of CPU; AWS calls: {calls};"
            f" {figure['log_bytes_per_invocation']:,} log bytes at INFO",
        )
    ]


def _cold_start_rows(figures: dict[str, Any]) -> list[Row]:
    imports = figures["imports"]
    with_bytecode = imports["with_bytecode_ms"]
    as_built = imports["as_built_ms"]
    heavy = ", ".join(
        f"{name} {ms:.0f}" for name, ms in list(imports["sender_self_ms_by_package"].items())[:5]
    )
    rows = [
        (
            "5. cold start, import",
            f"handler import, Python {imports['python']}, median of {imports['runs']}",
            f"sender {with_bytecode['SenderFunction']:.0f} ms, trigger"
            f" {with_bytecode['TriggerFunction']:.0f} ms; all functions"
            f" {min(with_bytecode.values()):.0f}-{max(with_bytecode.values()):.0f} ms",
            "with bytecode cached",
        ),
        (
            "",
            "the same without bytecode for layer and function (as `sam build` ships them)",
            f"sender {as_built['SenderFunction']:.0f} ms,"
            f" trigger {as_built['TriggerFunction']:.0f} ms",
            f"sender's import by package (ms, self time): {heavy}",
        ),
    ]
    built = figures["built"]
    if "skipped" in built:
        return [*rows, ("5. cold start, sizes", "sam build", "skipped", built["skipped"])]
    layer = built["artifacts"]["SharedLayer"]
    functions = [size for name, size in built["artifacts"].items() if name != "SharedLayer"]
    largest = ", ".join(
        f"{name} {mib:.1f}" for name, mib in built["layer_largest_packages_mib"].items()
    )
    return [
        *rows,
        (
            "5. cold start, sizes",
            f"`sam build` (arm64, {built['sam_cli']}): shared layer",
            f"{layer['unzipped_bytes'] / _MEBIBYTE:.1f} MiB,"
            f" zipped {layer['zipped_bytes'] / _MEBIBYTE:.1f} MiB,"
            f" {layer['files']:,} files, {layer['bytecode_files']} .pyc",
            f"largest packages (MiB): {largest}",
        ),
        (
            "",
            "each function",
            f"{max(f['unzipped_bytes'] for f in functions) / 1024:.1f} KiB at most unzipped",
            "the handler module only",
        ),
    ]


def _cost_rows(cost: dict[str, Any]) -> list[Row]:
    totals = cost["dollars_per_million_by_targets_per_action"]
    by_size = ", ".join(f"${dollars:.2f} at {targets:,}" for targets, dollars in totals.items())
    return [
        (
            "7. cost model",
            "AWS charges per million deliveries, by targets per GET /action",
            by_size,
            f"{cost['retried_fraction']:.0%} retried once; breakdown below",
        )
    ]


def _calls(count: int) -> str:
    return f"{count} call" if count == 1 else f"{count} calls"


def _quantity(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def _met(condition: bool) -> str:
    return "met" if condition else "NOT met"


def _markdown(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]
    return "\n".join(lines)
