"""`ml-connector`: the connector's command line; `ml-connector --help` lists the commands (from the parser itself)."""

import argparse
import importlib.util
import json
import logging
import os
import pkgutil
import subprocess
import sys
import time
from pathlib import Path

from ml_connector_dagster import audit_cli
from ml_connector_dagster.http import ApiError
from ml_connector_dagster.instance import ensure_embedded_instance
from ml_connector_dagster.ledger import ErrorClass
from ml_connector_dagster.mapping.common import RulesError
from ml_connector_dagster.settings import SettingsError, settings
from ml_connector_dagster.systems import SANDBOX_PORTS, SYSTEMS

PING_TIMEOUT = 10.0


def _demo(args: argparse.Namespace) -> int:
    from ml_connector_dagster import demo

    return demo.main(settings(), as_json=args.json, reset=args.reset)


def _serve_sandbox():
    from ml_connector_dagster.demo import SEED
    from ml_connector_dagster.sandbox.stack import build_sandbox

    # the demo's seed: the sandbox and the demo share the home folder's state, and go live alike
    sandbox = build_sandbox(state_dir=settings().home / "sandbox", ports=SANDBOX_PORTS, size=SEED).start()
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
        return subprocess.call(
            [sys.executable, "-m", "dagster", "dev", "-m", "ml_connector_dagster.definitions", "-p", str(args.port)],
            env=env,
        )
    except KeyboardInterrupt:
        return 0
    finally:
        sandbox.stop()


def _ping(args: argparse.Namespace) -> int:
    from ml_connector_dagster.ping import ping

    return ping(settings(), timeout_seconds=args.timeout, systems=args.system, as_json=args.json)


def _connect(args: argparse.Namespace) -> int:
    """One of: a new key; a rotation; one system's values (asked, or from a file or stdin); the list of what is
    stored."""
    import getpass

    from ml_connector_dagster import connect
    from ml_connector_dagster.credentials_key import new_key, write_new_key

    if args.new_key:
        if args.new_key == "-":
            print(new_key())
        else:
            write_new_key(Path(args.new_key))
            print(f"a new key in {args.new_key}, readable by you only", file=sys.stderr)
        return 0
    config = settings()
    config.home.mkdir(parents=True, exist_ok=True)
    if args.rotate_key:
        connect.rotate(config, sys.stdout)
        return 0
    if not args.system:
        connect.listing(config, sys.stdout)
        return 0
    kind = connect.kind_of(args.system)
    if args.from_file or args.stdin:
        source = args.from_file or "stdin"
        try:
            text = Path(args.from_file).read_text() if args.from_file else sys.stdin.read()
        except OSError as error:
            print(f"ml-connector: {source}: {error.strerror}", file=sys.stderr)
            return 2
        given = connect.by_field(kind, connect.parse(text, source), config)
    elif args.unset:
        given = {}
    elif connect.is_terminal():
        given = connect.ask(kind, config, connect.CredentialStore(config.ledger_url), every=args.all)
    else:
        print("ml-connector: no terminal to ask on: give the values with --from-file FILE or --stdin", file=sys.stderr)
        return 2
    given |= dict.fromkeys(connect.by_field(kind, dict.fromkeys(args.unset), config))
    connect.store_values(kind, config, given, by=args.by or getpass.getuser(), out=sys.stdout)
    return 0


def _webhooks(args: argparse.Namespace) -> int:
    """The receiver alone: it needs only the ledger, so it keeps accepting events while Dagster is down."""
    import uvicorn

    from ml_connector_dagster.ledger import Ledger
    from ml_connector_dagster.webhooks import build_app, configured_sources

    config = settings()
    config.home.mkdir(parents=True, exist_ok=True)
    sources = configured_sources(config.profile, _stored_webhook_keys(config))
    if not sources:
        print("ml-connector: no webhook source configured (set e.g. DYNAMICS_FO_WEBHOOK_KEY)", file=sys.stderr)
        return 2
    print(f"receiving {', '.join(s.source for s in sources)} on http://{args.host}:{args.port}/webhooks/<source>")
    uvicorn.run(
        build_app(Ledger(config.ledger_url), sources),
        host=args.host,
        port=args.port,
        access_log=False,
        log_level="warning",
    )
    return 0


def _stored_webhook_keys(config) -> dict[str, str]:
    """The production profile's stored receiver keys (the sandbox has its own)."""
    if config.profile != "production":
        return {}
    from ml_connector_dagster.connections import stored_webhook_keys

    return stored_webhook_keys(config)


def _dead_letters(args: argparse.Namespace) -> int:
    ledger = _ledger()
    if args.action == "edit":
        return _edit_dead_letter(ledger, args)
    letters = ledger.open_dead_letters(args.pair, args.object, args.error_class)
    if args.json:
        print(json.dumps([letter.__dict__ for letter in letters], indent=2, default=str))
        return 0
    for letter in letters:
        print(
            f"#{letter.id:<6} {letter.pair} {letter.target_object} {letter.source_key} [{letter.error_class}"
            f"{' ' + letter.error_code if letter.error_code else ''}] x{letter.attempts}: {letter.error_message}"
            + ("" if letter.record_payload is not None else " (no payload: fix it at the source, rerun its day)")
        )
    print(f"{len(letters)} open dead letters")
    return 0


def _ledger():
    """The configured ledger; the default one's folder is made on first use."""
    from ml_connector_dagster.ledger import Ledger

    config = settings()
    config.home.mkdir(parents=True, exist_ok=True)
    return Ledger(config.ledger_url)


def _edit_dead_letter(ledger, args: argparse.Namespace) -> int:
    """`--payload-file` replaces the whole payload, then each `--set` / `--unset` changes one dotted path of it."""
    import getpass

    from ml_connector_dagster.ledger import changed_paths
    from ml_connector_dagster.replay import edited

    if not (args.set or args.unset or args.payload_file):
        print(
            "ml-connector: say what to change: --set FIELD=VALUE, --unset FIELD or --payload-file FILE", file=sys.stderr
        )
        return 2
    try:
        letter = ledger.dead_letter(args.id)
        if letter is None:
            raise LookupError(f"no dead letter #{args.id}")
        base = json.loads(Path(args.payload_file).read_text()) if args.payload_file else letter.record_payload
        payload = edited(base or {}, dict(args.set), args.unset)
        ledger.edit_dead_letter(args.id, payload, by=args.by or getpass.getuser())
    except (LookupError, ValueError, OSError) as exc:
        print(f"ml-connector: {exc}", file=sys.stderr)
        return 2
    changes = changed_paths(letter.record_payload, payload)
    for path, (before, after) in changes.items():
        print(f"{path}: {json.dumps(before, ensure_ascii=False)} -> {json.dumps(after, ensure_ascii=False)}")
    print(
        f"dead letter #{args.id}: "
        + (
            f"{len(changes)} fields changed; send it with `ml-connector replay --ids {args.id}`"
            if changes
            else "nothing changed"
        )
    )
    return 0


def _assignment(text: str) -> tuple[str, object]:
    """FIELD=VALUE, the value read as JSON when it is JSON (30, true, null, "30", {...}), else as the text itself."""
    path, equals, value = text.partition("=")
    if not equals or not path:
        raise argparse.ArgumentTypeError(f"{text!r} is not FIELD=VALUE")
    try:
        return path, json.loads(value)
    except ValueError:
        return path, value


def _replay(args: argparse.Namespace) -> int:
    """Each target's replay job that has matching open dead letters (or the one named), on the configured Dagster
    instance (DAGSTER_HOME), else the embedded one under the home folder."""
    import dagster as dg

    from ml_connector_dagster.assets.replay import job_name, op_name
    from ml_connector_dagster.code_location import build_definitions, build_pairs
    from ml_connector_dagster.connections import check_environment
    from ml_connector_dagster.demo import QUIET
    from ml_connector_dagster.replay import ReplayFilter, plan

    config = settings()
    _use_configured_instance(config.home)
    loads = [load for part in build_pairs(config) for load in part.loads]
    if args.target and args.target not in {load.target for load in loads}:
        print(
            f"ml-connector: no load writes to {args.target!r}; targets: "
            f"{', '.join(sorted({load.target for load in loads}))}",
            file=sys.stderr,
        )
        return 2
    ledger = _ledger()
    chosen = plan(
        ledger,
        loads,
        ReplayFilter(
            pair=args.pair, target_object=args.object, error_class=args.error_class, ids=args.ids, target=args.target
        ),
    )
    ledger.dispose()
    job_config = {
        k: v
        for k, v in {
            "pair": args.pair,
            "target_object": args.object,
            "dead_letter_ids": args.ids,
            "error_class": args.error_class and args.error_class.value,
        }.items()
        if v
    }
    check_environment(config, {args.target} if args.target else chosen.targets)
    defs = build_definitions(config)
    answer: dict = {"targets": {}, "without_load_target": [letter.id for letter in chosen.without_load_target]}
    if not (args.target or chosen.targets):
        print("ml-connector: no open dead letter matches", file=sys.stderr)
    with dg.DagsterInstance.get() as instance:
        for target in sorted({args.target} if args.target else chosen.targets):
            result = defs.resolve_job_def(job_name(target)).execute_in_process(
                instance=instance,
                raise_on_error=False,
                run_config={**QUIET, "ops": {op_name(target): {"config": job_config}}},
            )
            totals = result.output_for_node(op_name(target)) if result.success else {}
            answer["targets"][target] = {**totals, "run_id": result.run_id, "success": result.success}
    print(json.dumps(answer, indent=2))
    return 0 if all(run["success"] for run in answer["targets"].values()) else 1


def _initial_load(args: argparse.Namespace) -> int:
    """The pair's `<pair>__initial_load` job on the configured instance (as replay), so the run and its steps' counts
    are in the UI too; it goes on after the last complete page of an interrupted run unless told to restart."""
    import dagster as dg

    from ml_connector_dagster.code_location import build_definitions
    from ml_connector_dagster.connections import check_environment
    from ml_connector_dagster.initial_load import job_name, run_config

    config = settings()
    _use_configured_instance(config.home)
    defs = build_definitions(config)
    name = job_name(args.pair)
    if name not in {job.name for job in defs.jobs or ()}:
        print(
            f"ml-connector: {args.pair!r} has no initial load (docs/operators/go_live.md says which pairs do and why)",
            file=sys.stderr,
        )
        return 2
    check_environment(config, args.pair.split("__"))
    job = defs.resolve_job_def(name)
    options = {"restart": args.restart} | ({"page_size": args.page_size} if args.page_size else {})
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, run_config={**PROGRESS, **run_config(job, **options)}
        )
    steps = {
        node: result.output_for_node(node) if result.is_node_success(node) else None for node in job.graph.node_names()
    }
    print(json.dumps({"run_id": result.run_id, "success": result.success, "objects": steps}, indent=2))
    if not result.success:
        print(
            f"ml-connector: the initial load stopped (run {result.run_id}, its log is in the UI); run the same command "
            "again: it goes on after the last complete page",
            file=sys.stderr,
        )
    return 0 if result.success else 1


# A go-live load runs for hours: its steps' page-by-page progress (INFO) on stderr, not Dagster's events (DEBUG).
PROGRESS = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def _use_configured_instance(home: Path) -> None:
    """The Dagster instance of DAGSTER_HOME, else the embedded one under the home folder, so runs the CLI makes are
    in the UI afterwards."""
    if "DAGSTER_HOME" not in os.environ:
        ensure_embedded_instance(home)
        os.environ["DAGSTER_HOME"] = str(home)


def _targets(config):
    """system → its resource as the profile configures it (the sandbox's, else production's), for a command that
    reads a target outside a run: production values are resolved now (a dg.EnvVar left for Dagster is a name, not a
    URL)."""
    from ml_connector_dagster.connections import SYSTEM_RESOURCES, production_resource, sandbox_resources

    sandbox = sandbox_resources(config) if config.profile == "sandbox" else {}
    kinds = {kind.system: kind for kind in SYSTEM_RESOURCES}
    return lambda system: sandbox[system] if sandbox else production_resource(kinds[system], config, resolve=True)


def _in_targets(value: str, pair: str | None, target_object: str | None):
    """`audit`'s records by an id the ledger does not hold, asked of the targets whose UI shows such ids."""
    from ml_connector_dagster.target_ids import source_keys_of

    config = settings()
    return source_keys_of(config, value, target=_targets(config), pair=pair, target_object=target_object)


def _heal(args: argparse.Namespace) -> int:
    """Each object of the pair (or the one named): what its target lacks of the ledger's records is forgotten, then
    the partitions that send it again are rerun (on the configured instance, as replay)."""
    import getpass

    import dagster as dg

    from ml_connector_dagster.code_location import build_definitions
    from ml_connector_dagster.connections import check_environment
    from ml_connector_dagster.heal import heal_pair

    config = settings()
    check_environment(config, args.pair.split("__"))  # its reruns run the pair's job
    _use_configured_instance(config.home)
    try:
        with dg.DagsterInstance.get() as instance:
            healed = heal_pair(
                config,
                args.pair,
                args.object,
                defs=build_definitions(config),
                target=_targets(config),
                instance=instance,
                by=args.by or getpass.getuser(),
                dry_run=args.dry_run,
                rerun=not args.no_rerun,
                log=lambda message: print(message, file=sys.stderr),
            )
    except LookupError as exc:
        print(f"ml-connector: {exc}", file=sys.stderr)
        return 2
    for obj in healed.objects:
        print(
            f"{obj.pair} {obj.target_object}: the target lacks {len(obj.missing)} of the {obj.written} records the "
            "ledger holds as written"
            + (
                ""
                if not obj.missing
                else " (dry run: nothing forgotten)"
                if args.dry_run
                else f"; forgotten (audited as drifted), to be sent again; {obj.dependents} records that refer to "
                "them follow them"
            )
        )
        if obj.without_partition:
            print(f"  {len(obj.without_partition)} of them name no partition: the pair's initial load sends them")
    if healed.partitions and (args.dry_run or args.no_rerun):
        print(f"partitions to rerun ({args.pair}): {', '.join(healed.partitions)}")
    for partition, result in healed.reruns.items():
        print(f"rerun {partition}: {'ok' if result.success else 'FAILED'} (run {result.run_id})")
    return 0 if all(result.success for result in healed.reruns.values()) else 1


def _upgrade_keys(args: argparse.Namespace) -> int:
    """The Dynamics 365 Sales objects of every pair (or the one named) moved to today's external ids."""
    import getpass

    from ml_connector_dagster.key_upgrade import upgrade_keys

    config = settings()
    try:
        upgraded = upgrade_keys(
            config,
            target=_targets(config),
            by=args.by or getpass.getuser(),
            pair=args.pair,
            dry_run=args.dry_run,
            log=lambda message: print(message, file=sys.stderr),
        )
    except LookupError as exc:
        print(f"ml-connector: {exc}", file=sys.stderr)
        return 2
    except ApiError as exc:
        print(f"ml-connector: upgrade stopped: {exc}; run it again to finish, it goes on from there", file=sys.stderr)
        return 1
    verb = "to rekey (dry run: nothing changed)" if args.dry_run else "rekeyed"
    for done in upgraded:
        print(
            f"{done.pair} {done.target_object}: {verb}: {done.target_rows} target rows, {done.ledger_records} ledger "
            f"records, {done.dead_letters} open dead letters"
        )
        for old, new in done.conflicts:
            print(f"  both {old} and {new} are in the target: merge the two rows there, then run this again")
        for old, reason in done.refused.items():
            print(f"  {old}: the target refused its new id ({reason}); kept, run this again once fixed")
    return 1 if any(done.conflicts or done.refused for done in upgraded) else 0


SUMMARY = "Keeps ERP master data and transactions in agreement with CRM and project systems (a Dagster code location)."
EXIT_CODES = "exit codes: 0 done, 1 a run or a check failed, 2 bad configuration or arguments (said on stderr)"


def pair_names() -> list[str]:
    """The registered pairs' names, which are their modules' (ml_connector_dagster/pairs/), read without importing
    them: the pairs bring Dagster and every asset in, which `--help` and `ping` do not need."""
    package = importlib.util.find_spec("ml_connector_dagster.pairs")
    return sorted(module.name for module in pkgutil.iter_modules(package.submodule_search_locations))


def load_targets() -> list[str]:
    """The systems some pair writes to: the targets of the replay jobs."""
    return sorted({name.split("__")[1] for name in pair_names()})


def build_parser() -> argparse.ArgumentParser:
    pairs, targets = pair_names(), load_targets()
    parser = argparse.ArgumentParser(prog="ml-connector", epilog=EXIT_CODES)
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="what to do; `ml-connector COMMAND --help` says more"
    )

    def command(name: str, summary: str, details: str = "", parent=commands) -> argparse.ArgumentParser:
        return parent.add_parser(name, help=summary, description=f"{summary}. {details}".strip(), epilog=EXIT_CODES)

    demo = command(
        "demo",
        "Sync the sandbox's seeded days and verify source and target agree",
        "Serves the sandbox in this process, runs each pair's initial load and daily partitions on the embedded "
        "Dagster instance, then prints a summary and whether each target agrees with its source.",
    )
    demo.add_argument(
        "--json", action="store_true", help="print the summary as JSON on stdout (progress lines still go to stderr)"
    )
    demo.add_argument("--reset", action="store_true", help="forget sandbox state and the SQLite ledger first")
    demo.set_defaults(run=_demo)
    command(
        "sandbox",
        "Serve every emulator on its fixed loopback port",
        "The eight systems (and Entra ID) as the vendors document them, with seeded data; Ctrl-C stops them.",
    ).set_defaults(run=_sandbox)
    ui = command(
        "ui",
        "The sandbox plus the Dagster UI (dagster dev) on this code location",
        "Stopped together with Ctrl-C.",
    )
    ui.add_argument("--port", type=int, default=3000, help="port of the Dagster UI (default 3000)")
    ui.set_defaults(run=_ui)
    ping = command(
        "ping",
        "One authenticated call to each configured system, and whether the connector fits it",
        "One line per check: the authenticated call, then what the connector needs of that tenant (a service "
        "deployed, keys and fields defined, an API limit with room...); ok with what was found and how long it "
        "took, or FAILED with the reason, the setting to look at and what to do (a section of "
        "docs/operators/<system>.md). One attempt each, no retry: a ping is a check. Exit code 0 when every check "
        "passed, 1 when one failed, 2 when a system's variables are missing or bad.",
    )
    ping.add_argument(
        "--system", action="append", choices=SYSTEMS, help="only this system (repeat for more; default: all)"
    )
    ping.add_argument(
        "--timeout", type=float, default=PING_TIMEOUT, help=f"seconds each call may take (default {PING_TIMEOUT:g})"
    )
    ping.add_argument(
        "--json",
        action="store_true",
        help="one JSON list on stdout instead: {system, check, ok, ms, detail, remedy} per check (ok null: not run)",
    )
    ping.set_defaults(run=_ping)
    connect = command(
        "connect",
        "Store a system's settings and secrets, its secrets encrypted with your key",
        "Asks for them (a secret without echo), or reads them from a file or stdin (JSON, or KEY=VALUE lines; keys as "
        "the variables in docs/operators/configuration.md or the field names), checks them, and stores them in the "
        "ledger's database; a variable that is set wins over a stored value. The key: ML_CONNECTOR_CREDENTIALS_KEY or "
        "a file only you can read named by ML_CONNECTOR_CREDENTIALS_KEY_FILE (docs/operators/credentials.md). "
        "Without a system: what is stored.",
    )
    connect.add_argument("system", nargs="?", choices=SYSTEMS, help="the system whose values to store")
    given = connect.add_mutually_exclusive_group()
    given.add_argument("--from-file", metavar="FILE", help="read the values from FILE (JSON or KEY=VALUE lines)")
    given.add_argument("--stdin", action="store_true", help="read the values from stdin (JSON or KEY=VALUE lines)")
    given.add_argument("--all", action="store_true", help="ask for every setting, not only those a sign-in needs")
    connect.add_argument(
        "--unset", action="append", default=[], metavar="SETTING", help="forget a stored value (repeat for more)"
    )
    connect.add_argument("--by", help="who stores them, kept with the values (default: the OS user)")
    connect.add_argument(
        "--rotate-key",
        action="store_true",
        help="re-encrypt every stored secret, in one transaction, with the key in ML_CONNECTOR_NEW_CREDENTIALS_KEY "
        "(or _FILE)",
    )
    connect.add_argument(
        "--new-key",
        nargs="?",
        const="-",
        metavar="FILE",
        help="make a new key: into FILE (made readable by you only), or without FILE onto stdout",
    )
    connect.set_defaults(run=_connect)
    webhooks = command(
        "webhooks",
        "Receive vendor events into the ledger's inbox",
        "The receiver alone (POST /webhooks/<source>): it needs only the ledger, so it keeps accepting events "
        "while Dagster is down (docs/operators/events.md).",
    )
    webhooks.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    webhooks.add_argument("--port", type=int, default=8090, help="port to listen on (default 8090)")
    webhooks.set_defaults(run=_webhooks)
    initial = command(
        "initial-load",
        "Go-live: every master record of a pair's source into its target, resumable",
        "Runs the pair's initial-load job on the configured Dagster instance; an interrupted load goes on after "
        "its last complete page (docs/operators/go_live.md).",
    )
    initial.add_argument("--pair", required=True, choices=pairs, help="the pair to load")
    initial.add_argument(
        "--restart",
        action="store_true",
        help="read from the first record again, even if an interrupted load could go on",
    )
    initial.add_argument("--page-size", type=int, help="source records per page (1-1000, default 500)")
    initial.set_defaults(run=_initial_load)
    audit_cli.add_parser(command, pairs, _ledger, _in_targets)
    letters = command(
        "dead-letters",
        "List open dead letters (with their ids), or edit one",
        "A dead letter is a record a target refused or the rules could not map (docs/operators/dead_letters.md).",
    )
    replay = command(
        "replay",
        "Re-send open dead letters from their stored payloads, per target",
        "Runs each target's replay job that has matching open dead letters and prints the totals as JSON.",
    )
    for sub in (letters, replay):
        sub.add_argument("--pair", choices=pairs, help="only this pair's dead letters")
        sub.add_argument("--object", help="only this target object, e.g. CustomersV3 or account")
        sub.add_argument("--error-class", type=ErrorClass, choices=list(ErrorClass), help="only this error class")
    letters.add_argument("--json", action="store_true", help="with their stored payloads, as JSON")
    letters.set_defaults(run=_dead_letters, action=None)
    edit = command(
        "edit",
        "Correct what an open dead letter will send, then replay it",
        "The change is recorded in the audit log with who made it.",
        parent=letters.add_subparsers(dest="action", metavar="ACTION", help="without one, the list"),
    )
    edit.add_argument("id", type=int, help="the dead letter's id (#N in the list)")
    edit.add_argument(
        "--set",
        type=_assignment,
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="a dotted path into the payload (header.CustomerGroupId=30); VALUE is JSON if it parses",
    )
    edit.add_argument("--unset", action="append", default=[], metavar="FIELD", help="a dotted path to remove")
    edit.add_argument("--payload-file", metavar="FILE", help="a whole replacement payload (JSON), before --set")
    edit.add_argument("--by", help="who edits, for the audit log (default: the OS user)")
    replay.add_argument("--ids", type=int, nargs="*", default=[], help="only these dead letter ids")
    replay.add_argument("--target", choices=targets, help="only this target system's replay job")
    replay.set_defaults(run=_replay)
    heal = command(
        "heal",
        "Re-send what a target lacks of the records the ledger holds as written",
        "For a target that lost records (a refreshed sandbox): they are forgotten in the ledger, audited as "
        "drifted, and the partitions that send them are rerun.",
    )
    heal.add_argument("--pair", required=True, choices=pairs, help="the pair whose target to heal")
    heal.add_argument("--object", help="only this target object, e.g. account (default: every object of the pair)")
    heal.add_argument("--dry-run", action="store_true", help="only count what the target lacks; forget nothing")
    heal.add_argument("--no-rerun", action="store_true", help="forget, then list the partitions to rerun")
    heal.add_argument("--by", help="who heals, for the audit log (default: the OS user)")
    heal.set_defaults(run=_heal)
    upgrade = command(
        "upgrade-keys",
        "Move the ledger and Dynamics 365 Sales to today's external-id format",
        "From the first format (oracle_ebs:party:1001) to today's (oracle_ebs.party.1001), before the first load "
        "of this version.",
    )
    upgrade.add_argument("--pair", choices=pairs, help="only this pair (default: every pair)")
    upgrade.add_argument("--dry-run", action="store_true", help="only count what would be rekeyed; change nothing")
    upgrade.add_argument("--by", help="who upgrades, for the audit log (default: the OS user)")
    upgrade.set_defaults(run=_upgrade_keys)
    parser.description = f"{SUMMARY} Commands: {', '.join(commands.choices)}."
    return parser


def _quiet_logging() -> None:
    """The CLI's answer is its output: the libraries' own chatter below a warning (Dagster's DEBUG events and
    instance messages, migrations) stays out of it. A run's console log level is the run config's (QUIET,
    PROGRESS)."""
    for name in ("dagster", "alembic", "sqlalchemy"):
        logging.getLogger(name).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _quiet_logging()
    try:
        return args.run(args)
    except (SettingsError, RulesError) as bad:
        for line in str(bad).splitlines():
            print(f"ml-connector: {line}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
