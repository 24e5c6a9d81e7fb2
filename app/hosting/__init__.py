"""Hosting a linflow instance: the Dash app factory (``server``), security headers, CSP and
/health (``security``), the WSGI entry point (``wsgi``) and the Celery worker pools
(``worker``; the Celery app itself is ``app.basin.tasks``). With the pages, the only layer that
imports flask and dash."""
