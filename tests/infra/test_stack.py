"""Properties of the synthesized CloudFormation template."""

from __future__ import annotations

import json
import re

import pytest
from aws_cdk.assertions import Match

from stacks.config import ConfigError, load_config
from stacks.workflow_spec import DEFINITION_FILE
from tests.infra.conftest import synth

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]


def resources(template, kind):
    return template.find_resources(kind)


def test_three_arm64_functions_with_powertools_layer_tracing_and_logs(template):
    functions = resources(template, "AWS::Lambda::Function")
    assert len(functions) == 3
    for fn in functions.values():
        props = fn["Properties"]
        assert props["Architectures"] == ["arm64"]
        assert props["Runtime"] == "python3.14"
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert props["Layers"][0]["Ref"].startswith("SsmParameterValueawsservicepowertools")
        assert "LoggingConfig" in props
        assert props["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == "scatter-gather"
    parameters = template.to_json()["Parameters"]
    assert any(
        p.get("Default") == "/aws/service/powertools/python/arm64/python3.14/latest"
        for p in parameters.values()
    )
    worker = next(
        f["Properties"]
        for f in functions.values()
        if f["Properties"]["Handler"].endswith("worker.handler")
    )
    assert worker["Timeout"] == 120, "worker timeout from settings"
    for group in resources(template, "AWS::Logs::LogGroup").values():
        assert group["Properties"]["RetentionInDays"] == 30


def test_run_bucket_is_private_encrypted_tls_only_and_expires_runs(template):
    buckets = resources(template, "AWS::S3::Bucket")
    run_bucket = next(
        b["Properties"] for b in buckets.values() if "LoggingConfiguration" in b["Properties"]
    )
    assert run_bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert (
        run_bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
            "ServerSideEncryptionByDefault"
        ]["SSEAlgorithm"]
        == "AES256"
    )
    rules = {r["Id"]: r for r in run_bucket["LifecycleConfiguration"]["Rules"] if "Id" in r}
    assert (
        rules["ExpireRuns"]["Prefix"] == "runs/" and rules["ExpireRuns"]["ExpirationInDays"] == 30
    )
    policies = json.dumps(resources(template, "AWS::S3::BucketPolicy"))
    assert '"aws:SecureTransport": "false"' in policies


def test_state_machine_loads_the_asl_file_with_every_substitution_resolved(template):
    machines = resources(template, "AWS::StepFunctions::StateMachine")
    assert len(machines) == 1
    props = next(iter(machines.values()))["Properties"]
    placeholders = set(re.findall(r"\$\{(\w+)\}", DEFINITION_FILE.read_text()))
    assert set(props["DefinitionSubstitutions"]) == placeholders
    assert props["DefinitionSubstitutions"]["ChildExecutionType"] == "STANDARD"
    for key in ("PrepareFunctionArn", "WorkerFunctionArn", "AggregateFunctionArn"):
        assert props["DefinitionSubstitutions"][key]["Fn::GetAtt"][1] == "Arn"
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["StateMachineType"] == "STANDARD"


def test_express_children_are_a_setting():
    _, _, template = synth({"child_execution_type": "EXPRESS"})
    props = next(iter(resources(template, "AWS::StepFunctions::StateMachine").values()))[
        "Properties"
    ]
    assert props["DefinitionSubstitutions"]["ChildExecutionType"] == "EXPRESS"
    assert not resources(template, "AWS::Scheduler::Schedule"), "no schedule unless configured"


def _statements(template):
    for name, policy in resources(template, "AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            yield name, statement


def _as_list(value):
    return value if isinstance(value, list) else [value]


# Resource "*" is only for actions AWS does not scope by resource.
RESOURCE_STAR_ACTIONS = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}


def test_iam_has_no_wildcard_actions_and_scoped_resources(template):
    for name, statement in _statements(template):
        assert statement["Effect"] == "Allow"
        for action in _as_list(statement["Action"]):
            assert "*" not in action, f"{name}: wildcard action {action}"
        for resource in _as_list(statement["Resource"]):
            text = json.dumps(resource)
            if resource == "*":
                assert set(_as_list(statement["Action"])) <= RESOURCE_STAR_ACTIONS, (
                    f"{name}: * for {statement['Action']}"
                )
            elif "*" in text:
                allowed = (
                    "/runs/*",
                    "/map-runs/*",
                    "execution:ScatterGather-workflow/*",
                    '/*"',
                    "incoming-data-bucket/*",
                )
                assert any(a in text for a in allowed), f"{name}: {text}"


def test_each_function_gets_only_its_own_s3_access(template):
    by_role: dict[str, list] = {}
    for name, statement in _statements(template):
        by_role.setdefault(name, []).append(statement)
    worker = json.dumps(next(v for k, v in by_role.items() if "Worker" in k))
    aggregate = json.dumps(next(v for k, v in by_role.items() if "Aggregate" in k))
    assert "/runs/*/results/*" in worker and "s3:ListBucket" not in worker
    assert "runs/*/report.json" in aggregate
    machine = json.dumps(next(v for k, v in by_role.items() if "StateMachine" in k))
    assert "lambda:InvokeFunction" in machine and "states:StartExecution" in machine
    assert "/runs/*/failures/*" in machine and "/runs/*/batches.json" in machine


def test_schedule_starts_the_state_machine_with_a_tick_run_id_retries_and_dlq(template):
    schedules = resources(template, "AWS::Scheduler::Schedule")
    assert len(schedules) == 1
    props = next(iter(schedules.values()))["Properties"]
    assert props["ScheduleExpression"] == "cron(0 6 * * ? *)"
    assert props["ScheduleExpressionTimezone"] == "Europe/Berlin"
    target = props["Target"]
    assert target["Arn"]["Ref"].startswith("WorkflowStateMachine")
    scheduled = json.loads(target["Input"])
    assert scheduled["run_id"] == "scheduled-<aws.scheduler.scheduled-time>"
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert "Fn::GetAtt" in target["DeadLetterConfig"]["Arn"]
    from scatter_gather.prepare import parse_input

    tick = {**scheduled, "run_id": "scheduled-2026-11-23T06:00:00Z"}
    assert parse_input(tick).run_id == "scheduled-2026-11-23T06:00:00Z", (
        "the scheduled input is valid"
    )


def test_alarms_notify_the_topic_and_a_dashboard_exists(template):
    alarms = resources(template, "AWS::CloudWatch::Alarm")
    metric_names = sorted(a["Properties"]["MetricName"] for a in alarms.values())
    assert metric_names == [
        "Errors",
        "ExecutionsAborted",
        "ExecutionsFailed",
        "ExecutionsTimedOut",
        "Throttles",
    ]
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"][0]["Ref"].startswith("MonitoringAlarms")
    template.resource_count_is("AWS::CloudWatch::Dashboard", 1)
    template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ops@example.com"}
    )
    template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})


def test_outputs_for_operators(template):
    outputs = template.to_json()["Outputs"]
    assert {"StateMachineArn", "BucketName", "ConsoleUrl", "AlarmTopicArn"} <= set(outputs)


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"worker_timeout_seconds": 1000}, "worker_timeout_seconds"),
        ({"schedule_expression": "every day"}, "cron(...)"),
        ({"child_execution_type": "SYNC"}, "child_execution_type"),
        ({"unknown_setting": 1}, "unknown_setting"),
    ],
)
def test_bad_settings_are_named(settings, fragment):
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        load_config({}, settings)


def test_command_line_strings_are_coerced():
    config = load_config(
        {},
        {
            "worker_timeout_seconds": "60",
            "source_buckets": "a-bucket,b-bucket",
            "schedule_enabled": "false",
        },
    )
    assert (
        config.worker_timeout_seconds == 60
        and config.source_buckets == ["a-bucket", "b-bucket"]
        and not config.schedule_enabled
    )
