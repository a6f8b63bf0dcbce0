"""Backup now and protection changes (stop, suspend, resume, delete) of a protected datasource."""
