"""The local stack: AWS endpoint, resources, functions, HTTP API and SQS event sources.

`LocalStack.start` builds everything from the template in an order that finds mistakes
before anything slow starts (the template, then the port), and `stop` takes it down in
the reverse order, within a few seconds, leaving no process behind.
"""

import os
import secrets
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from botocore.config import Config

from local_stack.api_gateway import ApiGateway
from local_stack.api_routes import http_api_config
from local_stack.aws_endpoint import EmbeddedMoto
from local_stack.dynamodb_local import DynamoDBLocal
from local_stack.env_vars import EnvVars, apply_env_vars
from local_stack.function_runtime import FunctionRuntime, concurrency_limits, sqs_concurrency
from local_stack.functions import function_specs
from local_stack.http_server import HttpApiServer
from local_stack.invocation_log import InvocationLog
from local_stack.resources import LocalEndpoints, provision
from local_stack.sqs_event_source import SqsPollers, sqs_event_source_mappings
from local_stack.state_file import DEFAULT_STATE_FILE, RunningStack, remove_state, write_state
from local_stack.template import LOCAL_STACK_NAME, TEMPLATE_PATH, StackTemplate, load_template

DYNAMODB_BACKENDS = ("moto", "dynamodb-local")
# How long invocations in flight may take to finish when the stack stops.
DRAIN_SECONDS = 3.0


@dataclass(frozen=True)
class StackOptions:
    host: str = "127.0.0.1"
    port: int = 3000
    parameter_overrides: Mapping[str, str] = field(default_factory=dict)
    env_vars: EnvVars = field(default_factory=dict)
    dynamodb: str = "moto"
    log_format: str = "text"
    admin_token: str | None = None
    template_path: Path = TEMPLATE_PATH
    state_file: Path | None = DEFAULT_STATE_FILE


class LocalStack:
    def __init__(self, options: StackOptions, output: TextIO | None = None) -> None:
        self.options = options
        self.output = output or sys.stdout
        self.url = ""
        self.admin_token = options.admin_token or secrets.token_urlsafe(32)
        self.token_generated = options.admin_token is None
        self.template: StackTemplate | None = None
        self.endpoints: LocalEndpoints | None = None
        self._server: HttpApiServer | None = None
        self._stoppers: list[Callable[[], None]] = []

    def start(self) -> None:
        """Start everything; on failure, stop what had started and raise."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop in reverse order of starting, taking no new requests from the first moment."""
        if self._server is not None:
            self._server.stop()
        while self._stoppers:
            self._stoppers.pop()()

    def _start(self) -> None:
        options = self.options
        self.template = template = load_template(
            options.parameter_overrides, options.template_path
        )
        api_config = http_api_config(template)
        self._server = server = HttpApiServer(options.host, options.port)
        self._stoppers.append(server.stop)
        self.url = server.url

        self.endpoints = endpoints = self._start_endpoints()
        provision(template, endpoints, name_prefix=LOCAL_STACK_NAME, admin_token=self.admin_token)
        mappings = [m for m in sqs_event_source_mappings(template) if m.enabled]
        specs = apply_env_vars(function_specs(template), options.env_vars)
        functions = FunctionRuntime(
            specs, endpoints.environment(), concurrency_limits(specs, mappings)
        )
        self._stoppers.append(functions.close)
        functions.warm_all()

        log = InvocationLog(options.log_format, self.output)
        server.start(ApiGateway(api_config, functions.invoke, log))
        sqs = endpoints.client("sqs", Config(max_pool_connections=64))
        pollers = [
            SqsPollers(
                mapping,
                sqs,
                functions.invoke,
                log,
                sqs_concurrency(mapping, specs[mapping.function_logical_id]),
            )
            for mapping in mappings
        ]
        for mapping_pollers in pollers:
            mapping_pollers.start()
        self._stoppers.append(lambda: _stop_pollers(pollers))
        threading.Thread(
            target=_prewarm_pollers_functions,
            args=(functions, pollers),
            name="prewarm",
            daemon=True,
        ).start()
        if options.state_file is not None:
            self._write_state(options.state_file, template, endpoints)

    def _start_endpoints(self) -> LocalEndpoints:
        moto = EmbeddedMoto()
        aws_endpoint = moto.start()
        self._stoppers.append(moto.stop)
        dynamodb_endpoint = None
        if self.options.dynamodb == "dynamodb-local":
            dynamodb_local = DynamoDBLocal()
            self._stoppers.append(dynamodb_local.stop)
            dynamodb_endpoint = dynamodb_local.start()
        return LocalEndpoints(aws=aws_endpoint, dynamodb=dynamodb_endpoint)

    def _write_state(
        self, state_file: Path, template: StackTemplate, endpoints: LocalEndpoints
    ) -> None:
        write_state(
            state_file,
            RunningStack(
                pid=os.getpid(),
                url=self.url,
                aws_endpoint=endpoints.aws,
                dynamodb_endpoint=endpoints.dynamodb,
                template_path=str(self.options.template_path),
                parameters=template.parameters,
                physical_ids=template.physical_ids,
                attributes=template.attributes,
            ),
        )
        self._stoppers.append(lambda: remove_state(state_file, os.getpid()))


def _prewarm_pollers_functions(functions: FunctionRuntime, pollers: list[SqsPollers]) -> None:
    for mapping_pollers in pollers:
        pool = functions.pools[mapping_pollers.mapping.function_logical_id]
        pool.prewarm(mapping_pollers.concurrency)


def _stop_pollers(pollers: list[SqsPollers]) -> None:
    # Invocations in flight get DRAIN_SECONDS to finish; the functions' workers are then
    # stopped, which fails any that remain, leaving their messages in the queue.
    for mapping_pollers in pollers:
        mapping_pollers.signal_stop()
    for mapping_pollers in pollers:
        mapping_pollers.join(DRAIN_SECONDS)
