"""Cold start: how long each function's handler takes to import, and the built sizes.

Import time: for each function of template.yaml, `runs` fresh processes of this virtual
environment's interpreter (Python 3.11 here; Lambda runs 3.12 on arm64), each with
exactly the environment the local stack gives that function's workers and the function's
folder and the layer's at the head of sys.path, time `import app`; the figure is the
median. The interpreter's own start is not included, nor Lambda's (its runtime starts
before the handler is imported).

- With bytecode: the .pyc files that pip and earlier imports left beside the sources.
- As built (sender and trigger): with no bytecode for anything but the standard library.
  `sam build` ships no .pyc files, and Lambda's /opt and /var/task are read-only, so on
  Lambda each cold start compiles every module of the layer and the function again; the
  runtime's standard library has its bytecode. Here the standard library's bytecode is
  kept in a separate cache (PYTHONPYCACHEPREFIX) and nothing else is written.

`-X importtime` for the sender then names the packages that take most of its import.

Sizes: `sam build` of template.yaml into a temporary folder, then each built function's
and the layer's size unzipped and zipped (deflate, as `sam deploy` uploads them). This
needs SAM CLI (`SAM_CLI`, `.venv/bin/sam` or `sam` on PATH) and a `python3.12` that runs;
without them the sizes say why they were skipped.

    .venv/bin/python -m bench.cold_start [--runs 5] [--skip-build]
"""

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

from bench.support import in_process_stack, median
from local_stack.functions import FunctionSpec
from local_stack.template import PROJECT_ROOT, TEMPLATE_PATH
from local_stack.worker_pool import worker_environment

# Limitation: imports run on this machine's Python (3.11, x86_64) from the development
# environment's packages, not on Lambda's 3.12 on arm64 from the built layer, whose native
# modules (pydantic_core and others) are built for arm64 and do not load here.
AS_BUILT_FUNCTIONS = ("SenderFunction", "TriggerFunction")
SAM_BUILD_TIMEOUT_SECONDS = 900
_MEBIBYTE = 1024 * 1024

_TIMED_IMPORT = """
import sys, time
sys.path[0:0] = {paths!r}
started = time.perf_counter()
import {module}
print(time.perf_counter() - started)
"""
_STANDARD_LIBRARY_LOADED = """
import sys
sys.path[0:0] = {paths!r}
import {module}
print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] in sys.stdlib_module_names)))
"""
_IMPORT_EACH = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
"""


def import_times(runs: int) -> dict[str, Any]:
    with in_process_stack() as make_stack:
        stack = make_stack()
        endpoint_variables = stack.endpoints.environment()
    # Importing makes no AWS call: moto is stopped before anything is timed.
    specs = dict(sorted(stack.specs.items()))
    environments = {
        logical_id: worker_environment(spec, endpoint_variables)
        for logical_id, spec in specs.items()
    }
    with_bytecode = {
        # One import first, untimed, writes whatever bytecode is missing.
        logical_id: _median_ms(
            [_import_seconds(spec, environments[logical_id]) for _ in range(runs + 1)][1:]
        )
        for logical_id, spec in specs.items()
    }
    as_built = {
        logical_id: _median_ms(
            _as_built_import_seconds(specs[logical_id], environments[logical_id], runs)
        )
        for logical_id in AS_BUILT_FUNCTIONS
    }
    sender = specs["SenderFunction"]
    return {
        "runs": runs,
        "python": sys.version.split()[0],
        "with_bytecode_ms": with_bytecode,
        "as_built_ms": as_built,
        "sender_self_ms_by_package": _importtime_by_package(
            sender, environments[sender.logical_id]
        ),
    }


def _import_seconds(spec: FunctionSpec, environment: dict[str, str]) -> float:
    output = _run_python(_TIMED_IMPORT, spec, environment).stdout
    return float(output.split()[-1])


def _as_built_import_seconds(
    spec: FunctionSpec, environment: dict[str, str], runs: int
) -> list[float]:
    with tempfile.TemporaryDirectory() as cache:
        standard_library = _run_python(_STANDARD_LIBRARY_LOADED, spec, environment).stdout.split()
        subprocess.run(
            [sys.executable, "-c", _IMPORT_EACH, *standard_library],
            env={**environment, "PYTHONPYCACHEPREFIX": cache},
            check=True,
        )
        compiled_anew = {
            **environment,
            "PYTHONPYCACHEPREFIX": cache,
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        return [_import_seconds(spec, compiled_anew) for _ in range(runs)]


def _importtime_by_package(spec: FunctionSpec, environment: dict[str, str]) -> dict[str, float]:
    """Milliseconds each top-level package spent importing its own modules (self time)."""
    report = _run_python(_TIMED_IMPORT, spec, environment, ("-X", "importtime")).stderr
    self_us: Counter[str] = Counter()
    for line in report.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_time, _, name = line.removeprefix("import time:").split("|")
        root = name.strip().split(".")[0]
        group = "standard library" if root in sys.stdlib_module_names else root
        self_us[group] += int(self_time)
    return {name: round(us / 1000, 1) for name, us in self_us.most_common(8)}


def _run_python(
    script: str, spec: FunctionSpec, environment: dict[str, str], options: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    paths = [str(spec.code_path), *(str(path) for path in spec.layer_paths)]
    return subprocess.run(
        [sys.executable, *options, "-c", script.format(paths=paths, module=spec.module_name)],
        cwd=spec.code_path,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )


def built_sizes() -> dict[str, Any]:
    sam, reason = _sam_cli()
    if sam is None:
        return {"skipped": reason}
    with tempfile.TemporaryDirectory() as work_folder:
        build_folder = Path(work_folder) / "build"
        command = [
            sam,
            "build",
            "--template-file",
            str(TEMPLATE_PATH),
            "--build-dir",
            str(build_folder),
            "--cache-dir",
            str(Path(work_folder) / "cache"),
        ]
        result = subprocess.run(
            command,
            cwd=PROJECT_ROOT,
            env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
            capture_output=True,
            text=True,
            timeout=SAM_BUILD_TIMEOUT_SECONDS,
        )
        if result.returncode != 0:
            return {"skipped": f"sam build failed: {_last_line(result.stderr or result.stdout)}"}
        artifacts = {
            folder.name: _folder_size(folder)
            for folder in sorted(build_folder.iterdir())
            if folder.is_dir()
        }
        layer_packages = _largest_folders(build_folder / "SharedLayer" / "python")
    return {
        "sam_cli": _last_line(
            subprocess.run([sam, "--version"], capture_output=True, text=True).stdout
        ),
        "artifacts": artifacts,
        "layer_largest_packages_mib": layer_packages,
    }


def _sam_cli() -> tuple[str | None, str]:
    candidates = [
        os.environ.get("SAM_CLI"),
        str(PROJECT_ROOT / ".venv/bin/sam"),
        shutil.which("sam"),
    ]
    sam = next((c for c in candidates if c and Path(c).is_file()), None)
    if sam is None:
        return None, "SAM CLI not found (set SAM_CLI, or install it as `make build` does)"
    python312 = shutil.which("python3.12")
    if python312 is None:
        return None, "python3.12 is not on PATH; sam build needs it for the python3.12 runtime"
    check = subprocess.run([python312, "--version"], capture_output=True, text=True)
    if check.returncode != 0:
        return None, f"python3.12 on PATH does not run: {_last_line(check.stderr)}"
    return sam, ""


def _folder_size(folder: Path) -> dict[str, Any]:
    files = [path for path in folder.rglob("*") if path.is_file()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(folder))
    return {
        "files": len(files),
        "bytecode_files": sum(1 for path in files if path.suffix == ".pyc"),
        "unzipped_bytes": sum(path.stat().st_size for path in files),
        "zipped_bytes": len(buffer.getvalue()),
    }


def _largest_folders(folder: Path, count: int = 5) -> dict[str, float]:
    sizes = {
        child.name: sum(path.stat().st_size for path in child.rglob("*") if path.is_file())
        for child in folder.iterdir()
        if child.is_dir() and not child.name.endswith(".dist-info")
    }
    largest = sorted(sizes.items(), key=lambda item: item[1], reverse=True)[:count]
    return {name: round(size / _MEBIBYTE, 1) for name, size in largest}


def _median_ms(seconds: list[float]) -> float:
    return round(median(seconds) * 1000, 1)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-build", action="store_true")
    options = parser.parse_args()
    figures = {"imports": import_times(options.runs)}
    figures["built"] = {"skipped": "--skip-build"} if options.skip_build else built_sizes()
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
