from django.urls import path

from vinculo.evidence import views

app_name = "evidence"

urlpatterns = [
    path("", views.entry_list_view, name="entry_list"),
    path("verify/", views.verify_view, name="verify"),
]
