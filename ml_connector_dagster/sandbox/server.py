"""Serves emulators over real HTTP on loopback, each on its own port, from background threads; and the non-HTTP
servers an emulator runs beside its app (the Salesforce Pub/Sub API's gRPC endpoint), each on a port of its own.

Tests use port 0 (the OS picks a free port); `ml-connector sandbox` uses the fixed ports in systems.py.
"""

import threading
import time
from typing import Protocol

import uvicorn

from ml_connector_dagster.sandbox.emulator import Emulator


class _Served:
    def __init__(self, emulator: Emulator, host: str, port: int):
        config = uvicorn.Config(
            emulator.app(),
            host=host,
            port=port,
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_keep_alive=30,
            date_header=False,  # the emulator's own, from its clock
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"sandbox-{emulator.name}", daemon=True)

    def start(self, timeout: float = 10.0) -> int:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("sandbox server did not start (is the port already in use?)")
            time.sleep(0.01)
        return self.server.servers[0].sockets[0].getsockname()[1]

    def stop(self) -> None:
        self.ask_to_stop()
        self.thread.join(timeout=10)

    def ask_to_stop(self) -> None:
        self.server.should_exit = True


class SideServer(Protocol):
    """A server an emulator exposes through `side_servers()` (name → server); its URL is `host:port`, no scheme."""

    def start(self, host: str, port: int) -> int:
        """Listens on host:port (port 0: any free port) and answers the port."""

    def stop(self) -> None: ...


class SandboxServer:
    """Starts a set of emulators; `url(name)` is each one's base URL (scheme, host and port, no path), and a side
    server's is `host:port`."""

    def __init__(self, emulators: list[Emulator], host: str = "127.0.0.1", ports: dict[str, int] | None = None):
        self.emulators = {emulator.name: emulator for emulator in emulators}
        self.host = host
        self.ports = ports or {}
        self._served: list[_Served | SideServer] = []
        self.urls: dict[str, str] = {}

    def start(self) -> "SandboxServer":
        try:
            for name, emulator in self.emulators.items():
                served = _Served(emulator, self.host, self.ports.get(name, 0))
                port = served.start()
                self._served.append(served)
                self.urls[name] = f"http://{self.host}:{port}"
                for side_name, side in getattr(emulator, "side_servers", dict)().items():
                    self.urls[side_name] = f"{self.host}:{side.start(self.host, self.ports.get(side_name, 0))}"
                    self._served.append(side)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        # Every server is told first, so they wind down together rather than one after another.
        for served in self._served:
            if isinstance(served, _Served):
                served.ask_to_stop()
        for served in self._served:
            served.stop()
        self._served.clear()

    def url(self, name: str) -> str:
        return self.urls[name]

    def __getitem__(self, name: str) -> Emulator:
        return self.emulators[name]

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
