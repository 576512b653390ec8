from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..config import StackConfig
from ..workflow_spec import METRICS_NAMESPACE, SERVICE_NAME

FIVE_MINUTES = Duration.minutes(5)


class Monitoring(Construct):
    """Alarms on failed, timed-out and aborted executions and on worker errors and throttles,
    sent to an encrypted SNS topic; a dashboard of runs, items and worker durations."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StackConfig,
        state_machine: sfn.StateMachine,
        functions: dict[str, lambda_.Function],
    ) -> None:
        super().__init__(scope, construct_id)
        key = kms.Key(
            self,
            "AlarmTopicKey",
            enable_key_rotation=True,
            description="scatter-gather alarm topic",
        )
        key.grant_encrypt_decrypt(iam.ServicePrincipal("cloudwatch.amazonaws.com"))
        self.topic = sns.Topic(self, "Alarms", master_key=key, enforce_ssl=True)
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        action = cw_actions.SnsAction(self.topic)  # type: ignore[arg-type]

        worker = functions["worker"]
        metrics = {
            "ExecutionsFailed": state_machine.metric_failed(period=FIVE_MINUTES, statistic="Sum"),
            "ExecutionsTimedOut": state_machine.metric_timed_out(
                period=FIVE_MINUTES, statistic="Sum"
            ),
            "ExecutionsAborted": state_machine.metric_aborted(period=FIVE_MINUTES, statistic="Sum"),
            "WorkerErrors": worker.metric_errors(period=FIVE_MINUTES, statistic="Sum"),
            "WorkerThrottles": worker.metric_throttles(period=FIVE_MINUTES, statistic="Sum"),
        }
        self.alarms: dict[str, cw.Alarm] = {}
        for name, metric in metrics.items():
            alarm = metric.create_alarm(
                self,
                name,
                alarm_description=f"scatter-gather: {name} >= 1 in 5 minutes",
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
            self.alarms[name] = alarm

        def items(metric_name: str) -> cw.Metric:
            return cw.Metric(
                namespace=METRICS_NAMESPACE,
                metric_name=metric_name,
                dimensions_map={"service": SERVICE_NAME},
                statistic="Sum",
                period=FIVE_MINUTES,
            )

        self.dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=f"{config.stack_name}-runs")
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="Executions",
                left=[
                    state_machine.metric_started(period=FIVE_MINUTES),
                    state_machine.metric_succeeded(period=FIVE_MINUTES),
                    metrics["ExecutionsFailed"],
                    metrics["ExecutionsTimedOut"],
                    metrics["ExecutionsAborted"],
                ],
            ),
            cw.GraphWidget(
                title="Items (Map run)",
                left=[items("ItemsSucceeded"), items("ItemsFailed"), items("ItemsUnprocessed")],
            ),
            cw.GraphWidget(
                title="Worker duration",
                left=[
                    worker.metric_duration(statistic=p, period=FIVE_MINUTES)
                    for p in ("p50", "p90", "p99", "Maximum")
                ],
            ),
            cw.GraphWidget(
                title="Errors and throttles",
                left=[
                    metrics["WorkerErrors"],
                    metrics["WorkerThrottles"],
                    *(
                        fn.metric_errors(period=FIVE_MINUTES)
                        for key, fn in functions.items()
                        if key != "worker"
                    ),
                ],
            ),
        )
