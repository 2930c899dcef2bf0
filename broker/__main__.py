from broker.cli import app

app(prog_name="broker")
