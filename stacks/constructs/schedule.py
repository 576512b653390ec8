from __future__ import annotations

import json
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..config import StackConfig

# EventBridge Scheduler replaces this with the tick's time, e.g. 2026-11-23T06:00:00Z. Two
# deliveries of one tick get the same run id, so the second one ends as a duplicate.
SCHEDULED_RUN_ID = "scheduled-<aws.scheduler.scheduled-time>"

DEFAULT_SCHEDULED_INPUT: dict[str, Any] = {
    "task": "s3-digest",
    "source": {"type": "s3_prefix", "prefix": "incoming/"},
    "options": {"batch_size": 100, "max_concurrency": 20},
}


def scheduled_input(config: StackConfig) -> str:
    template = dict(config.schedule_input or DEFAULT_SCHEDULED_INPUT)
    template["run_id"] = SCHEDULED_RUN_ID
    return json.dumps(template, separators=(",", ":"))


class RunSchedule(Construct):
    """Starts the state machine on a cron or rate expression, with retries and a
    dead-letter queue for starts that keep failing."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StackConfig,
        state_machine: sfn.IStateMachine,
    ) -> None:
        super().__init__(scope, construct_id)
        assert config.schedule_expression
        self.dead_letters = sqs.Queue(
            self,
            "StartFailures",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"))  # type: ignore[arg-type]
        state_machine.grant_start_execution(role)
        self.dead_letters.grant_send_messages(role)
        self.schedule = scheduler.CfnSchedule(
            self,
            "Schedule",
            description="Starts a scatter-gather run",
            schedule_expression=config.schedule_expression,
            schedule_expression_timezone=config.schedule_timezone,
            state="ENABLED" if config.schedule_enabled else "DISABLED",
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            target=scheduler.CfnSchedule.TargetProperty(
                arn=state_machine.state_machine_arn,
                role_arn=role.role_arn,
                input=scheduled_input(config),
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_retry_attempts=5, maximum_event_age_in_seconds=3600
                ),
                dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(
                    arn=self.dead_letters.queue_arn
                ),
            ),
        )
