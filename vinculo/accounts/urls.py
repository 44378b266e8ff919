from django.urls import path

from vinculo.accounts.views import administration, profile, signin

app_name = "accounts"

urlpatterns = [
    path("login/", signin.login_view, name="login"),
    path("login/verify/", signin.login_verify_view, name="login_verify"),
    path("login/enrol/", signin.login_enrol_view, name="login_enrol"),
    path("logout/", signin.logout_view, name="logout"),
    path("profile/", profile.profile_view, name="profile"),
    path("password/", profile.password_change_view, name="password_change"),
    path("security/", profile.security_view, name="security"),
    path("security/enrol/", signin.enrol_view, name="enrol"),
    path("security/recovery-codes/", signin.recovery_codes_view, name="recovery_codes"),
    path("users/", administration.user_list_view, name="user_list"),
    path("users/new/", administration.user_create_view, name="user_create"),
    path("users/<int:user_id>/", administration.user_detail_view, name="user_detail"),
    path("users/<int:user_id>/<slug:action>/", administration.user_action_view, name="user_action"),
]
