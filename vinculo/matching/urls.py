from django.urls import path

from vinculo.matching import views

app_name = "matching"

urlpatterns = [
    path("", views.query_list_view, name="query_list"),
    path("new", views.query_create_view, name="query_create"),
    path("<uuid:query_id>", views.query_detail_view, name="query_detail"),
    path("hits", views.hit_list_view, name="hit_list"),
    path("hits/<int:hit_id>", views.hit_detail_view, name="hit_detail"),
    path("hits/<int:hit_id>/decide", views.hit_decide_view, name="hit_decide"),
    path("crossmatch", views.crossmatch_view, name="crossmatch"),
    path("volumes", views.volumes_view, name="volumes"),
]
