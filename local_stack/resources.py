"""Creating the template's tables, queues and secrets in a local AWS endpoint.

Only the resource types the service stores data in are created; the rest (roles, log
groups, alarms, permissions) have no local meaning and are skipped. Each created resource
gets its physical id and attributes recorded on the template, so that `!Ref` and
`!GetAtt` in environment variables resolve to it.
"""

import contextlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from local_stack.template import LOCAL_REGION, StackTemplate, TemplateError


@dataclass(frozen=True)
class LocalEndpoints:
    """Where the local AWS services listen; DynamoDB may be elsewhere than the rest."""

    aws: str
    dynamodb: str | None = None

    def client(self, service: str, config: Config | None = None) -> Any:
        endpoint = self.dynamodb if service == "dynamodb" and self.dynamodb else self.aws
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=LOCAL_REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - the local endpoint's dummy key
            config=config,
        )

    def environment(self) -> dict[str, str]:
        """Variables that point boto3 in a function at these endpoints."""
        variables = {
            "AWS_ENDPOINT_URL": self.aws,
            "AWS_REGION": LOCAL_REGION,
            "AWS_DEFAULT_REGION": LOCAL_REGION,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
        }
        if self.dynamodb:
            variables["AWS_ENDPOINT_URL_DYNAMODB"] = self.dynamodb
        return variables


def provision(
    template: StackTemplate,
    endpoints: LocalEndpoints,
    *,
    name_prefix: str,
    admin_token: str | None = None,
) -> str:
    """Create every table, queue and secret; returns the admin token the secret holds."""
    for logical_id, resource in template.resources_of_type("AWS::DynamoDB::Table").items():
        _create_table(template, endpoints, logical_id, resource, f"{name_prefix}-{logical_id}")
    queues = template.resources_of_type("AWS::SQS::Queue")
    for logical_id in queues:
        _create_queue(template, endpoints, logical_id, f"{name_prefix}-{logical_id}")
    # Redrive policies name other queues by ARN, so they are set once every queue exists.
    for logical_id, resource in queues.items():
        _configure_queue(template, endpoints, logical_id, resource)
    token = admin_token or secrets.token_urlsafe(32)
    for logical_id, resource in template.resources_of_type("AWS::SecretsManager::Secret").items():
        _create_secret(
            template, endpoints, logical_id, resource, f"{name_prefix}-{logical_id}", token
        )
    for logical_id in template.resources_of_type("AWS::SNS::Topic"):
        _create_topic(template, endpoints, logical_id, f"{name_prefix}-{logical_id}")
    return token


def _create_table(
    template: StackTemplate,
    endpoints: LocalEndpoints,
    logical_id: str,
    resource: dict[str, Any],
    table_name: str,
) -> None:
    properties = template.resolve(resource.get("Properties", {}))
    arguments: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "BillingMode": "PAY_PER_REQUEST",
    }
    indexes = [
        {key: value for key, value in index.items() if key != "ProvisionedThroughput"}
        for index in properties.get("GlobalSecondaryIndexes", [])
    ]
    if indexes:
        arguments["GlobalSecondaryIndexes"] = indexes
    client = endpoints.client("dynamodb")
    # A restarted local stack keeps the table it made before.
    with contextlib.suppress(client.exceptions.ResourceInUseException):
        client.create_table(**arguments)
    client.get_waiter("table_exists").wait(TableName=table_name)
    ttl = properties.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        client.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
        )
    description = client.describe_table(TableName=table_name)["Table"]
    template.physical_ids[logical_id] = table_name
    template.attributes[(logical_id, "Arn")] = description["TableArn"]


def _create_queue(
    template: StackTemplate, endpoints: LocalEndpoints, logical_id: str, queue_name: str
) -> None:
    client = endpoints.client("sqs")
    queue_url = client.create_queue(QueueName=queue_name)["QueueUrl"]
    arn = client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    template.physical_ids[logical_id] = queue_url
    template.attributes[(logical_id, "Arn")] = arn["Attributes"]["QueueArn"]
    template.attributes[(logical_id, "QueueName")] = queue_name
    template.attributes[(logical_id, "QueueUrl")] = queue_url


_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
)


def _configure_queue(
    template: StackTemplate, endpoints: LocalEndpoints, logical_id: str, resource: dict[str, Any]
) -> None:
    properties = template.resolve(resource.get("Properties", {}))
    if properties.get("FifoQueue"):
        raise TemplateError(f"{logical_id}: FIFO queues are not supported by the local stack")
    attributes = {name: str(properties[name]) for name in _QUEUE_ATTRIBUTES if name in properties}
    if "RedrivePolicy" in properties:
        attributes["RedrivePolicy"] = json.dumps(properties["RedrivePolicy"])
    if attributes:
        endpoints.client("sqs").set_queue_attributes(
            QueueUrl=template.physical_ids[logical_id], Attributes=attributes
        )


def _create_secret(
    template: StackTemplate,
    endpoints: LocalEndpoints,
    logical_id: str,
    resource: dict[str, Any],
    secret_name: str,
    token: str,
) -> None:
    properties = template.resolve(resource.get("Properties", {}))
    value = properties.get("SecretString", token)
    client = endpoints.client("secretsmanager")
    try:
        arn = client.create_secret(Name=secret_name, SecretString=value)["ARN"]
    except client.exceptions.ResourceExistsException:
        arn = client.put_secret_value(SecretId=secret_name, SecretString=value)["ARN"]
    template.physical_ids[logical_id] = arn


def _create_topic(
    template: StackTemplate, endpoints: LocalEndpoints, logical_id: str, topic_name: str
) -> None:
    arn = endpoints.client("sns").create_topic(Name=topic_name)["TopicArn"]
    template.physical_ids[logical_id] = arn
    template.attributes[(logical_id, "TopicArn")] = arn
