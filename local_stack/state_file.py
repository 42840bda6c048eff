"""`.local/stack.json`: where a running local stack's resources are, for `invoke` to find.

The stack writes it once it is ready and removes it when it stops. It holds endpoints,
parameter values and resource ids, never the admin token (functions read that from the
local Secrets Manager, as on AWS).
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_stack.template import PROJECT_ROOT, StackTemplate

DEFAULT_STATE_FILE = PROJECT_ROOT / ".local" / "stack.json"


@dataclass(frozen=True)
class RunningStack:
    pid: int
    url: str
    aws_endpoint: str
    dynamodb_endpoint: str | None
    template_path: str
    parameters: dict[str, str]
    physical_ids: dict[str, str]
    attributes: dict[tuple[str, str], str]

    def restore_resources(self, template: StackTemplate) -> None:
        """Point `template` at this stack's resources instead of provisioning new ones."""
        template.physical_ids.update(self.physical_ids)
        template.attributes.update(self.attributes)


def write_state(path: Path, stack: RunningStack) -> None:
    document = {
        "pid": stack.pid,
        "url": stack.url,
        "awsEndpoint": stack.aws_endpoint,
        "dynamodbEndpoint": stack.dynamodb_endpoint,
        "templatePath": stack.template_path,
        "parameters": stack.parameters,
        "physicalIds": stack.physical_ids,
        "attributes": [[*key, value] for key, value in stack.attributes.items()],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed, so that a reader never sees half a file.
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(document, indent=2))
    partial.replace(path)


def read_running_stack(path: Path) -> RunningStack | None:
    """The stack described by `path`, if the file exists and its process is alive."""
    try:
        document: dict[str, Any] = json.loads(path.read_text())
        stack = RunningStack(
            pid=int(document["pid"]),
            url=document["url"],
            aws_endpoint=document["awsEndpoint"],
            dynamodb_endpoint=document.get("dynamodbEndpoint"),
            template_path=document["templatePath"],
            parameters=dict(document["parameters"]),
            physical_ids=dict(document["physicalIds"]),
            attributes={(item[0], item[1]): item[2] for item in document["attributes"]},
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    return stack if _process_alive(stack.pid) else None


def remove_state(path: Path, pid: int) -> None:
    """Remove the file if it still describes the stack of process `pid`."""
    stack = read_running_stack(path)
    if stack is not None and stack.pid == pid:
        path.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
