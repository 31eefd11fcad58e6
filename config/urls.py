from django.contrib import admin
from django.urls import include, path, re_path

from courses.api.operations import metrics_view
from courses.api.urls import NoSuchEndpointApi

urlpatterns = [
    path("admin/", admin.site.urls),
    path("metrics", metrics_view, name="metrics"),
    path("api/v1/", include("courses.api.urls")),
    # After every versioned route: any other path under /api/ is a 404 in the one error shape.
    re_path(r"^api/", NoSuchEndpointApi.as_view(), name="api-not-found"),
    path("", include("courses.web.urls")),
]
