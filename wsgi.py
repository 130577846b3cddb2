"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi run`."""

from adminapp import create_app

app = create_app()
