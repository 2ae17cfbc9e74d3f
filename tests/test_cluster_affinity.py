"""The pieces a load balancer relies on, without one: the affinity key, and the 503 a draining instance gives
a proxied websocket upgrade (nginx then tries another instance) while a direct client still gets
`server_shutdown`. The whole path through a real nginx: tests/test_cluster_nginx.py."""
from __future__ import annotations

import aiohttp
import pytest

from realtime.client import ClientError, OhloraClient
from realtime.identity import IdentityStore, affinity_key
from realtime.state import STATE
from tests.realtime_servers import run, serving


def test_a_users_credential_and_viewer_key_share_one_affinity_key(tmp_path):
    identity = IdentityStore(tmp_path / "identity.json", secret="s")
    credential = identity.issue("u-1234").token
    assert affinity_key(credential) == affinity_key(identity.viewer_key("u-1234")) is not None
    assert affinity_key(credential) != affinity_key(identity.issue("u-5678").token)
    assert affinity_key("not a token") is None and affinity_key(None) is None


def test_a_draining_instance_refuses_proxied_upgrades_with_503_and_tells_direct_clients_why():
    async def body():
        async with serving() as s:
            s.app[STATE].draining = True
            async with aiohttp.ClientSession() as http:
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await http.ws_connect(s.ws, headers={"X-Forwarded-For": "203.0.113.7"})
                assert refused.value.status == 503
            direct = s.client()
            with pytest.raises(ClientError) as e:
                await direct.connect()
            assert e.value.error["code"] == "server_shutdown"
    run(body())


def test_the_client_names_its_affinity_key_in_the_url():
    async def body():
        async with serving() as s:
            first = s.client()
            await first.connect()
            again = OhloraClient(s.ws, credential=first.credential)
            await again.open_socket()
            assert again.ws._response.url.query["affinity"] == affinity_key(first.credential)
            await again.close()
    run(body())
