from django.urls import include, path

from vinculo.messaging import views

app_name = "messaging"

urlpatterns = [
    path("inbox", views.inbox_view, name="inbox"),
    path("blobs/", include("vinculo.messaging.blob_views")),  # attachments' chunks (ADR 0018)
    path("", views.health_view, name="health"),
    path("sent/", views.sent_list_view, name="sent_list"),
    path("sent/<uuid:message_id>/", views.sent_detail_view, name="sent_detail"),
    path("received/", views.received_list_view, name="received_list"),
    path("received/<str:sender>/<uuid:message_id>/", views.received_detail_view, name="received_detail"),
    path("refused/", views.refused_list_view, name="refused_list"),
    path("directory/", views.directory_view, name="directory"),
]
