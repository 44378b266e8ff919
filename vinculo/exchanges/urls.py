from django.urls import path

from vinculo.exchanges.views import broadcasts, consents, requests, teams

app_name = "exchanges"

urlpatterns = [
    path("", requests.request_list_view, name="request_list"),
    path("new/", requests.request_create_view, name="request_create"),
    path("desk/", requests.desk_view, name="desk"),
    path("broadcasts/", broadcasts.broadcast_list_view, name="broadcast_list"),
    path("broadcasts/new/", broadcasts.broadcast_create_view, name="broadcast_create"),
    path("broadcasts/<uuid:broadcast_id>/", broadcasts.broadcast_detail_view, name="broadcast_detail"),
    path("broadcasts/<uuid:broadcast_id>/<slug:action>/", broadcasts.broadcast_action_view, name="broadcast_action"),
    path("consents/", consents.consent_list_view, name="consent_list"),
    path("consents/<uuid:consent_id>/", consents.consent_detail_view, name="consent_detail"),
    path("consents/<uuid:consent_id>/answer/", consents.consent_answer_view, name="consent_answer"),
    path("teams/", teams.team_list_view, name="team_list"),
    path("teams/new/", teams.team_create_view, name="team_create"),
    path("teams/<uuid:team_id>/", teams.team_detail_view, name="team_detail"),
    path("teams/<uuid:team_id>/<slug:action>/", teams.team_action_view, name="team_action"),
    path("teams/<uuid:team_id>/tasks/<uuid:item_id>/<slug:action>/", teams.task_status_view, name="task_status"),
    path("teams/<uuid:team_id>/documents/<uuid:item_id>/", teams.team_document_view, name="team_document"),
    path("<uuid:request_id>/", requests.request_detail_view, name="request_detail"),
    path("<uuid:request_id>/edit/", requests.request_edit_view, name="request_edit"),
    path("<uuid:request_id>/files/<uuid:file_id>/", requests.request_file_view, name="request_file"),
    path("<uuid:request_id>/<slug:step>/", requests.request_step_view, name="request_step"),
    path(
        "<uuid:request_id>/answers/<uuid:answer_id>/<slug:action>/",
        requests.answer_action_view,
        name="answer_action",
    ),
]
