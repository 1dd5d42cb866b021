"""A request whose retries end on a connection failure fails with one line naming the system, the host and why; one
sent that got no answer in time says so, with the timeout. Both stay the httpx errors they were, so a writer can still
tell a request never sent from one that may have been applied."""

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from ml_connector_dagster.resources.oracle_ebs import OracleEbsResource

from ml_connector_dagster.http import UNSENT_ERRORS, ApiError, CallCounter, RetryPolicy, build_client


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def silent_server() -> Iterator[int]:
    """Accepts connections (the kernel does, into the backlog) and never says a word."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


@contextmanager
def plain_http_server() -> Iterator[int]:
    """Answers whatever it is sent with plain HTTP, TLS handshakes included."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def answer() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                connection.recv(4096)
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    threading.Thread(target=answer, daemon=True).start()
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def get(url: str, *, attempts: int = 2, timeout: float = 5.0) -> tuple[Exception, CallCounter]:
    counter = CallCounter()
    retry = RetryPolicy(max_attempts=attempts)
    with build_client(
        url, system="dynamics_sales", retry=retry, counter=counter, timeout_seconds=timeout, sleep=lambda s: None
    ) as client:
        with pytest.raises(ApiError) as failed:
            client.get("/api/data/v9.2/accounts")
    return failed.value, counter


@contextmanager
def refused() -> Iterator[tuple[str, str]]:
    port = closed_port()
    yield f"http://127.0.0.1:{port}", f"127.0.0.1:{port} (connection refused)"


@contextmanager
def unknown_host() -> Iterator[tuple[str, str]]:
    yield "https://no-such-host.invalid", "no-such-host.invalid (host name not found)"


@contextmanager
def not_tls() -> Iterator[tuple[str, str]]:
    with plain_http_server() as port:
        yield f"https://127.0.0.1:{port}", f"127.0.0.1:{port} (TLS handshake failed: WRONG_VERSION_NUMBER)"


@contextmanager
def tls_never_answered() -> Iterator[tuple[str, str]]:
    with silent_server() as port:
        yield f"https://127.0.0.1:{port}", f"127.0.0.1:{port} (no connection within 0.5 s)"


@pytest.mark.parametrize("server", [refused, unknown_host, not_tls, tls_never_answered])
def test_a_connection_that_cannot_be_made_names_the_system_the_host_and_why(server):
    with server() as (url, described):
        error, counter = get(url, timeout=0.5)
    assert str(error) == f"dynamics_sales: cannot connect to {described}"
    assert counter.total == 2, "after the retries"
    assert isinstance(error, UNSENT_ERRORS), "still says the request was never sent"


def test_a_request_sent_without_an_answer_names_the_host_and_the_timeout():
    with silent_server() as port:
        error, counter = get(f"http://127.0.0.1:{port}", attempts=1, timeout=0.5)
    assert str(error) == f"dynamics_sales: no answer from 127.0.0.1:{port} within 0.5 s"
    assert isinstance(error, httpx.ReadTimeout) and not isinstance(error, UNSENT_ERRORS), "it may have been applied"


def test_a_resource_names_its_own_system_when_it_cannot_connect():
    port = closed_port()
    resource = OracleEbsResource(base_url=f"http://127.0.0.1:{port}", username="U", password="p", max_attempts=1)
    with resource.open() as service, pytest.raises(ApiError) as failed:
        service.read_keys("GET_PARTIES", "1001")
    assert str(failed.value) == f"oracle_ebs: cannot connect to 127.0.0.1:{port} (connection refused)"
