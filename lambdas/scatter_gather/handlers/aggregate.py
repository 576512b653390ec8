from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aggregate import aggregate_run, summarize_report
from ..errors import FailureThresholdExceeded
from ..models import AggregateEvent
from ..observability import bind_run, logger, metrics, s3_client, tracer
from ..settings import environment

ENV = environment()


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse(event=event, model=AggregateEvent)
    bind_run(request.run_id)
    report = aggregate_run(s3_client(), request.bucket, request.run_id)
    items = report["items"]
    metrics.add_metric(name="RunItemsSucceeded", unit=MetricUnit.Count, value=items["succeeded"])
    metrics.add_metric(name="RunItemsFailed", unit=MetricUnit.Count, value=items["failed"])
    metrics.add_metric(name="RunItemsLost", unit=MetricUnit.Count, value=items["lost"])
    summary = summarize_report(report)
    logger.info("run aggregated", extra=summary)
    if report["status"] != "succeeded":
        raise FailureThresholdExceeded(
            f"{report['failure_percent']}% of {items['total']} items failed or were lost, over "
            f"the max_failure_percent of {report['max_failure_percent']}; report at "
            f"{report['locations']['report']}"
        )
    return summary
