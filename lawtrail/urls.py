from django.urls import include, path

from lawtrail.api import api
from lawtrail.media import api as media_api
from lawtrail.media import tus

urlpatterns = [
    path("api/uploads/", tus.uploads, name="tus_uploads"),
    path("api/uploads/<str:upload_id>", tus.uploads, name="tus_upload"),
    path("media/stream/<str:token>", media_api.stream, name="media_stream"),
    path("api/", api.urls),
    path("", include("lawtrail.web.urls")),
]

# Chinese error pages in the site's layout (Django's own are English).
handler403 = "lawtrail.web.error_views.forbidden"
handler404 = "lawtrail.web.error_views.not_found"
handler500 = "lawtrail.web.error_views.server_error"
