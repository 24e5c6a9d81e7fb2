"""WSGI entry point for gunicorn: ``gunicorn app.hosting.wsgi:server``."""

from app.hosting.server import create_app

application = create_app()
server = application.server
