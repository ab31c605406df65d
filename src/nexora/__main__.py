from nexora.cli.main import app

app()
