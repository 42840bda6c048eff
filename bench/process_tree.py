"""Memory and CPU time of a process and its descendants, read from Linux's /proc.

`ProcessTreeSampler` reads the tree every `interval_seconds` in a thread of its own and
keeps the largest sum of resident set sizes (RSS) it saw: the tree's peak, within one
interval. Each process's own peak comes from the kernel (VmHWM), so it misses nothing.
RSS counts shared library pages once per process that maps them, so the sum overstates
what the tree takes from the machine by those shared pages; `tree_pss_bytes` divides each
shared page among the processes that map it (PSS), which sums to the tree's real share,
but it is too slow to read every 100 ms and is read once when asked.
"""

import json
import os
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

_CLOCK_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcessUsage:
    pid: int
    label: str
    rss_bytes: int
    peak_rss_bytes: int
    cpu_seconds: float


def descendants(root_pid: int) -> list[int]:
    """`root_pid` and every process below it."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = _parent_pid(int(entry.name))
            if parent is not None:
                children[parent].append(int(entry.name))
    tree, pending = [], [root_pid]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def usage(pid: int) -> ProcessUsage | None:
    """One process's memory and CPU time; None if it has exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (FileNotFoundError, ProcessLookupError):
        return None
    kilobytes = {
        line.split(":")[0]: int(line.split()[1]) * 1024
        for line in status.splitlines()
        if line.startswith(("VmRSS:", "VmHWM:"))
    }
    # Fields 14 and 15 of /proc/<pid>/stat (user and system time), counted after the ")".
    cpu_ticks = int(fields[11]) + int(fields[12])
    return ProcessUsage(
        pid,
        _label([part.decode(errors="replace") for part in command if part]),
        kilobytes.get("VmRSS", 0),
        kilobytes.get("VmHWM", 0),
        cpu_ticks / _CLOCK_TICKS_PER_SECOND,
    )


def tree_usage(root_pid: int) -> list[ProcessUsage]:
    return [found for pid in descendants(root_pid) if (found := usage(pid)) is not None]


def tree_pss_bytes(root_pid: int) -> int:
    """Sum of the proportional set sizes of the tree's processes now."""
    total = 0
    for pid in descendants(root_pid):
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        total += sum(
            int(line.split()[1]) * 1024 for line in rollup.splitlines() if line.startswith("Pss:")
        )
    return total


class ProcessTreeSampler:
    """Samples a process tree until stopped; `peak_rss_bytes` is the largest sum seen."""

    # Limitation: a peak of the sum shorter than the interval can fall between two
    # samples; each process's own peak (VmHWM) misses nothing.

    def __init__(self, root_pid: int, interval_seconds: float = 0.1) -> None:
        self.root_pid = root_pid
        self.interval_seconds = interval_seconds
        self.peak_rss_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> "ProcessTreeSampler":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            total = sum(process.rss_bytes for process in tree_usage(self.root_pid))
            self.peak_rss_bytes = max(self.peak_rss_bytes, total)
            self._stop.wait(self.interval_seconds)


def cpu_seconds_by_label(processes: list[ProcessUsage]) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for process in processes:
        totals[process.label] += process.cpu_seconds
    return dict(totals)


def _parent_pid(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return None


def _label(command: list[str]) -> str:
    """A worker of the local stack by its function's logical id, the rest by module name."""
    for argument in command:
        if argument.startswith("--function="):
            return str(json.loads(argument.removeprefix("--function="))["logicalId"])
    if "-m" in command[:-1]:
        return command[command.index("-m") + 1]
    return Path(command[0]).name if command else "?"
