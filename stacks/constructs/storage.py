from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ..config import StackConfig


class RunStorage(Construct):
    """The bucket for run data (``runs/<run_id>/...``) and sources, with access logging."""

    def __init__(self, scope: Construct, construct_id: str, config: StackConfig) -> None:
        super().__init__(scope, construct_id)
        removal = (
            RemovalPolicy.DESTROY if config.removal_policy == "destroy" else RemovalPolicy.RETAIN
        )
        common = {
            "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
            "encryption": s3.BucketEncryption.S3_MANAGED,
            "enforce_ssl": True,
            "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            "removal_policy": removal,
            "auto_delete_objects": removal == RemovalPolicy.DESTROY,
        }
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(90))],
            **common,  # type: ignore[arg-type]
        )
        self.bucket = s3.Bucket(
            self,
            "RunBucket",
            versioned=False,  # run objects are rewritten on retries by design; keys are the history
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="run-bucket/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireRuns",
                    prefix="runs/",
                    expiration=Duration.days(config.run_retention_days),
                ),
                s3.LifecycleRule(
                    id="ExpireMapRunManifests",
                    prefix="map-runs/",
                    expiration=Duration.days(config.run_retention_days),
                ),
                s3.LifecycleRule(
                    id="AbortIncompleteUploads",
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
            ],
            **common,  # type: ignore[arg-type]
        )
