"""WSGI entry point for `jumin serve` and production servers."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jumin.settings.base")
application = get_wsgi_application()
