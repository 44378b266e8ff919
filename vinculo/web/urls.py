from django.urls import path

from vinculo.web import views

app_name = "web"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("language/", views.set_language_view, name="set_language"),
]
