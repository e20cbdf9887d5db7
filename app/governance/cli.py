"""flask governance close-due | remind: what the periodic job does, by hand."""

import click

from . import bp
from .motions import close_due_motions, send_due_reminders


@bp.cli.command("close-due")
def close_due():
    """Close every vote whose deadline has passed; end notice periods that are over."""
    click.echo(f"{close_due_motions()} vote(s) closed")


@bp.cli.command("remind")
def remind():
    """Mail members who have not voted on a vote closing within 24 hours (once per vote)."""
    click.echo(f"{send_due_reminders()} reminder(s) sent")
