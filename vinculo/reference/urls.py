from django.urls import path

from vinculo.reference import views

app_name = "reference"

urlpatterns = [
    path("", views.index_view, name="index"),
    path("crossings/", views.crossing_list_view, name="crossing_list"),
    path("crossings/<str:code>/", views.crossing_edit_view, name="crossing_edit"),
    path("provisions/", views.provision_list_view, name="provision_list"),
    path("provisions/new/", views.provision_add_view, name="provision_add"),
    path("provisions/import/", views.provision_import_view, name="provision_import"),
    path("provisions/<int:pk>/", views.provision_edit_view, name="provision_edit"),
    path("provisions/<int:pk>/<slug:action>/", views.provision_state_view, name="provision_state"),
    path("codes/<slug:key>/", views.code_list_view, name="code_list"),
    path("codes/<slug:key>/<str:value>/", views.code_edit_view, name="code_edit"),
]
