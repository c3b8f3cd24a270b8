"""Runs moto's S3 server on a free local port, checking SigV4 signatures, for tests that need S3.

Plain code, no pytest: a session fixture wraps `run_moto_s3` (see
``tests/contract/test_blob_store.py``). moto keeps its state per process, so start one
server per test session and give every test its own bucket.
"""

from __future__ import annotations

import json
import logging
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
from moto.server import ThreadedMotoServer

__all__ = ["S3Server", "run_moto_s3"]

REGION = "us-east-1"
_ALLOW_ALL_S3 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


@dataclass(frozen=True, slots=True)
class S3Server:
    """Where the server listens and the only credentials it accepts."""

    endpoint: str
    """``host:port``, the form minio and ``ECASE_STORAGE_URL`` use."""
    access_key: str
    secret_key: str
    region: str = REGION

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    def storage_url(self, bucket: str) -> str:
        """An ``ECASE_STORAGE_URL`` for ``bucket`` on this server."""
        return f"s3://{bucket}?endpoint={self.endpoint}&secure=0&region={self.region}"


@contextmanager
def run_moto_s3(*, check_signatures: bool = True) -> Iterator[S3Server]:
    """Start moto's S3 server on 127.0.0.1 and stop it on exit.

    With ``check_signatures`` the server only accepts requests signed with the returned
    credentials (an IAM user allowed ``s3:*``): moto accepts anything by default, which
    would hide a signing bug and make a wrong-credentials test meaningless. moto holds
    that switch in a process-wide setting, which is restored on exit.
    """
    werkzeug_logger = logging.getLogger("werkzeug")
    previous_level = werkzeug_logger.level
    # One log line per request would bury a failing test's output.
    werkzeug_logger.setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        # Another server in this process may have switched checking on already; the user
        # can only be created with checking off, so switch it off first and restore after.
        previous_auth = _set_auth_threshold(url, "1000000000")
        try:
            access_key, secret_key = _create_s3_user(url)
            if check_signatures:
                _set_auth_threshold(url, "0")
            yield S3Server(endpoint=f"{host}:{port}", access_key=access_key, secret_key=secret_key)
        finally:
            _set_auth_threshold(url, previous_auth)
    finally:
        server.stop()
        werkzeug_logger.setLevel(previous_level)


def _create_s3_user(url: str) -> tuple[str, str]:
    # Still unauthenticated at this point, so any key signs these calls.
    iam = boto3.client(
        "iam",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="bootstrap",
        aws_secret_access_key="bootstrap",
    )
    # Unique names: moto's IAM state outlives a server started earlier in the process.
    name = f"ecase-{uuid.uuid4().hex[:12]}"
    iam.create_user(UserName=name)
    policy = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(_ALLOW_ALL_S3))
    iam.attach_user_policy(UserName=name, PolicyArn=policy["Policy"]["Arn"])
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def _set_auth_threshold(url: str, value: str) -> str:
    """Make moto check credentials after ``value`` more requests; return the old threshold."""
    request = urllib.request.Request(  # noqa: S310 - the URL is our own local server
        f"{url}/moto-api/reset-auth",
        data=value.encode(),
        method="POST",
        # Without it the body is parsed as a form and moto reads an empty value.
        headers={"Content-Type": "text/plain"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local server
        return str(json.load(response)["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"])
