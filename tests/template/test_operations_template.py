"""template.yaml's operations parts: the delivery log table, its routes, alarms and policies."""

import pytest

from local_stack.template import load_template
from tests.template.test_template import api_paths, policy_actions

OPERATIONS_ROUTES = {
    ("get", "/webhooks/{id}/deliveries"),
    ("get", "/triggers/{triggerId}"),
    ("get", "/dead-letters"),
    ("post", "/dead-letters/replay"),
}


@pytest.fixture(scope="module")
def template():
    return load_template(local_defaults={})


def alarm_on(template, namespace: str, metric_name: str) -> dict:
    (alarm,) = [
        resource["Properties"]
        for resource in template.resources_of_type("AWS::CloudWatch::Alarm").values()
        if resource["Properties"]["Namespace"] == namespace
        and resource["Properties"]["MetricName"] == metric_name
    ]
    return alarm


def test_the_delivery_log_expires_by_ttl_after_the_retention_parameter(template):
    table = template.resources["DeliveryLogTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert template.parameters["DeliveryLogRetentionDays"] == "30"
    for function_id in ("SenderFunction", "TriggerFunction", "ReplayDeadLettersFunction"):
        variables = template.resources[function_id]["Properties"]["Environment"]["Variables"]
        assert variables["DELIVERY_LOG_RETENTION_DAYS"] == {"Ref": "DeliveryLogRetentionDays"}


def test_the_delivery_log_is_on_demand_recoverable_encrypted_and_indexed_by_webhook(template):
    table = template.resources["DeliveryLogTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["SSESpecification"]["SSEEnabled"] is True
    indexes = {index["IndexName"]: index["KeySchema"] for index in table["GlobalSecondaryIndexes"]}
    assert [key["AttributeName"] for key in indexes["WebhookIndex"]] == [
        "webhookId",
        "attemptedAt",
    ]
    assert [key["AttributeName"] for key in indexes["WebhookOutcomeIndex"]] == [
        "webhookOutcome",
        "attemptedAt",
    ]


def test_operations_routes_require_the_admin_authorizer(template):
    paths = api_paths(template)
    for method, path in OPERATIONS_ROUTES:
        assert paths[path][method]["security"] == [{"AdminAuthorizer": []}], (method, path)


def test_an_alarm_fires_when_anything_waits_in_the_dead_letter_queue(template):
    alarm = alarm_on(template, "AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["DeliveryDLQ", "QueueName"]}}
    ]
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["Threshold"] == 0


def test_an_alarm_fires_on_sender_errors(template):
    alarm = alarm_on(template, "AWS/Lambda", "Errors")
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "SenderFunction"}}]
    assert alarm["Statistic"] == "Sum"
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["Threshold"] == 0


def test_an_alarm_fires_when_the_oldest_delivery_waits_longer_than_the_parameter(template):
    alarm = alarm_on(template, "AWS/SQS", "ApproximateAgeOfOldestMessage")
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["DeliveryQueue", "QueueName"]}}
    ]
    assert alarm["Threshold"] == {"Ref": "DeliveryQueueAgeAlarmSeconds"}
    # Above the longest retry delay, which a healthy waiting retry spends in the queue.
    assert int(template.parameters["DeliveryQueueAgeAlarmSeconds"]) > 900


@pytest.mark.parametrize(
    ("topic", "expected_actions"),
    [
        ("", []),
        ("arn:aws:sns:us-east-1:123456789012:ops", ["arn:aws:sns:us-east-1:123456789012:ops"]),
    ],
)
def test_alarms_notify_the_topic_parameter_only_when_it_is_set(topic, expected_actions):
    template = load_template({"AlarmTopicArn": topic}, local_defaults={})
    alarms = template.resources_of_type("AWS::CloudWatch::Alarm")
    assert len(alarms) == 3
    for alarm in alarms.values():
        properties = template.resolve(alarm["Properties"])
        assert properties.get("AlarmActions", []) == expected_actions
        assert properties.get("OKActions", []) == expected_actions


@pytest.mark.parametrize(
    ("function_id", "expected"),
    [
        ("ListDeliveriesFunction", {"dynamodb:Query"}),
        ("GetTriggerFunction", {"dynamodb:Query"}),
        (
            "ListDeadLettersFunction",
            {"sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:ChangeMessageVisibility"},
        ),
        (
            "ReplayDeadLettersFunction",
            {
                "sqs:GetQueueAttributes",
                "sqs:ReceiveMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:SendMessage*",
                "dynamodb:BatchWriteItem",
            },
        ),
    ],
)
def test_each_operations_function_may_do_only_what_its_route_needs(
    template, function_id, expected
):
    assert policy_actions(template, function_id) == expected


def test_reading_deliveries_may_query_only_the_webhook_indexes(template):
    role_id = template.resources["ListDeliveriesFunction"]["Properties"]["Role"]["Fn::GetAtt"][0]
    (policy,) = template.resources[role_id]["Properties"]["Policies"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    resources = template.resolve(statement["Resource"])
    assert [resource.rsplit("/", 1)[-1] for resource in resources] == [
        "WebhookIndex",
        "WebhookOutcomeIndex",
    ]
