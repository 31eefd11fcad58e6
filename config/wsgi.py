"""The WSGI application of ``runserver`` (``WSGI_APPLICATION``) and gunicorn: Django's handler
with the app's request class (``courses/wsgi.py``: requests that survive any charset)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
django.setup(set_prefix=False)  # what django.core.wsgi.get_wsgi_application does first

from courses.wsgi import WSGIHandler  # noqa: E402  (needs the apps loaded)

application = WSGIHandler()
