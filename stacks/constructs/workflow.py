from __future__ import annotations

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..config import StackConfig
from ..workflow_spec import DEFINITION_FILE, substitutions
from .functions import retention


class Workflow(Construct):
    """The state machine from the one ASL file, with logging, tracing and exactly the
    permissions a Distributed Map needs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StackConfig,
        bucket: s3.IBucket,
        functions: dict[str, lambda_.Function],
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        # A fixed name lets the role name its own child executions without a circular reference.
        self.name = f"{config.stack_name}-workflow"
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/vendedlogs/states/{self.name}",
            retention=retention(config.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=self.name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_file(str(DEFINITION_FILE)),
            definition_substitutions=substitutions(
                {key: fn.function_arn for key, fn in functions.items()},
                bucket.bucket_name,
                config.child_execution_type,
            ),
            logs=sfn.LogOptions(
                destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False
            ),
            tracing_enabled=True,
        )
        role = self.state_machine.role
        for function in functions.values():
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["lambda:InvokeFunction"], resources=[function.function_arn]
                )
            )
        state_machine_arn = stack.format_arn(
            service="states", resource="stateMachine", resource_name=self.name, arn_format=_COLON
        )
        executions_arn = stack.format_arn(
            service="states",
            resource="execution",
            resource_name=f"{self.name}/*",
            arn_format=_COLON,
        )
        statements = [
            # Distributed Map: start, watch and stop its own child workflow executions.
            iam.PolicyStatement(actions=["states:StartExecution"], resources=[state_machine_arn]),
            iam.PolicyStatement(
                actions=["states:DescribeExecution", "states:StopExecution"],
                resources=[executions_arn],
            ),
            # ItemReader reads the batch manifest; RecordFailure writes failure records;
            # ResultWriter writes the Map run's manifest under map-runs/.
            iam.PolicyStatement(
                actions=["s3:GetObject"], resources=[bucket.arn_for_objects("runs/*/batches.json")]
            ),
            iam.PolicyStatement(
                actions=["s3:PutObject"],
                resources=[
                    bucket.arn_for_objects("runs/*/failures/*"),
                    bucket.arn_for_objects("map-runs/*"),
                ],
            ),
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"],
                resources=[bucket.arn_for_objects("map-runs/*")],
            ),
        ]
        for statement in statements:
            role.add_to_principal_policy(statement)


_COLON = ArnFormat.COLON_RESOURCE_NAME
