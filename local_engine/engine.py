"""The local endpoint: moto in server mode on 127.0.0.1, with Step Functions execution on and
Lambda invocations running in our runtime. Any boto3 client or the AWS CLI can use it with
``--endpoint-url``."""

from __future__ import annotations

import logging
import os
import socket
from types import TracebackType
from typing import Any

import boto3
from botocore.config import Config

from . import patches
from .runtime import LambdaRuntime

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalEngine:
    """Context manager: ``with LocalEngine() as engine: engine.client("stepfunctions")``."""

    def __init__(
        self,
        port: int | None = None,
        retry_scale: float = 1.0,
        account_concurrency: int = 1000,
        work_dir: str | None = None,
    ) -> None:
        self.port = port or free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self.retry_scale = retry_scale
        self.runtime = LambdaRuntime(
            endpoint_url=self.endpoint_url,
            region=REGION,
            account_concurrency=account_concurrency,
            work_dir=work_dir,
        )
        self._server: Any = None

    def start(self) -> LocalEngine:
        if not os.environ.get("SCATTER_GATHER_DEBUG"):
            # Request lines and moto's own tracebacks for errors the definition handles
            # (retries, catches) would drown the output; set SCATTER_GATHER_DEBUG=1 to see them.
            logging.getLogger("werkzeug").setLevel(logging.ERROR)
            logging.getLogger("moto").setLevel(logging.CRITICAL)
        # moto reads these when it builds ARNs and its own clients.
        os.environ["MOTO_PORT"] = str(self.port)
        os.environ.setdefault("MOTO_ACCOUNT_ID", ACCOUNT_ID)
        os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
        patches.apply(self.runtime, self.endpoint_url, self.retry_scale)
        self.runtime.warm_up()
        from moto.moto_server.threaded_moto_server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        return self

    def set_retry_scale(self, scale: float) -> None:
        self.retry_scale = scale
        patches.set_retry_scale(scale)

    def stop(self) -> None:
        self.runtime.shutdown()
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> LocalEngine:
        return self.start()

    def __exit__(
        self, *exc: tuple[type[BaseException], BaseException, TracebackType] | Any
    ) -> None:
        self.stop()

    def client(self, service: str, read_timeout: float = 60, attempts: int = 3) -> Any:
        """A client of the local endpoint; raise ``read_timeout`` for long synchronous calls."""
        return boto3.session.Session().client(
            service,
            region_name=REGION,
            endpoint_url=self.endpoint_url,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(
                retries={"mode": "standard", "max_attempts": attempts},
                max_pool_connections=32,
                read_timeout=read_timeout,
            ),
        )
