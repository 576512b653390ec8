from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..models import PrepareEvent
from ..observability import bind_run, logger, metrics, s3_client, tracer
from ..prepare import prepare_run
from ..settings import environment

ENV = environment()


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse(event=event, model=PrepareEvent)
    bind_run(request.execution_name, request.execution_name)
    summary = prepare_run(request.input, request.execution_name, s3_client(), ENV.RUN_BUCKET)
    bind_run(summary.run_id)
    metrics.add_metric(name="ItemsPlanned", unit=MetricUnit.Count, value=summary.item_count)
    metrics.add_metric(name="BatchesPlanned", unit=MetricUnit.Count, value=summary.batch_count)
    logger.info("run prepared", extra=summary.model_dump())
    return summary.model_dump()
