"""boto3 clients, one per service per warm container.

Creating a client costs tens of milliseconds, so each is made once and reused across
invocations. `AWS_ENDPOINT_URL` (read by boto3 itself) points them at a local endpoint.
"""

from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient

# Standard retry mode backs off on throttling and 5xx; the pool is large enough for the
# sender's and the trigger's worker threads to share one client.
_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=5,
    read_timeout=20,
    max_pool_connections=32,
)

# For the delivery log, written at the end of every sender invocation and every GET
# /action: an unreachable DynamoDB must cost seconds there (two attempts of at most 3 s),
# not the five attempts of up to 25 seconds above. Callers retry within their own budget.
_QUICK_WRITE_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 2},
    connect_timeout=1,
    read_timeout=2,
    max_pool_connections=8,
)


@cache
def dynamodb() -> "DynamoDBClient":
    return boto3.client("dynamodb", config=_CLIENT_CONFIG)


@cache
def dynamodb_for_quick_writes() -> "DynamoDBClient":
    return boto3.client("dynamodb", config=_QUICK_WRITE_CONFIG)


@cache
def sqs() -> "SQSClient":
    return boto3.client("sqs", config=_CLIENT_CONFIG)


@cache
def secrets_manager() -> "SecretsManagerClient":
    return boto3.client("secretsmanager", config=_CLIENT_CONFIG)
