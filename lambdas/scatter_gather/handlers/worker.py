from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..errors import RetryableBatchError
from ..models import WorkerEvent
from ..observability import bind_run, logger, metrics, s3_client, tracer
from ..settings import environment
from ..worker import process_batch

ENV = environment()


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse(event=event, model=WorkerEvent)
    bind_run(request.run_id)
    logger.append_keys(batch_id=request.batch.batch_id, attempt=request.attempt)
    try:
        status = process_batch(
            request,
            s3_client(),
            s3_factory=s3_client,
            time_left_ms=context.get_remaining_time_in_millis,
            reserve_ms=ENV.DEADLINE_RESERVE_MS,
        )
    except RetryableBatchError:
        metrics.add_metric(name="BatchesRetryable", unit=MetricUnit.Count, value=1)
        raise
    metrics.add_metric(name="ItemsSucceeded", unit=MetricUnit.Count, value=status.succeeded)
    metrics.add_metric(name="ItemsFailed", unit=MetricUnit.Count, value=status.failed)
    metrics.add_metric(name="ItemsUnprocessed", unit=MetricUnit.Count, value=status.unprocessed)
    logger.info("batch done", extra=status.model_dump())
    return status.model_dump()
