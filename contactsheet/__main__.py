from contactsheet.cli import app

app()
