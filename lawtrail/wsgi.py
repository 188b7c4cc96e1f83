import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lawtrail.settings")
application = get_wsgi_application()

# Load every view (and with them PyAV, Pillow, WeasyPrint) when the worker starts, not on
# the first request: the first upload chunk or page should not wait seconds for imports.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns
