from django.urls import path

from vinculo.exchanges import views

app_name = "exchanges"

urlpatterns = [
    path("", views.request_list_view, name="request_list"),
    path("new/", views.request_create_view, name="request_create"),
    path("desk/", views.desk_view, name="desk"),
    path("<uuid:request_id>/", views.request_detail_view, name="request_detail"),
    path("<uuid:request_id>/<slug:step>/", views.request_step_view, name="request_step"),
]
