"""`ml-connector`: demo, sandbox, ui, ping, dead-letters, replay."""

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

from ml_connector_dagster.http import ApiError
from ml_connector_dagster.instance import ensure_embedded_instance
from ml_connector_dagster.settings import SettingsError, settings
from ml_connector_dagster.systems import SANDBOX_PORTS


def _demo(args: argparse.Namespace) -> int:
    from ml_connector_dagster import demo
    return demo.main(settings(), as_json=args.json, reset=args.reset)


def _serve_sandbox():
    from ml_connector_dagster.sandbox.stack import build_sandbox
    sandbox = build_sandbox(state_dir=settings().home / "sandbox", ports=SANDBOX_PORTS).start()
    for name, url in sandbox.urls.items():
        # HTTP emulators have an admin surface; a side server (the Pub/Sub gRPC endpoint, host:port) has none.
        print(f"{name:17} {url}" + (f"   (admin: {url}/_admin/health)" if url.startswith("http") else "   (gRPC)"))
    return sandbox


def _sandbox(args: argparse.Namespace) -> int:
    sandbox = _serve_sandbox()
    print("sandbox running; Ctrl-C to stop")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sandbox.stop()
    return 0


def _ui(args: argparse.Namespace) -> int:
    """The sandbox on its fixed ports plus `dagster dev` on this code location, stopped together."""
    home = settings().home
    ensure_embedded_instance(home)
    sandbox = _serve_sandbox()
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    try:
        return subprocess.call([sys.executable, "-m", "dagster", "dev", "-m", "ml_connector_dagster.definitions",
                                "-p", str(args.port)], env=env)
    except KeyboardInterrupt:
        return 0
    finally:
        sandbox.stop()


def _ping(args: argparse.Namespace) -> int:
    """One cheap authenticated call per configured system: proves URL, credentials and grants."""
    from ml_connector_dagster.connections import resources_for
    from ml_connector_dagster.resources.sap_ecc.query import Select
    resources = resources_for(settings())
    failures = 0
    now = datetime.now(timezone.utc)
    checks = {
        "oracle_ebs": lambda service: service.call("GET_PARTIES", {
            "P_LAST_UPDATE_FROM": (now - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S"),
            "P_LAST_UPDATE_TO": now.strftime("%Y-%m-%dT%H:%M:%S"), "P_OFFSET": "0", "P_LIMIT": "1"}),
        "sap_ecc": lambda reader: next(reader.select(Select("LFA1", ("LIFNR",), ("LIFNR",))), None),
        "dynamics_sales": lambda client: next(client.rows("account", ["accountid"]), None),
        "dynamics_fo": lambda client: next(client.rows("CustomersV3", select=["CustomerAccount"]), None),
        "salesforce": lambda client: next(client.query("SELECT Id FROM Account LIMIT 1"), None),
    }
    for name, check in checks.items():
        try:
            with resources[name].open() as session:
                check(session)
            print(f"{name:15} ok")
        except (ApiError, OSError) as exc:
            failures += 1
            print(f"{name:15} FAILED: {exc}")
    return 1 if failures else 0


def _webhooks(args: argparse.Namespace) -> int:
    """The receiver alone: it needs only the ledger, so it keeps accepting events while Dagster is down."""
    import uvicorn

    from ml_connector_dagster.ledger import Ledger
    from ml_connector_dagster.webhooks import build_app, configured_sources
    config = settings()
    config.home.mkdir(parents=True, exist_ok=True)
    sources = configured_sources(config.profile)
    if not sources:
        print("ml-connector: no webhook source configured (set e.g. DYNAMICS_FO_WEBHOOK_KEY)", file=sys.stderr)
        return 2
    print(f"receiving {', '.join(s.source for s in sources)} on http://{args.host}:{args.port}/webhooks/<source>")
    uvicorn.run(build_app(Ledger(config.ledger_url), sources), host=args.host, port=args.port, access_log=False,
                log_level="warning")
    return 0


def _dead_letters(args: argparse.Namespace) -> int:
    from ml_connector_dagster.ledger import Ledger
    letters = Ledger(settings().ledger_url).open_dead_letters(args.pair, args.object)
    if args.json:
        print(json.dumps([letter.__dict__ for letter in letters], indent=2, default=str))
        return 0
    for letter in letters:
        print(f"#{letter.id:<6} {letter.pair} {letter.target_object} {letter.source_key} [{letter.error_class}"
              f"{' ' + letter.error_code if letter.error_code else ''}] x{letter.attempts}: {letter.error_message}")
    print(f"{len(letters)} open dead letters")
    return 0


def _replay(args: argparse.Namespace) -> int:
    import dagster as dg

    home = settings().home
    os.environ.setdefault("DAGSTER_HOME", str(home))
    home.mkdir(parents=True, exist_ok=True)
    from ml_connector_dagster.definitions import defs
    config = {k: v for k, v in {"pair": args.pair, "target_object": args.object,
                                "dead_letter_ids": args.ids}.items() if v}
    with dg.DagsterInstance.get() as instance:
        result = defs.resolve_job_def("replay_dynamics_sales").execute_in_process(
            run_config={"ops": {"replay_dynamics_sales_dead_letters": {"config": config}}}, instance=instance)
    print(json.dumps(result.output_for_node("replay_dynamics_sales_dead_letters"), indent=2))
    return 0 if result.success else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ml-connector", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="sync the sandbox's seeded days and verify source and target agree")
    demo.add_argument("--json", action="store_true", help="print the summary as JSON")
    demo.add_argument("--reset", action="store_true", help="forget sandbox state and the SQLite ledger first")
    demo.set_defaults(run=_demo)
    commands.add_parser("sandbox", help="serve every emulator on its fixed loopback port").set_defaults(run=_sandbox)
    ui = commands.add_parser("ui", help="the sandbox plus the Dagster UI (dagster dev) on this code location")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(run=_ui)
    commands.add_parser("ping", help="one authenticated call to each configured system").set_defaults(run=_ping)
    webhooks = commands.add_parser("webhooks", help="receive vendor events into the ledger's inbox")
    webhooks.add_argument("--host", default="127.0.0.1")
    webhooks.add_argument("--port", type=int, default=8090)
    webhooks.set_defaults(run=_webhooks)
    letters = commands.add_parser("dead-letters", help="list open dead letters")
    replay = commands.add_parser("replay", help="re-send open dead letters to Dynamics 365 Sales")
    for sub in (letters, replay):
        sub.add_argument("--pair")
        sub.add_argument("--object")
    letters.add_argument("--json", action="store_true")
    letters.set_defaults(run=_dead_letters)
    replay.add_argument("--ids", type=int, nargs="*", help="only these dead letter ids")
    replay.set_defaults(run=_replay)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except SettingsError as exc:
        print(f"ml-connector: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
