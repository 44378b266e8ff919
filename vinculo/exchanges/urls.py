from django.urls import path

from vinculo.exchanges.views import requests

app_name = "exchanges"

urlpatterns = [
    path("", requests.request_list_view, name="request_list"),
    path("new/", requests.request_create_view, name="request_create"),
    path("desk/", requests.desk_view, name="desk"),
    path("<uuid:request_id>/", requests.request_detail_view, name="request_detail"),
    path("<uuid:request_id>/<slug:step>/", requests.request_step_view, name="request_step"),
]
