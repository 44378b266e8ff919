from django.urls import path

from vinculo.messaging import views

app_name = "messaging"

urlpatterns = [
    path("inbox", views.inbox_view, name="inbox"),
]
