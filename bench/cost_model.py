"""AWS requests and charges per million deliveries, from the figures the benchmarks measure.

Nothing here is measured on AWS: it is arithmetic on the call counts, item sizes, log
bytes and durations measured locally (bench/enqueue_cost.py, bench/sender_profile.py,
bench/local_stack_throughput.py), with the sizes and settings read from template.yaml
and the prices below. Free tiers are left out.

Prices: us-east-1, on-demand, as published on the pages named beside each, looked up
on 2026-12-03 through secondary pages that quote AWS's tables (the dates are theirs):

- Lambda, arm64: $0.20 per million requests; $0.0000133334 per GB-second (first 7.5
  billion GB-s a month). aws.amazon.com/lambda/pricing/; cloudchipr.com/blog/aws-lambda-
  pricing (2024).
- SQS, standard queue: $0.40 per million requests; each 64 KB of a request's payload is
  billed as one request. aws.amazon.com/sqs/pricing/; cloudburn.io/blog/amazon-sqs-pricing
  (March 2026).
- DynamoDB on demand, Standard table class: $0.625 per million write request units,
  $0.125 per million read request units (the prices since 2024-11-01). A write unit
  writes 1 KB, and each global secondary index the item lands in costs its own write; a
  strongly consistent read unit reads 4 KB. aws.amazon.com/dynamodb/pricing/on-demand/;
  airbyte.com/data-engineering-resources/dynamodb-pricing (July 2025).
- DynamoDB storage: $0.25 per GB-month (aws.amazon.com/dynamodb/pricing/), each item and
  each index entry counting 100 bytes more than its attributes (docs.aws.amazon.com/
  amazondynamodb/latest/developerguide/CapacityUnitCalculations.html); point-in-time
  recovery $0.20 per GB-month of the table, its global indexes not included (finops.com.py/
  services/dynamodb/backups, and the developer guide's Point-in-time-recovery page).
- API Gateway, HTTP API: $1.00 per million requests (first 300 million).
  aws.amazon.com/api-gateway/pricing/; awsforengineers.com/blog/aws-api-gateway-pricing-
  explained (May 2025).
- CloudWatch Logs, Standard class: $0.50 per GB ingested. aws.amazon.com/cloudwatch/
  pricing/; c3x.dev/blog/cloudwatch-logs-cost-optimization (June 2026).
- X-Ray: $5.00 per million traces recorded. aws.amazon.com/xray/pricing/.
"""

import math
from dataclasses import asdict, dataclass
from typing import Any

from local_stack.template import load_template

DELIVERIES = 1_000_000
DYNAMODB_PAGE_BYTES = 1024 * 1024
DYNAMODB_READ_UNIT_BYTES = 4 * 1024
DYNAMODB_WRITE_UNIT_BYTES = 1024
DYNAMODB_ITEM_OVERHEAD_BYTES = 100
DAYS_PER_MONTH = 365 / 12
TARGETS_PER_MESSAGE = 10
MESSAGES_PER_INVOCATION = 10
# The share of deliveries whose first attempt fails and whose second succeeds.
RETRIED_FRACTION = 0.05
# Limitation: Lambda's own START, END and REPORT lines per invocation are estimated, not
# measured (nothing here runs on Lambda).
PLATFORM_LOG_BYTES_PER_INVOCATION = 300

PRICES = {
    "lambda_request": 0.20 / 1e6,
    "lambda_arm64_gb_second": 0.0000133334,
    "sqs_request": 0.40 / 1e6,
    "dynamodb_write_unit": 0.625 / 1e6,
    "dynamodb_read_unit": 0.125 / 1e6,
    "dynamodb_storage_gb_month": 0.25,
    "dynamodb_backup_gb_month": 0.20,
    "http_api_request": 1.00 / 1e6,
    "logs_ingested_gb": 0.50,
    "xray_trace": 5.00 / 1e6,
}


@dataclass(frozen=True)
class CostLine:
    service: str
    item: str
    quantity: float
    unit: str
    dollars: float


def dynamodb_item_bytes(item: dict[str, dict[str, Any]]) -> int:
    """An item's size as DynamoDB counts it: attribute names plus their values.

    Strings count their UTF-8 bytes; a number about one byte per two significant digits,
    plus one. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/
    CapacityUnitCalculations.html
    """
    size = 0
    for name, typed_value in item.items():
        ((kind, value),) = typed_value.items()
        size += len(name.encode())
        if kind == "S":
            size += len(value.encode())
        elif kind == "N":
            digits = value.lstrip("-").replace(".", "").strip("0")
            size += math.ceil(len(digits) / 2) + 1
        else:
            size += len(str(value).encode())
    return size


def scan_read_units(table_bytes: int, segments: int) -> int:
    """Read units of a strongly consistent parallel scan of the whole table."""
    segment_bytes = table_bytes / segments
    return segments * max(1, math.ceil(segment_bytes / DYNAMODB_READ_UNIT_BYTES))


@dataclass(frozen=True)
class StackSettings:
    """What template.yaml says about the functions and tables the model prices."""

    sender_memory_gb: float
    trigger_memory_gb: float
    delivery_log_indexes: int
    delivery_log_retention_days: int
    delivery_log_backed_up: bool

    @classmethod
    def from_template(cls) -> "StackSettings":
        template = load_template({})

        def memory_gb(logical_id: str) -> float:
            properties = template.resources[logical_id]["Properties"]
            assert properties["Architectures"] == ["arm64"], "prices are for arm64"
            return int(template.resolve(properties["MemorySize"])) / 1024

        table = template.resources["DeliveryLogTable"]["Properties"]
        recovery = table.get("PointInTimeRecoverySpecification", {})
        return cls(
            sender_memory_gb=memory_gb("SenderFunction"),
            trigger_memory_gb=memory_gb("TriggerFunction"),
            delivery_log_indexes=len(table.get("GlobalSecondaryIndexes", [])),
            delivery_log_retention_days=int(template.parameters["DeliveryLogRetentionDays"]),
            delivery_log_backed_up=bool(recovery.get("PointInTimeRecoveryEnabled")),
        )


def cost_per_million_deliveries(
    enqueue: dict[str, Any],
    sender: dict[str, Any],
    sender_invocation_seconds: float,
    settings: StackSettings,
    retried_fraction: float = RETRIED_FRACTION,
) -> list[CostLine]:
    """Charges for 1,000,000 deliveries, fanned out `enqueue["targets"]` at a time.

    `enqueue` is one target count's figures from bench/enqueue_cost.py, `sender` those of
    bench/sender_profile.py, and `sender_invocation_seconds` the median duration of a
    sender invocation of 100 targets in the end-to-end benchmark.
    """
    targets_per_action = enqueue["targets"]
    actions = DELIVERIES / targets_per_action
    targets_per_invocation = TARGETS_PER_MESSAGE * MESSAGES_PER_INVOCATION
    invocations = DELIVERIES / targets_per_invocation
    retries = DELIVERIES * retried_fraction
    attempts = DELIVERIES + retries
    # A retry comes back alone after its jittered delay: one invocation, one receive and
    # one delete each (the worst case: under load, several share an invocation).
    retry_invocation_seconds = (
        sender["invocation_ms"] - sender["stage_ms"]["POST window"]
    ) / 1000 + sender["receiver_delay_ms"] / 1000
    requeue_batches = invocations * math.ceil(targets_per_invocation * retried_fraction / 10)
    send_batches = actions * enqueue["api_calls"]["sqs.SendMessageBatch"]
    log_item_units = math.ceil(sender["delivery_log_item_bytes"] / DYNAMODB_WRITE_UNIT_BYTES)
    # Every attempt's entry stays for the retention period, in the table and each index.
    log_table_gb_months = (
        attempts
        * (sender["delivery_log_item_bytes"] + DYNAMODB_ITEM_OVERHEAD_BYTES)
        / 1e9
        * settings.delivery_log_retention_days
        / DAYS_PER_MONTH
    )
    lookups_per_invocation = sender["api_calls"].get("dynamodb.BatchGetItem", 0)
    log_bytes = (invocations + retries) * (
        sender["log_bytes_per_invocation"] + PLATFORM_LOG_BYTES_PER_INVOCATION
    )
    sender_gb_seconds = settings.sender_memory_gb * (
        invocations * sender_invocation_seconds + retries * retry_invocation_seconds
    )
    price = PRICES
    lines = [
        ("API Gateway", "GET /action requests", actions, "requests", price["http_api_request"]),
        ("Lambda", "trigger invocations", actions, "requests", price["lambda_request"]),
        (
            "Lambda",
            f"trigger duration ({enqueue['action_seconds']} s measured)",
            actions * settings.trigger_memory_gb * enqueue["action_seconds"],
            "GB-s",
            price["lambda_arm64_gb_second"],
        ),
        (
            "Lambda",
            "sender invocations (100 targets each, plus one per retry)",
            invocations + retries,
            "requests",
            price["lambda_request"],
        ),
        (
            "Lambda",
            f"sender duration ({sender_invocation_seconds:.2f} s per 100 targets at 50 ms)",
            sender_gb_seconds,
            "GB-s",
            price["lambda_arm64_gb_second"],
        ),
        (
            "SQS",
            "SendMessageBatch by the trigger",
            send_batches * enqueue["billed_requests_per_send_batch"],
            "requests",
            price["sqs_request"],
        ),
        (
            "SQS",
            "ReceiveMessage and DeleteMessageBatch by the event source",
            2 * (invocations + retries),
            "requests",
            price["sqs_request"],
        ),
        ("SQS", "requeues of retried targets", requeue_batches, "requests", price["sqs_request"]),
        (
            "DynamoDB",
            "Scan of the webhooks table (strongly consistent)",
            actions * enqueue["scan_read_units"],
            "read units",
            price["dynamodb_read_unit"],
        ),
        (
            "DynamoDB",
            f"BatchGetItem of sending details ({lookups_per_invocation} per invocation)",
            attempts,
            "read units",
            price["dynamodb_read_unit"],
        ),
        (
            "DynamoDB",
            f"delivery log writes, one item per attempt in the table and"
            f" {settings.delivery_log_indexes} indexes",
            attempts * log_item_units * (1 + settings.delivery_log_indexes),
            "write units",
            price["dynamodb_write_unit"],
        ),
        ("DynamoDB", "trigger summary item", actions, "write units", price["dynamodb_write_unit"]),
        (
            "DynamoDB",
            f"delivery log storage, {settings.delivery_log_retention_days} days in the table"
            " and indexes",
            log_table_gb_months * (1 + settings.delivery_log_indexes),
            "GB-months",
            price["dynamodb_storage_gb_month"],
        ),
        (
            "DynamoDB",
            "point-in-time recovery of the delivery log table",
            log_table_gb_months if settings.delivery_log_backed_up else 0.0,
            "GB-months",
            price["dynamodb_backup_gb_month"],
        ),
        (
            "CloudWatch Logs",
            "sender log lines and EMF metrics at INFO",
            log_bytes / 1e9,
            "GB",
            price["logs_ingested_gb"],
        ),
        (
            "X-Ray",
            "traces if every invocation were sampled (an upper bound)",
            actions + invocations + retries,
            "traces",
            price["xray_trace"],
        ),
    ]
    return [
        CostLine(service, item, round(quantity, 4), unit, quantity * unit_price)
        for service, item, quantity, unit, unit_price in lines
    ]


def total_dollars(lines: list[CostLine]) -> float:
    return sum(line.dollars for line in lines)


def as_json(lines: list[CostLine]) -> list[dict[str, Any]]:
    return [asdict(line) | {"dollars": round(line.dollars, 5)} for line in lines]
