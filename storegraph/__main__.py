"""``python -m storegraph ...`` runs the same CLI as the ``storegraph`` command."""

from storegraph.cli import app

app()
