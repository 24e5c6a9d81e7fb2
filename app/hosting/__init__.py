"""Hosting a linflow instance: the Dash app factory (``server``), security headers, CSP and
/health (``security``), the WSGI entry point (``wsgi``), Celery (``celery_app``) and its worker
pools (``worker``). The only layer besides the pages that imports flask and dash."""
