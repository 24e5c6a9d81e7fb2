"""WSGI entry point for gunicorn: ``gunicorn app.hosting.wsgi:server``."""

from app.hosting.server import create_app, warm

application = create_app()
warm(application)  # each worker draws the default view into the shared cache once
server = application.server
