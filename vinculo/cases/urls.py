from django.urls import path

from vinculo.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list_view, name="case_list"),
    path("new/", views.case_create_view, name="case_create"),
    path("people/", views.people_search_view, name="people_search"),
    path("import/", views.import_view, name="import"),
    path("import/<uuid:pending_id>/confirm/", views.import_confirm_view, name="import_confirm"),
    path("export.csv", views.export_view, {"file_format": "csv"}, name="export_csv"),
    path("export.xlsx", views.export_view, {"file_format": "xlsx"}, name="export_xlsx"),
    path("export-persons.csv", views.export_persons_view, name="export_persons"),
    path("<str:case_id>/", views.case_detail_view, name="case_detail"),
    path("<str:case_id>/edit/", views.case_edit_view, name="case_edit"),
    path("<str:case_id>/team/", views.team_add_view, name="team_add"),
    path("<str:case_id>/team/<int:user_id>/remove/", views.team_remove_view, name="team_remove"),
    path("<str:case_id>/parties/new/", views.party_add_view, name="party_add"),
    path("<str:case_id>/events/new/", views.event_add_view, name="event_add"),
    path("<str:case_id>/links/", views.link_add_view, name="link_add"),
    path("<str:case_id>/events/<int:event_id>/remove/", views.event_remove_view, name="event_remove"),
    path("<str:case_id>/parties/<int:party_id>/identity/", views.identity_reveal_view, name="identity_reveal"),
    path(
        "<str:case_id>/parties/<int:party_id>/identity/correct/", views.identity_correct_view, name="identity_correct"
    ),
    path("<str:case_id>/parties/<int:party_id>/edit/", views.party_edit_view, name="party_edit"),
    path("<str:case_id>/parties/<int:party_id>/exploitation/", views.exploitation_edit_view, name="exploitation_edit"),
    path("<str:case_id>/parties/<int:party_id>/consent/new/", views.consent_add_view, name="consent_add"),
    path("<str:case_id>/parties/<int:party_id>/charges/new/", views.charge_add_view, name="charge_add"),
    path("<str:case_id>/proceedings/new/", views.proceeding_add_view, name="proceeding_add"),
    path("<str:case_id>/documents/new/", views.document_add_view, name="document_add"),
    path("<str:case_id>/documents/<uuid:document_id>/open/", views.document_open_view, name="document_open"),
    path(
        "<str:case_id>/documents/<uuid:document_id>/withdraw/", views.document_withdraw_view, name="document_withdraw"
    ),
    path("<str:case_id>/proceedings/<int:proceeding_id>/end/", views.proceeding_end_view, name="proceeding_end"),
    path("<str:case_id>/proceedings/<int:proceeding_id>/decisions/new/", views.decision_add_view, name="decision_add"),
    path("<str:case_id>/parties/<int:party_id>/<slug:category>/new/", views.support_add_view, name="support_add"),
]
