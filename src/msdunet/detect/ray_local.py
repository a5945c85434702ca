"""Ray on this machine, kept to the loopback interface: the tests' and benchmarks' clusters.

Ray turns 127.0.0.1 into the machine's outward address (``services.resolve_ip_for_localhost``), so
even ``ray start --node-ip-address=127.0.0.1`` listens on, and connects to, that address.  Here that
one function is replaced by the identity, in this process (``keep_to_loopback``) and in the
``ray start`` processes this module runs, so that every Ray server binds to 127.0.0.1 and all
traffic stays on loopback.  It relies on a private Ray function (checked with Ray 2.60); a real
cluster needs none of this.

Every process here uses Ray's token authentication (``RAY_AUTH_MODE=token``, the token in Ray's
default place, ~/.ray/auth_token, made when missing): Ray turns it on by itself for ``ray.init``
but not for a node joining with ``ray start --address``, so it is set for all alike.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from dataclasses import dataclass

import ray

# `ray` CLI with the loopback fix, run as `python -c _CLI ARGS...`
_CLI = (
    "import sys, ray._private.services as s; s.resolve_ip_for_localhost = lambda host: host; "
    "from ray.scripts.scripts import main; sys.argv[0] = 'ray'; main()"
)
OBJECT_STORE_BYTES = 200 * 1024 * 1024  # small: this machine also trains


def keep_to_loopback() -> None:
    """Make Ray in this process take 127.0.0.1 as it is (not as the machine's outward address), and
    use token authentication; call it before ``ray.init``."""
    import ray._private.services as services

    services.resolve_ip_for_localhost = lambda host: host
    os.environ["RAY_AUTH_MODE"] = "token"
    from ray._raylet import Config

    Config.initialize("")  # Ray reads the mode once: refresh it, as Ray does when it turns tokens on itself


def init_local(num_cpus: int) -> None:
    """A fresh single-node Ray in this process, on 127.0.0.1, without the dashboard."""
    keep_to_loopback()
    ray_cli("get-auth-token", "--generate")
    ray.init(
        address="local",
        _node_ip_address="127.0.0.1",
        num_cpus=num_cpus,
        include_dashboard=False,
        object_store_memory=OBJECT_STORE_BYTES,
        logging_level=logging.WARNING,
    )


@dataclass(frozen=True)
class LocalCluster:
    """A cluster of ``nodes`` Ray nodes on this machine; ``address`` is the head's host:port."""

    address: str
    nodes: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ray_cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """``ray ARGS...`` (with the loopback fix); raises with Ray's output when it fails."""
    full_env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token", **(env or {})}
    done = subprocess.run(
        [sys.executable, "-c", _CLI, *args], env=full_env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        output = (done.stdout + done.stderr)[-4000:]
        raise RuntimeError(f"ray {' '.join(args)} failed (exit status {done.returncode}):\n{output}")
    return done


def start_cluster(nodes: int, *, cpus_per_node: int = 1, env: dict | None = None) -> LocalCluster:
    """``ray start --head`` plus ``nodes - 1`` more ``ray start --address``, all on 127.0.0.1, each
    with ``cpus_per_node`` CPUs; ``env`` is added to their environment (and their workers').
    Call ``stop_cluster`` afterwards, also when this raises."""
    ray_cli("get-auth-token", "--generate")  # the cluster's token, when there is none yet
    port = free_port()
    common = ["--node-ip-address=127.0.0.1", f"--num-cpus={cpus_per_node}", "--disable-usage-stats"]
    common.append(f"--object-store-memory={OBJECT_STORE_BYTES}")
    head = ["start", "--head", f"--port={port}", "--include-dashboard=false"]
    ray_cli(*head, *common, env=env)
    for _ in range(nodes - 1):
        ray_cli("start", f"--address=127.0.0.1:{port}", *common, env=env)
    return LocalCluster(f"127.0.0.1:{port}", nodes)


def stop_cluster() -> None:
    """``ray stop --force``: every Ray process of this machine's session ends."""
    ray_cli("stop", "--force")
