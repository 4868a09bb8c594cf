"""URL routes: admin, API tokens, the OpenAPI schema and docs, and one API per domain.

Each domain's `api/urls.py` is mounted under `/api/<domain>/` automatically; nothing
else lives under `/api/`, so no domain name can collide with another route. `/health/`
is answered by `core.middleware.HealthCheckMiddleware`, before any route.
"""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView
from modulith.domains import has_api
from rest_framework.permissions import AllowAny, BasePermission, IsAdminUser

from core.api import ObtainTokenView, SchemaView

# A database outage anywhere (a middleware loading the session, the admin) answers 503.
handler500 = "core.exceptions.server_error"
# A path no route matches answers the API's error format (a page under the admin's).
handler404 = "core.exceptions.not_found"

docs_permissions: list[type[BasePermission]] = [
    AllowAny if settings.API_DOCS_PUBLIC else IsAdminUser
]

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path(
        "api-schema/",
        SchemaView.as_view(permission_classes=docs_permissions),
        name="schema",
    ),
    path(
        "api-docs/",
        # The split view serves its script from this URL: no inline script, which the
        # Content-Security-Policy (core/middleware.py) refuses.
        SpectacularSwaggerSplitView.as_view(url_name="schema", permission_classes=docs_permissions),
        name="api-docs",
    ),
    *(
        path(f"api/{domain}/", include(f"apps.{domain}.api.urls"))
        for domain in settings.DOMAINS
        if has_api(domain, settings.BASE_DIR)
    ),
]
if "debug_toolbar" in settings.INSTALLED_APPS:
    # Local settings only (config/settings/local.py): the toolbar's own pages.
    urlpatterns.append(path("__debug__/", include("debug_toolbar.urls")))
