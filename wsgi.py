"""WSGI entry point for gunicorn and the `flask` command."""

from vistaflow import create_app

app = create_app()
