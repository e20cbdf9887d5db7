"""Deployment settings: behind a reverse proxy, each client has its own login budget."""

import pytest
from flask import request

from .conftest import LOGINS

LIMIT = {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "2 per minute"}


def _attempts(client, forwarded_for: str, n: int) -> list[int]:
    return [client.post("/auth/login", data={"login": LOGINS["chair"], "password": "bad"},
                        headers={"X-Forwarded-For": forwarded_for}).status_code
            for _ in range(n)]


@pytest.mark.config(PROXY_FIX_HOPS=1, **LIMIT)
def test_behind_one_proxy_rate_limits_count_each_client(client):
    assert _attempts(client, "203.0.113.7", 3) == [422, 422, 429]
    assert _attempts(client, "198.51.100.20", 1) == [422]  # another villager is not locked out


@pytest.mark.config(**LIMIT)
def test_without_proxy_hops_a_forwarded_address_is_not_believed(client):
    assert _attempts(client, "203.0.113.7", 2) == [422, 422]
    assert _attempts(client, "198.51.100.20", 1) == [429]  # a made-up header buys no attempts


@pytest.mark.config(PROXY_FIX_HOPS=1)
def test_behind_one_proxy_the_app_sees_the_clients_address_and_https(client):
    with client:
        client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.7",
                                        "X-Forwarded-Proto": "https"})
        assert request.remote_addr == "203.0.113.7"
        assert request.scheme == "https"
