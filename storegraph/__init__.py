"""storegraph: application wiring — settings, the ASGI app, the CLI and the demo data."""
