from django.urls import path

from vinculo.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list_view, name="list"),
    path("<int:notification_id>/open", views.notification_open_view, name="open"),
    path("read", views.mark_all_read_view, name="mark_all_read"),
    path("badge", views.badge_view, name="badge"),
]
