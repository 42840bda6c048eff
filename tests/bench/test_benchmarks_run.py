"""The benchmarks still run: `python -m bench` at its smallest, and the cost model on it.

No figure is held to a speed target here (those belong to the benchmarks, not to timed
tests): these check that each benchmark runs to its end and counts what it should.
"""

import importlib
import json
import subprocess
import sys
from typing import Any

import pytest

from bench.cost_model import (
    StackSettings,
    cost_per_million_deliveries,
    dynamodb_item_bytes,
    total_dollars,
)
from bench.counted_moto import operation_name
from bench.report import cost_table, summary_table
from local_stack.template import PROJECT_ROOT
from webhook_fanout.fan_out import SCAN_SEGMENTS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quick_figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    output = tmp_path_factory.mktemp("bench") / "figures.json"
    command = [sys.executable, "-m", "bench", "--quick", "--output", str(output)]
    command += ["--only", "enqueue_cost", "sender_profile"]
    subprocess.run(command, cwd=PROJECT_ROOT, check=True, capture_output=True, timeout=240)
    figures: dict[str, Any] = json.loads(output.read_text())
    return figures


def test_every_benchmark_module_imports() -> None:
    for path in sorted((PROJECT_ROOT / "bench").glob("*.py")):
        importlib.import_module(f"bench.{path.stem}")


def test_api_calls_are_named_by_service_and_operation() -> None:
    assert operation_name({"HTTP_X_AMZ_TARGET": "AmazonSQS.SendMessageBatch"}) == (
        "sqs.SendMessageBatch"
    )
    assert operation_name({"HTTP_X_AMZ_TARGET": "DynamoDB_20120810.Scan"}) == "dynamodb.Scan"
    assert operation_name({"QUERY_STRING": "Action=Publish&Version=1"}) == "query.Publish"
    assert operation_name({}) == "other"


def test_item_size_counts_attribute_names_and_values() -> None:
    item = {"id": {"S": "abc"}, "n": {"N": "12345"}}

    # "id" + "abc", then "n" + three bytes for five digits + one.
    assert dynamodb_item_bytes(item) == 2 + 3 + 1 + 3 + 1


def test_enqueue_cost_counts_one_send_batch_per_hundred_targets(
    quick_figures: dict[str, Any],
) -> None:
    for figure in quick_figures["results"]["enqueue_cost"]:
        calls = figure["api_calls"]

        assert calls["sqs.SendMessageBatch"] == figure["targets"] // 100
        assert calls["dynamodb.Scan"] == SCAN_SEGMENTS
        assert calls["dynamodb.PutItem"] == 1


def test_sender_profile_times_each_stage_and_counts_its_calls(
    quick_figures: dict[str, Any],
) -> None:
    profile = quick_figures["results"]["sender_profile"]

    assert {"webhook lookup", "POST window", "delivery log"} <= profile["stage_ms"].keys()
    assert profile["api_calls"] == {"dynamodb.BatchGetItem": 1, "dynamodb.BatchWriteItem": 4}
    assert profile["log_bytes_per_invocation"] > 0


def test_cost_model_prices_the_measured_calls(quick_figures: dict[str, Any]) -> None:
    results = quick_figures["results"]
    enqueue = next(f for f in results["enqueue_cost"] if f["targets"] == 1000)

    lines = cost_per_million_deliveries(
        enqueue, results["sender_profile"], 1.0, StackSettings.from_template()
    )

    log_writes = next(line for line in lines if line.item.startswith("delivery log writes"))
    # Every attempt (a million, plus 5% retried) writes one item to the table and 2 indexes.
    assert log_writes.quantity == pytest.approx(1_050_000 * 3)
    assert total_dollars(lines) > log_writes.dollars > 0
    table = cost_table(
        {
            "retried_fraction": 0.05,
            "lines_by_targets_per_action": {1000: [vars(line) for line in lines]},
            "dollars_per_million_by_targets_per_action": {1000: total_dollars(lines)},
        }
    )
    assert "| total |" in table


def test_summary_table_shows_what_ran(quick_figures: dict[str, Any]) -> None:
    table = summary_table(quick_figures)

    assert "1. enqueue, 1,000 targets" in table
    assert "one sender invocation, by stage" in table
    assert "end to end" not in table
