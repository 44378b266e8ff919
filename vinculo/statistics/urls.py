from django.urls import path

from vinculo.statistics import views

app_name = "statistics"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("build", views.build_view, name="build"),
    path("export/<slug:key>.<str:file_format>", views.export_view, name="export"),
]
