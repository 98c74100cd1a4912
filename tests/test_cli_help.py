"""Help texts a person reads: every command has help for every option, and no markup leaks."""

from __future__ import annotations

import click
import pytest
import typer
from typer.testing import CliRunner

from close.cli.commands import app

COMMAND = typer.main.get_command(app)


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
    return found


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = COMMAND
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


@pytest.mark.parametrize("path", _commands(COMMAND), ids=" ".join)
def test_help_reads_as_text(path: tuple[str, ...]) -> None:
    done = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    for leak in ("<bool>", "<str>", "{run_id}", "``", "`close", "`celery"):
        assert leak not in done.output, f"{' '.join(path)} --help shows {leak!r}"


@pytest.mark.parametrize("path", _commands(COMMAND), ids=" ".join)
def test_every_option_says_what_it_does(path: tuple[str, ...]) -> None:
    command = _command(path)
    silent = [p.opts[0] for p in command.params if isinstance(p, click.Option) and not p.help]
    assert not silent, f"{' '.join(path)}: options without help: {silent}"
