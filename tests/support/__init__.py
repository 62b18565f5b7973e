"""Helpers the job queue and worker tests share, and the worker process the crash test kills."""
