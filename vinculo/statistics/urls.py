from django.urls import path

from vinculo.statistics import views

app_name = "statistics"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("build", views.build_view, name="build"),
    path("export/<slug:key>.<str:file_format>", views.export_view, name="export"),
    path("reports/", views.reports_view, name="reports"),
    path("reports/send", views.send_report_view, name="send_report"),
    path("regional/", views.regional_view, name="regional"),
    path("regional/export/<slug:key>.<str:file_format>", views.regional_export_view, name="regional_export"),
]
