"""A real S3 API for the tests: moto's server mode (`moto_server`), started by the test
session on 127.0.0.1 on a free port, stopped by its process id at the end.

Django is pointed at it through leakcase.env.evidence_storage, the function settings.py
builds STORAGES["default"] with, so the tests exercise the production branch for
EVIDENCE_S3_BUCKET. Nothing can reach AWS: the endpoint is always this server, credentials
are dummies, the instance-metadata lookup is off, and every request the storage's client
sends is checked to go to 127.0.0.1 (`only_to` below fails the test otherwise)."""

import os
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

# What botocore would otherwise read from this machine (~/.aws, the instance metadata
# service at 169.254.169.254): dummies and off, for the server and every client.
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "test-only-access-key",
    "AWS_SECRET_ACCESS_KEY": "test-only-secret-key",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


class MotoServer:
    def __init__(self, port: int):
        self.port = port
        self.endpoint = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        moto_server = Path(sys.executable).parent / "moto_server"
        self.process = subprocess.Popen(
            [str(moto_server), "-H", "127.0.0.1", "-p", str(self.port)],
            env={**os.environ, **AWS_ENV},
            # Never a pipe nobody reads: moto logs every request to stderr, and once a pipe's
            # buffer (64 kB) is full the server blocks mid-request and every client times
            # out (seen in CI after a few hundred requests).
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                # moto's own reset endpoint answers once the server is up.
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1)
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@dataclass
class Bucket:
    """One bucket of one test on the session's server."""

    name: str
    endpoint: str
    client: object  # a boto3 S3 client for this server

    @property
    def env(self) -> dict[str, str]:
        """The deployment's variables for this bucket (settings.py reads them)."""
        return {
            "EVIDENCE_S3_BUCKET": self.name,
            "EVIDENCE_S3_ENDPOINT_URL": self.endpoint,
            "EVIDENCE_S3_REGION": AWS_ENV["AWS_DEFAULT_REGION"],
            "EVIDENCE_S3_ACCESS_KEY": AWS_ENV["AWS_ACCESS_KEY_ID"],
            "EVIDENCE_S3_SECRET_KEY": AWS_ENV["AWS_SECRET_ACCESS_KEY"],
        }

    def names(self, prefix: str = "") -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.name, Prefix=prefix
        )
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=key, Body=data)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.name, Key=key)


def new_bucket(server: MotoServer) -> Bucket:
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=server.endpoint,
        region_name=AWS_ENV["AWS_DEFAULT_REGION"],
        aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
        config=Config(retries={"max_attempts": 1}),
    )
    only_to(client, server.endpoint)
    name = f"evidence-{uuid.uuid4().hex[:16]}"
    client.create_bucket(Bucket=name)
    return Bucket(name, server.endpoint, client)


def only_to(client, endpoint: str) -> None:
    """Fail any request of this botocore client that is not for our server on 127.0.0.1."""
    allowed = urlsplit(endpoint).netloc

    def check(request, **_kwargs):
        where = urlsplit(request.url).netloc
        if where != allowed:
            raise AssertionError(f"an S3 request left the test's server: {where}")

    client.meta.events.register("before-send", check)
