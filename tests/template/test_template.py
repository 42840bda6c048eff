"""template.yaml: lint-clean, and the properties that keep data and routes safe."""

import subprocess
import sys
from pathlib import Path

import pytest

from local_stack.template import TEMPLATE_PATH, load_template

ADMIN_ROUTES = {
    ("post", "/webhooks"),
    ("get", "/webhooks"),
    ("get", "/webhooks/{id}"),
    ("put", "/webhooks/{id}"),
    ("delete", "/webhooks/{id}"),
}


@pytest.fixture(scope="module")
def template():
    return load_template(local_defaults={})


def api_paths(template):
    (api,) = template.resources_of_type("AWS::ApiGatewayV2::Api").values()
    return api["Properties"]["Body"]["paths"]


def test_cfn_lint_passes():
    result = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), str(TEMPLATE_PATH)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_admin_route_requires_the_admin_authorizer(template):
    paths = api_paths(template)
    routes = {(method, path) for path, methods in paths.items() for method in methods}
    assert routes >= ADMIN_ROUTES
    for method, path in ADMIN_ROUTES:
        assert paths[path][method]["security"] == [{"AdminAuthorizer": []}], (method, path)


def test_the_authorizer_reads_the_bearer_header_and_caches_briefly(template):
    (api,) = template.resources_of_type("AWS::ApiGatewayV2::Api").values()
    scheme = api["Properties"]["Body"]["components"]["securitySchemes"]["AdminAuthorizer"]
    authorizer = scheme["x-amazon-apigateway-authorizer"]
    assert authorizer["identitySource"] == ["$request.header.Authorization"]
    assert authorizer["enableSimpleResponses"] is True
    assert authorizer["authorizerPayloadFormatVersion"] == "2.0"
    assert 0 < template.resolve(authorizer["authorizerResultTtlInSeconds"]) <= 300


def test_webhooks_table_is_on_demand_recoverable_encrypted_and_retained(template):
    table = template.resources["WebhooksTable"]
    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"


def test_functions_run_python_3_12_on_arm64_with_the_shared_layer(template):
    functions = template.resources_of_type("AWS::Lambda::Function")
    assert functions
    for logical_id, function in functions.items():
        properties = function["Properties"]
        assert properties["Runtime"] == "python3.12", logical_id
        assert properties["Architectures"] == ["arm64"], logical_id
        assert len(properties["Layers"]) == 1, logical_id


def policy_actions(template, function_id):
    role_id = template.resources[function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    role = template.resources[role_id]["Properties"]
    actions = set()
    for policy in role.get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            listed = statement["Action"]
            actions.update([listed] if isinstance(listed, str) else listed)
    return actions


@pytest.mark.parametrize(
    ("function_id", "expected"),
    [
        ("RegisterWebhookFunction", {"dynamodb:PutItem"}),
        ("ListWebhooksFunction", {"dynamodb:Scan"}),
        ("GetWebhookFunction", {"dynamodb:GetItem"}),
        ("UpdateWebhookFunction", {"dynamodb:UpdateItem"}),
        ("DeleteWebhookFunction", {"dynamodb:DeleteItem"}),
        ("AdminAuthorizerFunction", {"secretsmanager:GetSecretValue"}),
    ],
)
def test_each_admin_function_may_do_only_what_its_action_needs(template, function_id, expected):
    assert policy_actions(template, function_id) == expected


def test_action_is_public_and_throttled_on_its_own(template):
    action = api_paths(template)["/action"]["get"]
    assert action.get("security", []) in ([], [{"NONE": []}])
    (stage,) = template.resources_of_type("AWS::ApiGatewayV2::Stage").values()
    settings = template.resolve(stage["Properties"]["RouteSettings"])["GET /action"]
    assert int(settings["ThrottlingRateLimit"]) == int(
        template.parameters["ActionThrottleRateLimit"]
    )
    assert int(settings["ThrottlingBurstLimit"]) == int(
        template.parameters["ActionThrottleBurstLimit"]
    )


def test_queues_are_encrypted_and_the_delivery_queue_redrives_to_the_dlq(template):
    queues = template.resources_of_type("AWS::SQS::Queue")
    assert set(queues) == {"DeliveryQueue", "DeliveryDLQ"}
    for queue in queues.values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
    redrive = queues["DeliveryQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["DeliveryDLQ", "Arn"]}
    assert redrive["maxReceiveCount"] >= 3


def test_visibility_timeout_is_at_least_six_times_the_senders_timeout(template):
    sender_timeout = template.resources["SenderFunction"]["Properties"]["Timeout"]
    visibility = template.resources["DeliveryQueue"]["Properties"]["VisibilityTimeout"]
    assert visibility >= 6 * sender_timeout


def test_sender_concurrency_is_capped_at_the_event_source_and_reserved(template):
    (mapping,) = template.resources_of_type("AWS::Lambda::EventSourceMapping").values()
    properties = template.resolve(mapping["Properties"])
    concurrency = template.parameters["SenderConcurrency"]
    assert mapping["Properties"]["FunctionName"] == {"Ref": "SenderFunction"}
    assert properties["BatchSize"] == 10
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert str(properties["ScalingConfig"]["MaximumConcurrency"]) == concurrency
    sender = template.resolve(template.resources["SenderFunction"]["Properties"])
    assert str(sender["ReservedConcurrentExecutions"]) == concurrency


def test_the_trigger_fits_within_the_http_apis_integration_timeout(template):
    assert template.resources["TriggerFunction"]["Properties"]["Timeout"] <= 29


@pytest.mark.parametrize(
    ("function_id", "expected"),
    [
        (
            "TriggerFunction",
            {"dynamodb:Scan", "sqs:SendMessage*", "dynamodb:PutItem"},
        ),
        (
            "SenderFunction",
            {"dynamodb:BatchGetItem", "sqs:SendMessage*", "dynamodb:BatchWriteItem"},
        ),
    ],
)
def test_fan_out_functions_may_do_only_what_they_need(template, function_id, expected):
    # The SQS event source adds the receive and delete actions the poller needs.
    polling = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
    actions = policy_actions(template, function_id)
    assert actions - polling == expected
