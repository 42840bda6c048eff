"""`--env-vars FILE`: environment variable overrides in `sam local`'s JSON format.

    {"Parameters": {"LOG_LEVEL": "DEBUG"}, "SenderFunction": {"MAX_ATTEMPTS": "2"}}

"Parameters" applies to every function, a function's logical id to that function and
wins over "Parameters". As with `sam local`, only variables the template declares for a
function are overridden; a variable it does not declare is ignored, with a warning when
the file names it for one function.
"""

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

from local_stack.functions import FunctionSpec

ALL_FUNCTIONS = "Parameters"

_logger = logging.getLogger(__name__)

EnvVars = dict[str, dict[str, str]]


class EnvVarsError(Exception):
    """The --env-vars file cannot be read or is not in SAM's format."""


def load_env_vars(path: Path) -> EnvVars:
    try:
        document = json.loads(path.read_text())
    except OSError as error:
        raise EnvVarsError(f"cannot read --env-vars file {path}: {error.strerror}") from None
    except ValueError as error:
        raise EnvVarsError(f"--env-vars file {path} is not valid JSON: {error}") from None
    return parse_env_vars(document, str(path))


def parse_env_vars(document: Any, source: str = "--env-vars") -> EnvVars:
    if not isinstance(document, dict):
        raise EnvVarsError(f"{source}: expected an object of function ids to variables")
    env_vars: EnvVars = {}
    for section, variables in document.items():
        if not isinstance(variables, dict):
            raise EnvVarsError(
                f"{source}: {section} must be an object of variable names to values"
            )
        env_vars[section] = {
            name: _text(source, section, name, value) for name, value in variables.items()
        }
    return env_vars


def _text(source: str, section: str, name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise EnvVarsError(f"{source}: {section}.{name} must be a string, number or boolean")


def apply_env_vars(specs: dict[str, FunctionSpec], env_vars: EnvVars) -> dict[str, FunctionSpec]:
    """The specs with their declared variables overridden as the file says."""
    for section in env_vars.keys() - specs.keys() - {ALL_FUNCTIONS}:
        _logger.warning("--env-vars: the template has no function %s", section)
    applied = {}
    for logical_id, spec in specs.items():
        overrides = {**env_vars.get(ALL_FUNCTIONS, {}), **env_vars.get(logical_id, {})}
        undeclared = sorted(env_vars.get(logical_id, {}).keys() - spec.environment.keys())
        if undeclared:
            _logger.warning(
                "--env-vars: %s does not declare %s in the template; ignored as sam local does",
                logical_id,
                ", ".join(undeclared),
            )
        environment = {
            name: overrides.get(name, value) for name, value in spec.environment.items()
        }
        applied[logical_id] = dataclasses.replace(spec, environment=environment)
    return applied
