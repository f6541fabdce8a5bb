"""The platforms' clients keep their connections: one pool per gateway and process, whichever
shop's client (a shipment's write-back makes one of its own) asks for it."""

import multiprocessing

from app.adapters.platforms import Credentials, client_for


def _client(platform: str, token: str, base_url: str = "http://127.0.0.1:9/gateway"):
    return client_for(platform, Credentials("key", "secret", token), base_url)


def _pool_in_a_child(conn, parent_pool_id: int) -> None:
    conn.send(id(_client("taobao", "c").pool) != parent_pool_id)


def test_clients_of_one_gateway_share_its_pool_and_a_forked_process_opens_its_own():
    first, second = _client("taobao", "a"), _client("taobao", "b")
    assert first.pool is second.pool  # a write-back after a download: the same connections
    assert _client("taobao", "a", "http://127.0.0.1:8/other").pool is not first.pool
    receiving, sending = multiprocessing.get_context("fork").Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(
        target=_pool_in_a_child, args=(sending, id(first.pool))
    )
    child.start()
    assert receiving.recv() is True  # not the parent's sockets
    child.join(10)
