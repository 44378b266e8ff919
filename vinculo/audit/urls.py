from django.urls import path

from vinculo.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.entry_list_view, name="entry_list"),
    path("export.csv", views.export_csv_view, name="export_csv"),
    path("export.jsonl", views.export_jsonl_view, name="export_jsonl"),
    path("verify/", views.verify_view, name="verify"),
]
