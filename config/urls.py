"""URL map: each module mounts its own urls; the JSON API lives under /api/v1/."""

from django.urls import include, path

from vinculo.api.api import api

urlpatterns = [
    path("", include("vinculo.web.urls")),
    path("accounts/", include("vinculo.accounts.urls")),
    path("audit/", include("vinculo.audit.urls")),
    path("evidence/", include("vinculo.evidence.urls")),
    path("cases/", include("vinculo.cases.urls")),
    path("exchanges/", include("vinculo.exchanges.urls")),
    path("notifications/", include("vinculo.notifications.urls")),
    path("matching/", include("vinculo.matching.urls")),
    path("statistics/", include("vinculo.statistics.urls")),
    path("reference/", include("vinculo.reference.urls")),
    path("federation/", include("vinculo.federation.urls")),
    path("messaging/", include("vinculo.messaging.urls")),
    path("api/v1/", api.urls),
]

handler400 = "vinculo.web.views.bad_request"
handler403 = "vinculo.web.views.permission_denied"
handler404 = "vinculo.web.views.page_not_found"
handler500 = "vinculo.web.views.server_error"
