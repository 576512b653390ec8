from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from cdk_nag import NagSuppressions
from constructs import Construct

from .config import StackConfig
from .constructs.functions import WorkflowFunctions
from .constructs.monitoring import Monitoring
from .constructs.schedule import RunSchedule
from .constructs.storage import RunStorage
from .constructs.workflow import Workflow


class ScatterGatherStack(Stack):
    """Composes storage, functions, the workflow, the optional schedule and monitoring."""

    def __init__(
        self, scope: Construct, construct_id: str, config: StackConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.storage = RunStorage(self, "Storage", config)
        self.functions = WorkflowFunctions(self, "Functions", config, self.storage.bucket)
        self.workflow = Workflow(
            self, "Workflow", config, self.storage.bucket, self.functions.functions
        )
        self.schedule = (
            RunSchedule(self, "Schedule", config, self.workflow.state_machine)
            if config.schedule_expression
            else None
        )
        self.monitoring = Monitoring(
            self, "Monitoring", config, self.workflow.state_machine, self.functions.functions
        )

        state_machine_arn = self.workflow.state_machine.state_machine_arn
        CfnOutput(self, "StateMachineArn", value=state_machine_arn)
        CfnOutput(self, "BucketName", value=self.storage.bucket.bucket_name)
        CfnOutput(
            self,
            "ConsoleUrl",
            value=f"https://{self.region}.console.aws.amazon.com/states/home?region={self.region}#/statemachines/view/{state_machine_arn}",
        )
        CfnOutput(self, "AlarmTopicArn", value=self.monitoring.topic.topic_arn)
        self._suppress_reviewed_findings()

    def _suppress_reviewed_findings(self) -> None:
        """Every suppression says why the finding does not apply here."""
        object_wildcards = {
            "id": "AwsSolutions-IAM5",
            "reason": "S3 object ARNs need a key pattern: grants are scoped to the run prefix "
            "(runs/*, runs/*/results/*, ...) or, for reading sources, to objects of the configured source buckets.",
            "appliesTo": [{"regex": "/^Resource::(.*)\\/(\\*|runs\\/.*|map-runs\\/\\*)$/g"}],
        }
        xray = {
            "id": "AwsSolutions-IAM5",
            "reason": "X-Ray PutTraceSegments/PutTelemetryRecords and CloudWatch Logs delivery actions "
            "do not support resource-level permissions; AWS documents Resource '*' for them.",
            "appliesTo": ["Resource::*"],
        }
        for role in self.functions.roles.values():
            NagSuppressions.add_resource_suppressions(
                role, [object_wildcards, xray], apply_to_children=True
            )
        NagSuppressions.add_resource_suppressions(
            self.workflow.state_machine,
            [
                object_wildcards,
                xray,
                {
                    "id": "AwsSolutions-IAM5",
                    "reason": "A Distributed Map starts child executions of its own state machine; their ARNs "
                    "are only known as a pattern (execution:<name>/<map run>:<id>).",
                    "appliesTo": [{"regex": "/^Resource::arn:.*:states:.*:execution:.*\\/\\*$/g"}],
                },
            ],
            apply_to_children=True,
        )
        if self.schedule:
            NagSuppressions.add_resource_suppressions(
                self.schedule.dead_letters,
                [
                    {
                        "id": "AwsSolutions-SQS3",
                        "reason": "This queue is itself the dead-letter queue of the schedule.",
                    }
                ],
            )
