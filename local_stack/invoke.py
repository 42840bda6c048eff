"""`python -m local_stack invoke <LogicalId> --event FILE`: one function, one event.

Against the resources of the local stack that `make run` started, when one is running;
otherwise against a fresh embedded AWS endpoint holding a new copy of the template's
resources, which is gone when the command ends. Like `sam local invoke`, the function
runs in its own process with its own environment.
"""

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from local_stack.aws_endpoint import EmbeddedMoto
from local_stack.env_vars import EnvVars, apply_env_vars
from local_stack.errors import StartupError
from local_stack.function_runtime import FunctionRuntime
from local_stack.functions import function_specs
from local_stack.resources import LocalEndpoints, provision
from local_stack.state_file import read_running_stack
from local_stack.template import LOCAL_STACK_NAME, StackTemplate, load_template
from local_stack.worker_pool import Invocation


def read_event(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except OSError as error:
        raise StartupError(f"cannot read event file {path}: {error.strerror}") from None
    except ValueError as error:
        raise StartupError(f"event file {path} is not valid JSON: {error}") from None


def invoke_once(
    logical_id: str,
    event: Any,
    *,
    template_path: Path,
    parameter_overrides: Mapping[str, str],
    env_vars: EnvVars,
    state_file: Path | None,
) -> Invocation:
    running = read_running_stack(state_file) if state_file is not None else None
    if running is not None and running.template_path == str(template_path):
        template = load_template({**running.parameters, **parameter_overrides}, template_path)
        running.restore_resources(template)
        endpoints = LocalEndpoints(aws=running.aws_endpoint, dynamodb=running.dynamodb_endpoint)
        return _invoke(template, endpoints, logical_id, event, env_vars)

    template = load_template(parameter_overrides, template_path)
    moto = EmbeddedMoto()
    try:
        endpoints = LocalEndpoints(aws=moto.start())
        provision(
            template,
            endpoints,
            name_prefix=LOCAL_STACK_NAME,
            admin_token=os.environ.get("ADMIN_TOKEN"),
        )
        return _invoke(template, endpoints, logical_id, event, env_vars)
    finally:
        moto.stop()


def _invoke(
    template: StackTemplate,
    endpoints: LocalEndpoints,
    logical_id: str,
    event: Any,
    env_vars: EnvVars,
) -> Invocation:
    specs = apply_env_vars(function_specs(template), env_vars)
    if logical_id not in specs:
        known = ", ".join(sorted(specs))
        raise StartupError(f"the template has no function {logical_id}; it has {known}")
    functions = FunctionRuntime(
        {logical_id: specs[logical_id]}, endpoints.environment(), {logical_id: 1}
    )
    try:
        return functions.invoke(logical_id, event)
    finally:
        functions.close()
