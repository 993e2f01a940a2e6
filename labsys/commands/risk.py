"""``labsys risk``: risk early warning (issue 17) from the command line.

``signals`` lists the ranked warnings; other risk commands (grades, proposed plans) join
this group.
"""

from __future__ import annotations

import click


@click.group("risk")
def risk_group():
    """Risk early warning: signals, enterprise grades and risk-based plans."""


def _add_grading_commands() -> None:
    """``grades`` and ``propose`` (labsys.commands.grading) join the group."""
    from labsys.commands.grading import grades_command, propose_command

    risk_group.add_command(grades_command)
    risk_group.add_command(propose_command)


_add_grading_commands()
