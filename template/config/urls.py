"""URL routes: admin, health, the OpenAPI schema and docs, and one API per domain.

Each domain's `api/urls.py` is mounted under `/api/<domain>/` automatically.
"""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.domains import DOMAINS, has_api
from core.views import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    *(
        path(f"api/{domain}/", include(f"apps.{domain}.api.urls"))
        for domain in DOMAINS
        if has_api(domain)
    ),
]
