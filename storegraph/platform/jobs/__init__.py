"""Background work that loses nothing: the durable job queue (database or Redis), and the worker that runs it."""
