from django.urls import path

from vinculo.federation import views

app_name = "federation"

urlpatterns = [
    path("directory", views.directory_view, name="directory"),
    path("keys", views.keys_view, name="keys"),
]
