"""The project's URLs with the evidence pages mounted at /evidence/ (if the project does not mount them yet)."""

from django.urls import include, path

from config import urls as project

_mounted = any(getattr(pattern, "namespace", None) == "evidence" for pattern in project.urlpatterns)

urlpatterns = [*project.urlpatterns]
if not _mounted:
    urlpatterns.append(path("evidence/", include("vinculo.evidence.urls")))

handler400 = project.handler400
handler403 = project.handler403
handler404 = project.handler404
handler500 = project.handler500
