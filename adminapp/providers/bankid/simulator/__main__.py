"""python -m adminapp.providers.bankid.simulator: serve a local BankID until Ctrl+C."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path

from ...personal_number import normalise_personal_number
from . import DEFAULT_PENDING_STEPS, DEFAULT_PERSON, BankIDSimulator, Person


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m adminapp.providers.bankid.simulator",
        description="A local BankID RP API v6.0 (mutual TLS) with a page to approve orders.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8443, help="HTTPS RP API port (8443)")
    parser.add_argument("--control-port", type=int, default=8444, help="control page port (8444)")
    parser.add_argument(
        "--certs-dir",
        type=Path,
        default=Path("instance/bankid-sim"),
        help="where the certificates are made once and then reused (instance/bankid-sim)",
    )
    parser.add_argument(
        "--manual",
        action="store_true",
        help="orders wait at userSign until approved on the control page",
    )
    parser.add_argument("--personal-number", default=DEFAULT_PERSON.personal_number)
    parser.add_argument("--given-name", default=DEFAULT_PERSON.given_name)
    parser.add_argument("--surname", default=DEFAULT_PERSON.surname)
    parser.add_argument(
        "--steps",
        default=",".join(DEFAULT_PENDING_STEPS),
        help="pending hint codes, one per collect (default %(default)s)",
    )
    return parser.parse_args(argv)


def _raise_keyboard_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    try:
        personal_number = normalise_personal_number(args.personal_number)
    except ValueError as exc:
        print(f"--personal-number: {exc}", file=sys.stderr)
        return 2
    person = Person(
        personal_number, f"{args.given_name} {args.surname}", args.given_name, args.surname
    )
    steps = tuple(step.strip() for step in args.steps.split(",") if step.strip())
    simulator = BankIDSimulator(
        person,
        auto_approve=not args.manual,
        pending_steps=steps,
        certs_dir=args.certs_dir,
        host=args.host,
        port=args.port,
        control_port=args.control_port,
    )
    # The handler only raises: taking a lock in a signal handler (Event.set) deadlocks when a
    # second signal lands while the first one's handler holds it, and a simulator stuck that
    # way keeps its ports, so the next `bin/run` cannot start one. Installed before it says it
    # serves, so that whoever reads that may stop it at once.
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    # Ctrl+C too, explicitly: started in the background by a script (bin/run, CI), a process
    # inherits SIGINT ignored, and Python then leaves it ignored.
    signal.signal(signal.SIGINT, _raise_keyboard_interrupt)
    simulator.start()
    try:
        _serve_until_stopped(simulator, person, args.manual)
    except KeyboardInterrupt:
        pass
    finally:
        # Stopping takes a moment; more Ctrl+C or TERM signals must not interrupt it.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        simulator.stop()
    print("BankID simulator stopped.", flush=True)
    return 0


def _serve_until_stopped(simulator: BankIDSimulator, person: Person, manual: bool) -> None:
    mode = "manual (approve on the control page)" if manual else "auto-approve"
    print(
        "BankID simulator (RP API v6.0)\n"
        f"  API:      {simulator.base_url}\n"
        f"  control:  {simulator.control_url}\n"
        f"  mode:     {mode}\n"
        f"  person:   {person.name}, {person.personal_number}\n"
        "Point the portal at it with:\n"
        f"  BANKID_API_URL={simulator.base_url}\n"
        f"  BANKID_CERT={simulator.client_cert.resolve()}\n"
        f"  BANKID_KEY={simulator.client_key.resolve()}\n"
        f"  BANKID_CA_CERT={simulator.ca_cert.resolve()}\n"
        "Ctrl+C stops it.",
        flush=True,
    )
    while True:
        signal.pause()


if __name__ == "__main__":
    sys.exit(main())
