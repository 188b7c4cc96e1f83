import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lawtrail.settings")
application = get_wsgi_application()

# Load every view (and with them PyAV, Pillow, WeasyPrint) when the worker starts, not on
# the first request: the first upload chunk or page should not wait seconds for imports.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns

# And what the first upload or case page would otherwise load in each worker: Pillow's
# image plugins (20 ms of a video's probe) and the regulation profiles (parsed, validated).
from PIL import Image  # noqa: E402

from lawtrail.regulations.profiles import profiles  # noqa: E402

Image.init()
profiles()
