"""Restore core: the request (schema + semantic checks), service bodies, ARM steps, the status document."""
