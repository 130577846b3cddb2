"""Command-line tools (`flask ...`). Each one parses input and calls a service."""

from __future__ import annotations

import signal
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from models import db

from .config import PRODUCTION
from .demo import load_demo_data
from .errors import DomainError
from .services.accounts import create_staff
from .services.audit import Actor
from .services.outbox import deliver_due, delivery_configured
from .services.personal_data import rotate_encryption
from .services.reports import forget_kept_months


@click.command("create-staff")
@with_appcontext
@click.option("--email", prompt=True, help="The staff member's email (their login).")
@click.option("--name", prompt=True, help="The staff member's full name.")
def create_staff_command(email: str, name: str) -> None:
    """Create a staff user for the back office. The password is asked for, never an argument."""
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_staff(email, name, password, actor=Actor.for_system("cli"))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Staff user {user.email} created; log in at {current_app.config['BASE_URL']}/login")


@click.command("demo-data")
@with_appcontext
def demo_data_command() -> None:
    """Load demo customers, users, catalog and orders (development only; safe to rerun)."""
    if current_app.config["KUNDPORTAL_ENV"] == PRODUCTION:
        raise click.ClickException("demo-data refuses to run in production mode.")
    summary = load_demo_data(actor=Actor.for_system("demo"))
    db.session.commit()
    click.echo(f"Demo data ready ({summary.created} objects created).")
    click.echo(f"Log in at {current_app.config['BASE_URL']}/login as:")
    for who, email, password in summary.logins:
        click.echo(f"  {email:<38} {password:<18} {who}")
    click.echo(
        "To try onboarding: in the back office, Onboarding → Applications has one to approve, "
        "and Outbox holds the link with which Vårdcentralen Syd AB's signatory signs its "
        "agreement (BankID simulator, or an SMS code from the SMS log)."
    )


@click.group("outbox")
def outbox_group() -> None:
    """Deliver queued email."""


def _no_server_message() -> str:
    return (
        "MAIL_SERVER is not set: emails stay in the outbox, readable in the back office "
        "(Outbox). Set MAIL_SERVER (and MAIL_PORT, ...) to deliver them."
    )


@outbox_group.command("send")
@with_appcontext
def outbox_send_command() -> None:
    """Deliver every email that is due, then exit."""
    if not delivery_configured():
        raise click.ClickException(_no_server_message())
    counts = deliver_due()
    click.echo(
        f"Sent {counts['sent']}, to retry {counts['retry']}, failed for good {counts['failed']}."
    )


@outbox_group.command("worker")
@with_appcontext
def outbox_worker_command() -> None:
    """Keep delivering email as it becomes due, until stopped (SIGINT or SIGTERM)."""
    if not delivery_configured():
        if current_app.config["KUNDPORTAL_ENV"] == PRODUCTION:
            raise click.ClickException(_no_server_message())
        click.echo(_no_server_message())
        return
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    poll = current_app.config["OUTBOX_POLL_SECONDS"]
    click.echo(f"Delivering email through {current_app.config['MAIL_SERVER']} every {poll}s.")
    while not stopping:
        try:
            counts = deliver_due()
        except Exception:  # a database hiccup must not end the worker
            db.session.rollback()
            current_app.logger.exception("Outbox run failed; trying again")
            counts = {}
        if any(counts.values()):
            click.echo(f"{counts}")
        try:
            time.sleep(poll)
        except KeyboardInterrupt:
            break


@click.group("encryption")
def encryption_group() -> None:
    """Personal data encrypted at rest (DATA_ENCRYPTION_KEYS)."""


@encryption_group.command("rotate")
@with_appcontext
def encryption_rotate_command() -> None:
    """Re-encrypt every stored personal number and e-ID evidence under the newest key.

    Put the new key first in DATA_ENCRYPTION_KEYS, keep the old ones after it, restart the
    portal, run this; then the old keys can be removed."""
    counts = rotate_encryption()
    click.echo(f"Re-encrypted under the newest key: {sum(counts.values())} values.")
    for column, count in counts.items():
        click.echo(f"  {column}: {count}")


@click.group("reports")
def reports_group() -> None:
    """The Reports page's figures."""


@reports_group.command("recount")
@with_appcontext
def reports_recount_command() -> None:
    """Forget the months over that Reports keeps, so its next visit counts them again from the
    orders: after orders were imported or changed outside the portal."""
    months = forget_kept_months()
    db.session.commit()
    click.echo(f"Forgot {months} kept months: Reports counts them again on its next visit.")


def register_cli(app) -> None:
    app.cli.add_command(create_staff_command)
    app.cli.add_command(demo_data_command)
    app.cli.add_command(outbox_group)
    app.cli.add_command(encryption_group)
    app.cli.add_command(reports_group)
