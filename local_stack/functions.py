"""The template's Lambda functions: what each runs, with which settings, and loading it."""

import importlib.util
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from local_stack.template import StackTemplate, TemplateError

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_path: Path
    handler: str
    timeout_seconds: int
    memory_mb: int
    environment: dict[str, str]
    layer_paths: tuple[Path, ...]
    reserved_concurrency: int | None

    @property
    def module_name(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def function_name(self) -> str:
        return self.handler.rsplit(".", 1)[1]


def function_specs(template: StackTemplate) -> dict[str, FunctionSpec]:
    """Every AWS::Lambda::Function, with its environment resolved to local resources."""
    specs = {}
    for logical_id, resource in template.resources_of_type("AWS::Lambda::Function").items():
        properties = template.resolve(resource["Properties"])
        variables = properties.get("Environment", {}).get("Variables", {})
        reserved = properties.get("ReservedConcurrentExecutions")
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            code_path=_code_path(template, logical_id, properties["Code"]),
            handler=properties["Handler"],
            timeout_seconds=int(properties.get("Timeout", 3)),
            memory_mb=int(properties.get("MemorySize", 128)),
            environment={name: str(value) for name, value in variables.items()},
            layer_paths=tuple(
                _layer_path(template, layer) for layer in resource["Properties"].get("Layers", [])
            ),
            reserved_concurrency=int(reserved) if reserved is not None else None,
        )
    return specs


def function_ids_by_reference(template: StackTemplate) -> dict[str, str]:
    """Logical ids by what may name a function elsewhere: its name (Ref) or ARN (GetAtt)."""
    references = {}
    for logical_id in template.resources_of_type("AWS::Lambda::Function"):
        references[str(template.resolve({"Ref": logical_id}))] = logical_id
        references[str(template.resolve({"Fn::GetAtt": [logical_id, "Arn"]}))] = logical_id
    return references


def _code_path(template: StackTemplate, logical_id: str, code: dict[str, Any]) -> Path:
    # load_template replaced each local folder by s3://local-code/<LogicalId>.zip.
    source_id = str(code.get("S3Key", "")).removesuffix(".zip")
    if source_id not in template.code_paths:
        raise TemplateError(f"{logical_id}: code is not a local folder")
    return template.code_paths[source_id]


def _layer_path(template: StackTemplate, layer: Any) -> Path:
    if not (isinstance(layer, dict) and "Ref" in layer):
        raise TemplateError(f"layer {layer} is not one of the template's own layers")
    resource = template.resources[layer["Ref"]]
    return _code_path(template, layer["Ref"], resource["Properties"]["Content"])


@contextmanager
def function_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """Set `variables` in os.environ for the duration, restoring what was there."""
    import os

    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def import_handler_module(spec: FunctionSpec, module_alias: str) -> ModuleType:
    """Import the function's handler module under `module_alias`, a name unique to it.

    Every function's module is called app.py, so each is loaded under its own name
    rather than through sys.path. The caller sets the function's environment first,
    because handler modules read their settings at import, as they do on a cold start.
    """
    path = spec.code_path / f"{spec.module_name.replace('.', '/')}.py"
    module_spec = importlib.util.spec_from_file_location(module_alias, path)
    if module_spec is None or module_spec.loader is None:
        raise TemplateError(f"{spec.logical_id}: no handler module at {path}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_alias] = module
    try:
        module_spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_alias]
        raise
    return module


class LocalLambdaContext:
    """The parts of Lambda's context object that handlers and Powertools read."""

    def __init__(self, spec: FunctionSpec, request_id: str, deadline: float) -> None:
        import time

        self._clock = time.monotonic
        self._deadline = deadline
        self.function_name = spec.logical_id
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = spec.memory_mb
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:123456789012:function:{spec.logical_id}"
        )
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{spec.logical_id}"
        self.log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - self._clock()) * 1000))
