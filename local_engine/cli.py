"""``scatter-gather``: run the workflow locally, serve the local endpoint, and start, watch
and inspect executions (locally or on AWS).

Exit codes: 0 success; 1 the execution failed; 2 bad input (from the CLI or the
state machine's InvalidInput)."""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import boto3
import click
from rich.console import Console

from .history import events, timeline_table
from .inputs import CliInputError, default_input, digest_input, load_input, upload_folder
from .report_view import failure_message, parse_output, show_summary
from .watch import follow

console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def _fail(message: str, code: int) -> NoReturn:
    err_console.print(f"[bold red]Error:[/bold red] {message}")
    sys.exit(code)


def _execution_name(prefix: str = "run") -> str:
    return f"{prefix}-{datetime.now(UTC):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"


def _finish(
    description: dict[str, Any],
    s3: Any | None = None,
    out_dir: Path | None = None,
    draw: Any = None,
) -> None:
    """Prints the outcome and, where we can reach the bucket, the report (saved under
    ``out_dir`` with its timeline when given). Exits non-zero on failure."""
    status = description["status"]
    summary = parse_output(description)
    if summary.get("duplicate"):
        console.print(
            f"[yellow]Run {summary.get('run_id')} already exists; this execution did nothing.[/yellow]"
        )
        return
    message = failure_message(description) if status != "SUCCEEDED" else ""
    # A run over its failure threshold still wrote its report; the cause names it.
    report_uri = summary.get("report") or next(
        (w for w in message.split() if w.startswith("s3://") and w.endswith("report.json")), None
    )
    report = _fetch_json(s3, report_uri) if s3 is not None and report_uri else None
    if report is not None:
        show_summary(console, summary or report, report)
        console.print(f"Report: {report_uri}")
        if out_dir is not None:
            _save_run(s3, report, out_dir, draw)
    if status != "SUCCEEDED":
        code = EXIT_BAD_INPUT if str(description.get("error")) == "InvalidInput" else EXIT_FAILED
        _fail(f"execution {status}: {message}", code)
    if report is None:
        show_summary(console, summary, None)


def _split_s3_uri(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _fetch_json(s3: Any, uri: str) -> Any:
    bucket, key = _split_s3_uri(uri)
    try:
        return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except Exception:
        return None


def _save_run(s3: Any, report: dict[str, Any], out_dir: Path, draw: Any) -> None:
    """report.json (pointing at its timeline picture) and results.jsonl under out_dir/run_id."""
    target = out_dir / str(report["run_id"])
    target.mkdir(parents=True, exist_ok=True)
    bucket, key = _split_s3_uri(report["locations"]["results"])
    s3.download_file(bucket, key, str(target / "results.jsonl"))
    saved = [target / "report.json", target / "results.jsonl"]
    if draw is not None:
        picture = draw(target / "timeline.png")
        report = {**report, "local_files": {"timeline": picture.name}}
        saved.append(picture)
    (target / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    console.print("Saved locally: " + ", ".join(str(p) for p in saved))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Scatter-gather on Step Functions: run it locally, or start and watch it on AWS."""


@main.command()
@click.option(
    "--input",
    "input_",
    metavar="FILE|JSON",
    help="Execution input: a JSON file or inline JSON. Default: a built-in simulate run.",
)
@click.option(
    "--from-dir",
    type=click.Path(file_okay=False),
    help="Upload this folder to the local bucket and audit it with s3-digest.",
)
@click.option(
    "--name",
    help="Execution name (default: run-<time>-<random>); also the run id unless the input sets one.",
)
@click.option(
    "--retry-scale",
    type=click.FloatRange(0, 1),
    default=1.0,
    show_default=True,
    help="Multiply retry waits (tests and demos use e.g. 0.01).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".local/runs"),
    show_default=True,
    help="Where to save the report and merged results.",
)
@click.option(
    "--timeline/--no-timeline",
    default=True,
    show_default=True,
    help="Print the per-state timeline at the end.",
)
def run(
    input_: str | None,
    from_dir: str | None,
    name: str | None,
    retry_scale: float,
    out_dir: Path,
    timeline: bool,
) -> None:
    """Deploy locally and run one execution of the real state machine and handlers."""
    from .deploy import deploy
    from .engine import LocalEngine

    try:
        execution_input = load_input(input_) if input_ else None
    except CliInputError as exc:
        _fail(str(exc), EXIT_BAD_INPUT)
    with (
        console.status("Starting the local engine"),
        LocalEngine(retry_scale=retry_scale) as engine,
    ):
        deployment = deploy(engine)
        s3, sfn = engine.client("s3"), engine.client("stepfunctions")
        if from_dir:
            try:
                prefix, count = upload_folder(s3, deployment.bucket, from_dir)
            except CliInputError as exc:
                _fail(str(exc), EXIT_BAD_INPUT)
            console.print(f"Uploaded {count} files to s3://{deployment.bucket}/{prefix}")
            execution_input = execution_input or digest_input(prefix)
        execution_input = execution_input if execution_input is not None else default_input()
        execution = sfn.start_execution(
            stateMachineArn=deployment.state_machine_arn,
            name=name or _execution_name(),
            input=json.dumps(execution_input),
        )
        console.print(f"Execution {execution['executionArn']}")
        description = follow(sfn, execution["executionArn"], console)
        if timeline:
            console.print(timeline_table(events(sfn, execution["executionArn"]), title="Timeline"))

        def draw(path: Path) -> Path:
            from .timeline import draw_timeline

            return draw_timeline(
                list(engine.runtime.reports),
                path,
                f"Run {execution['executionArn'].rsplit(':', 1)[-1]}",
            )

        _finish(description, s3, out_dir, draw=draw)


@main.command()
@click.option("--port", type=click.IntRange(1024, 65535), default=4599, show_default=True)
@click.option("--retry-scale", type=click.FloatRange(0, 1), default=1.0, show_default=True)
def serve(port: int, retry_scale: float) -> None:
    """Keep the local endpoint up, with the workflow deployed, until interrupted."""
    from .deploy import deploy
    from .engine import LocalEngine
    from .inputs import SAMPLES_DIR

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        engine = LocalEngine(port=port, retry_scale=retry_scale).start()
    except OSError as exc:
        _fail(f"PortInUse: cannot listen on 127.0.0.1:{port} ({exc}); pass --port", EXIT_BAD_INPUT)
    try:
        deployment = deploy(engine)
        url = engine.endpoint_url
        sample = SAMPLES_DIR / "simulate.json"
        console.print(
            f"[bold green]Local endpoint:[/bold green] {url}  (S3, Lambda, Step Functions, IAM, Logs, Scheduler)"
        )
        console.print(
            f"State machine: {deployment.state_machine_arn}\nBucket: {deployment.bucket}\n"
        )
        console.print("In another shell:")
        console.print(
            "  export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1",
            soft_wrap=True,
        )
        console.print(
            f"  aws --endpoint-url {url} stepfunctions start-execution "
            f"--state-machine-arn {deployment.state_machine_arn} --input file://{sample}",
            soft_wrap=True,
        )
        console.print(
            f"  aws --endpoint-url {url} stepfunctions describe-execution --execution-arn <executionArn>",
            soft_wrap=True,
        )
        console.print(f"  scatter-gather watch --endpoint-url {url} <executionArn>", soft_wrap=True)
        console.print(
            f"  scatter-gather history --endpoint-url {url} <executionArn>\n", soft_wrap=True
        )
        console.print("Ctrl-C to stop.")
        sys.stdout.flush()
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    finally:
        engine.stop()


def _aws_options(func: Any) -> Any:
    func = click.option(
        "--endpoint-url", envvar="AWS_ENDPOINT_URL", help="e.g. the local endpoint of 'serve'."
    )(func)
    func = click.option(
        "--region", envvar="AWS_REGION", help="AWS region (default: your AWS config)."
    )(func)
    func = click.option(
        "--profile", envvar="AWS_PROFILE", help="AWS profile (default: your AWS config)."
    )(func)
    return func


def _session_client(
    service: str, endpoint_url: str | None, region: str | None, profile: str | None
) -> Any:
    session = boto3.session.Session(profile_name=profile, region_name=region)
    return session.client(service, endpoint_url=endpoint_url)


@main.command()
@click.argument("execution_arn")
@_aws_options
def history(
    execution_arn: str, endpoint_url: str | None, region: str | None, profile: str | None
) -> None:
    """A per-state timeline of an execution."""
    sfn = _session_client("stepfunctions", endpoint_url, region, profile)
    try:
        found = events(sfn, execution_arn)
    except sfn.exceptions.ExecutionDoesNotExist:
        _fail(f"ExecutionDoesNotExist: {execution_arn}", EXIT_BAD_INPUT)
    except Exception as exc:
        _fail(f"{type(exc).__name__}: {exc}", EXIT_FAILED)
    console.print(timeline_table(found, title=execution_arn))


@main.command()
@click.option("--state-machine-arn", help="Default: the StateMachineArn output of --stack-name.")
@click.option("--stack-name", default="ScatterGather", show_default=True)
@click.option(
    "--input",
    "input_",
    metavar="FILE|JSON",
    help="Execution input (default: the built-in simulate run).",
)
@click.option("--name", help="Execution name, also the run id unless the input sets one.")
@click.option(
    "--watch/--no-watch", default=True, show_default=True, help="Follow it with a progress bar."
)
@_aws_options
def start(
    state_machine_arn: str | None,
    stack_name: str,
    input_: str | None,
    name: str | None,
    watch: bool,
    endpoint_url: str | None,
    region: str | None,
    profile: str | None,
) -> None:
    """Start an execution (on AWS by default) and follow it."""
    try:
        execution_input = load_input(input_)
    except CliInputError as exc:
        _fail(str(exc), EXIT_BAD_INPUT)
    sfn = _session_client("stepfunctions", endpoint_url, region, profile)
    if not state_machine_arn:
        cfn = _session_client("cloudformation", endpoint_url, region, profile)
        try:
            outputs = cfn.describe_stacks(StackName=stack_name)["Stacks"][0].get("Outputs", [])
        except Exception as exc:
            _fail(
                f"StackNotFound: cannot read stack {stack_name!r} ({exc}); deploy it or pass --state-machine-arn",
                EXIT_BAD_INPUT,
            )
        state_machine_arn = next(
            (o["OutputValue"] for o in outputs if o["OutputKey"] == "StateMachineArn"), None
        )
        if not state_machine_arn:
            _fail(
                f"StackOutputMissing: stack {stack_name!r} has no StateMachineArn output",
                EXIT_BAD_INPUT,
            )
    execution = sfn.start_execution(
        stateMachineArn=state_machine_arn,
        name=name or _execution_name(),
        input=json.dumps(execution_input),
    )
    console.print(f"Started {execution['executionArn']}")
    if watch:
        s3 = _session_client("s3", endpoint_url, region, profile)
        _finish(follow(sfn, execution["executionArn"], console), s3, None)


@main.command("watch")
@click.argument("execution_arn")
@_aws_options
def watch_command(
    execution_arn: str, endpoint_url: str | None, region: str | None, profile: str | None
) -> None:
    """Follow an execution with a progress bar and print its summary."""
    sfn = _session_client("stepfunctions", endpoint_url, region, profile)
    try:
        description = follow(sfn, execution_arn, console)
    except sfn.exceptions.ExecutionDoesNotExist:
        _fail(f"ExecutionDoesNotExist: {execution_arn}", EXIT_BAD_INPUT)
    _finish(description, _session_client("s3", endpoint_url, region, profile), None)


@main.command()
@click.option(
    "--items",
    type=click.IntRange(8, 1000),
    default=200,
    show_default=True,
    help="Items per scenario.",
)
@click.option("--retry-scale", type=click.FloatRange(0.001, 1), default=0.01, show_default=True)
def faults(items: int, retry_scale: float) -> None:
    """Run the fault campaign locally and print what every fault did to the counts."""
    from .campaign import campaign, scenarios, table
    from .engine import LocalEngine

    with LocalEngine(retry_scale=retry_scale) as engine:
        with console.status(f"Running {len(scenarios())} scenarios of {items} items") as status:
            rows = campaign(
                engine, items, on_row=lambda row: status.update(f"done: {row.fault} {row.rate}")
            )
        console.print(table(rows))
    if not all(row.ok for row in rows):
        _fail("some scenarios broke an invariant (see the check column)", EXIT_FAILED)


@main.command()
@click.option(
    "--sizes", default="100,1000,10000", show_default=True, help="Item counts, comma-separated."
)
@click.option(
    "--designs",
    type=click.Choice(["both", "state-machine", "orchestrator"]),
    default="both",
    show_default=True,
)
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=10, show_default=True)
@click.option("--concurrency", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option(
    "--median-ms",
    type=click.FloatRange(0, 10_000),
    default=20.0,
    show_default=True,
    help="Median item latency (log-normal, p99 = 10 x median).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".local/bench"),
    show_default=True,
)
def bench(
    sizes: str, designs: str, batch_size: int, concurrency: int, median_ms: float, out_dir: Path
) -> None:
    """Run the state machine and the thread-pool orchestrator side by side on the same
    heavy-tailed workload and print billed GB-s, idle waiting, makespan and dollars."""
    import resource

    from benchmarks.compare import DESIGNS, compare
    from benchmarks.report import comparison_table, write_outputs

    from .deploy import deploy
    from .engine import LocalEngine

    try:
        counts = [int(s) for s in sizes.split(",") if s.strip()]
    except ValueError:
        _fail(
            f"InvalidSizes: {sizes!r} is not a comma-separated list of item counts", EXIT_BAD_INPUT
        )
    if not counts or min(counts) < 1 or max(counts) > 1_000_000:
        _fail("InvalidSizes: item counts go from 1 to 1,000,000", EXIT_BAD_INPUT)
    chosen = DESIGNS if designs == "both" else (designs,)
    started = time.monotonic()
    with LocalEngine() as engine:
        deployment = deploy(engine, with_baseline="orchestrator" in chosen)
        with console.status("Benchmarking") as status:
            runs = compare(
                engine,
                deployment,
                counts,
                chosen,
                batch_size,
                concurrency,
                median_ms,
                on_step=lambda text: status.update(f"Running {text}"),
            )
        console.print(comparison_table(runs))
        paths = write_outputs(runs, out_dir)
    wall = time.monotonic() - started
    peak_mb = (
        max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        / 1024
    )
    console.print(f"Wall time {wall:.1f} s; peak memory of one process {peak_mb:.0f} MB.")
    console.print("Written: " + ", ".join(str(p) for p in paths))


@main.command()
@click.option("--rounds", type=click.IntRange(1, 50), default=7, show_default=True)
def coldstart(rounds: int) -> None:
    """Import time of each handler against a bare 'import boto3', and the local runtime's
    cold start of an execution environment."""
    import statistics

    from rich.table import Table

    from benchmarks.coldstart import import_times, summarize

    from .deploy import deploy
    from .engine import LocalEngine

    with console.status("Importing handlers in fresh interpreters"):
        rows = summarize(import_times(rounds))
    table = Table(
        title=f"Handler import time, median of {rounds} fresh interpreters (Powertools tracing off)"
    )
    for column in ("module", "median ms", "vs import boto3"):
        table.add_column(column, justify="left" if column == "module" else "right")
    for name, median, ratio in rows:
        table.add_row(name, f"{median:.0f}", f"{ratio:.2f}x")
    console.print(table)

    with (
        console.status("Cold-starting local execution environments"),
        LocalEngine(retry_scale=0.01) as engine,
    ):
        deployment = deploy(engine)
        lam = engine.client("lambda")
        for _ in range(rounds):
            # A reserved concurrency change drops nothing, so force cold starts by redeploying
            # new code: each round a fresh pool (the template process stays warm).
            engine.runtime.drop_idle()
            lam.invoke(
                FunctionName=deployment.function_names["aggregate"],
                Payload=b'{"run_id": "none", "bucket": "scatter-gather-local"}',
            )
        inits = [
            r.init_duration_ms for r in engine.runtime.reports if r.init_duration_ms is not None
        ]
    console.print(
        f"Local runtime: an environment starts (fork from the template, import the handler) in "
        f"{statistics.median(inits):.0f} ms median over {len(inits)} cold starts (min {min(inits):.0f}, max {max(inits):.0f})."
    )


@main.command()
@click.option("--items", type=click.IntRange(1, 100_000_000), required=True)
@click.option(
    "--item-ms", type=click.FloatRange(0, 900_000), required=True, help="Work per item, in ms."
)
@click.option(
    "--memory-mb",
    type=click.IntRange(128, 10240),
    default=1769,
    show_default=True,
    help="Worker memory.",
)
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 10_000),
    default=10,
    show_default=True,
    help="Batches at once.",
)
@click.option(
    "--item-concurrency",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Items at once in a batch.",
)
@click.option(
    "--prices",
    "prices_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Default: benchmarks/prices.json.",
)
def estimate(
    items: int,
    item_ms: float,
    memory_mb: int,
    batch_size: int,
    concurrency: int,
    item_concurrency: int,
    prices_file: Path | None,
) -> None:
    """The AWS cost of a run for this design (STANDARD and EXPRESS children) and for a
    thread-pool orchestrator, and which child type and batch size is cheapest."""
    from rich.table import Table

    from benchmarks.cost_model import (
        Workload,
        cheapest_batch_size,
        express_crossover_seconds,
        load_prices,
        orchestrator_cost,
        state_machine_cost,
    )

    prices = load_prices(prices_file) if prices_file else load_prices()
    workload = Workload(
        items=items,
        item_ms=item_ms,
        memory_mb=memory_mb,
        batch_size=batch_size,
        concurrency=concurrency,
        item_concurrency=item_concurrency,
    )
    costs = [
        state_machine_cost(workload, "STANDARD", prices),
        state_machine_cost(workload, "EXPRESS", prices),
        orchestrator_cost(workload),
    ]
    # Designs as columns, figures as rows: fits an 80-column terminal.
    table = Table(
        title=f"{items:,} items x {item_ms:g} ms: {workload.batches:,} batches of "
        f"{workload.batch_seconds:.2f} s, {concurrency} at once"
    )
    table.add_column("per run")
    for cost in costs:
        table.add_column(cost.design, justify="right")
    all_dollars = [cost.dollars(prices) for cost in costs]
    rows = [
        ("Lambda GB-s", [f"{c.lambda_gb_seconds:,.1f}" for c in costs]),
        ("  of it waiting", [f"{c.waiting_gb_seconds:,.1f}" for c in costs]),
        ("state transitions", [f"{c.transitions:,}" for c in costs]),
        ("Lambda $", [f"{d['lambda']:.6f}" for d in all_dollars]),
        ("Step Functions $", [f"{d['step_functions']:.6f}" for d in all_dollars]),
        ("S3 $", [f"{d['s3']:.6f}" for d in all_dollars]),
        ("total $", [f"{d['total']:.6f}" for d in all_dollars]),
        ("makespan", [f"{c.makespan_seconds:,.0f} s" for c in costs]),
    ]
    for label, values in rows:
        table.add_row(label, *values)
    console.print(table)
    crossover = express_crossover_seconds(prices)
    better = "EXPRESS" if workload.batch_seconds < crossover else "STANDARD"
    console.print(
        f"EXPRESS children cost less than STANDARD below ~{crossover:.0f} s per batch; these batches take {workload.batch_seconds:.2f} s, so {better} is cheaper."
    )
    size, child, dollars_best = cheapest_batch_size(workload, prices)
    console.print(
        f"Cheapest batch size for this workload: {size} with {child} children (${dollars_best:.6f} a run)."
    )
    for cost in costs:
        for note in cost.notes:
            console.print(f"[yellow]{cost.design}: {note}[/yellow]")
    console.print(f"Prices: {prices['region']}, as of {prices['as_of']} ({prices['source']}).")


if __name__ == "__main__":
    main()
