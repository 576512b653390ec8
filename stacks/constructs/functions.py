from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from ..config import StackConfig
from ..workflow_spec import FUNCTIONS, LAMBDA_CODE_DIR, function_environment

RUNTIME = lambda_.Runtime.PYTHON_3_14
# The AWS-managed Powertools layer (it includes pydantic), resolved at deploy time, so no
# Docker bundling is needed.
POWERTOOLS_LAYER_PARAMETER = "/aws/service/powertools/python/arm64/python3.14/latest"


class WorkflowFunctions(Construct):
    """The prepare, worker and aggregate functions: one code asset, a role and a log group
    each, and S3 access scoped to what each one does."""

    def __init__(
        self, scope: Construct, construct_id: str, config: StackConfig, bucket: s3.IBucket
    ) -> None:
        super().__init__(scope, construct_id)
        layer_arn = ssm.StringParameter.value_for_string_parameter(self, POWERTOOLS_LAYER_PARAMETER)
        layer = lambda_.LayerVersion.from_layer_version_arn(self, "Powertools", layer_arn)
        code = lambda_.Code.from_asset(str(LAMBDA_CODE_DIR), exclude=["**/__pycache__", "*.pyc"])
        overrides = config.function_overrides()
        self.functions: dict[str, lambda_.Function] = {}
        self.log_groups: dict[str, logs.LogGroup] = {}
        self.roles: dict[str, iam.Role] = {}
        for key, base in FUNCTIONS.items():
            spec = base.with_overrides(overrides[key])
            log_group = logs.LogGroup(
                self,
                f"{key.capitalize()}Logs",
                retention=retention(config.log_retention_days),
                removal_policy=RemovalPolicy.DESTROY,
            )
            role = iam.Role(
                self,
                f"{key.capitalize()}Role",
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),  # type: ignore[arg-type]
                description=f"scatter-gather {key} function",
            )
            log_group.grant_write(role)
            function = lambda_.Function(
                self,
                key.capitalize(),
                description=spec.description,
                runtime=RUNTIME,
                architecture=lambda_.Architecture.ARM_64,
                handler=spec.handler,
                code=code,
                layers=[layer],
                timeout=Duration.seconds(spec.timeout_seconds),
                memory_size=spec.memory_mb,
                environment=function_environment(spec, bucket.bucket_name),
                tracing=lambda_.Tracing.ACTIVE,
                log_group=log_group,
                role=role,  # type: ignore[arg-type]
                reserved_concurrent_executions=config.worker_reserved_concurrency
                if key == "worker"
                else None,
            )
            self.functions[key] = function
            self.log_groups[key] = log_group
            self.roles[key] = role
        self._grant_s3(config, bucket)

    def _grant_s3(self, config: StackConfig, bucket: s3.IBucket) -> None:
        """Explicit actions only (the CDK grant_* helpers use s3:GetObject*, s3:List*)."""
        source_buckets = [
            bucket.bucket_arn,
            *(f"arn:{Stack.of(self).partition}:s3:::{name}" for name in config.source_buckets),
        ]
        source_objects = [f"{arn}/*" for arn in source_buckets]

        def allow(key: str, actions: list[str], resources: list[str]) -> None:
            self.roles[key].add_to_policy(iam.PolicyStatement(actions=actions, resources=resources))

        # prepare: list and read sources (a prefix, a manifest), write the run's plan.
        allow("prepare", ["s3:ListBucket"], source_buckets)
        allow("prepare", ["s3:GetObject"], source_objects)
        allow("prepare", ["s3:PutObject"], [bucket.arn_for_objects("runs/*")])
        # worker: read its batch and the run record (under runs/) and source objects, write results.
        allow("worker", ["s3:GetObject"], source_objects)
        allow("worker", ["s3:PutObject"], [bucket.arn_for_objects("runs/*/results/*")])
        # aggregate: read the run, write the report and the merged results (multipart when large).
        allow("aggregate", ["s3:GetObject"], [bucket.arn_for_objects("runs/*")])
        allow(
            "aggregate",
            ["s3:PutObject", "s3:AbortMultipartUpload"],
            [
                bucket.arn_for_objects("runs/*/report.json"),
                bucket.arn_for_objects("runs/*/results.jsonl"),
            ],
        )


_RETENTION_DAYS = [
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
]


def retention(days: int) -> logs.RetentionDays:
    """The shortest retention CloudWatch Logs offers that keeps logs at least ``days``."""
    members = [m for m in logs.RetentionDays if m is not logs.RetentionDays.INFINITE]
    return next(m for d, m in zip(_RETENTION_DAYS, members, strict=True) if d >= days)
