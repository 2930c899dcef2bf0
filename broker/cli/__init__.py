"""The ``broker`` command line: serve, migrate, manage keys, and (from later modules) data tasks."""

from __future__ import annotations

import typer

from broker.cli import alerts, data, db, index, keys, quality, serve, taxonomy, users
from broker.cli.output import set_verbosity

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="knowledge-broker: match development knowledge. Results go to standard output; "
    "-v adds INFO logs and progress bars on standard error.",
)


@app.callback()
def main(
    verbose: bool = typer.Option(
        False, "-v", "--verbose", help="Log INFO lines and draw progress bars (on standard error)"
    ),
) -> None:
    """Set how loud every command is, before it runs."""
    set_verbosity(verbose=verbose)


app.command("serve")(serve.serve)
app.add_typer(db.app, name="db")
app.add_typer(index.app, name="index")
app.add_typer(keys.app, name="keys")
app.add_typer(users.app, name="users")
app.add_typer(taxonomy.app, name="taxonomy")
app.add_typer(alerts.app, name="alerts")
app.command("import")(data.import_file)
app.command("export")(data.export_file)
app.command("reindex")(data.reindex)
app.add_typer(data.demo_app, name="demo")
app.command("eval")(quality.eval_command)
app.command("learn")(quality.learn_command)
app.command("eval-suggest")(quality.eval_suggest_command)
