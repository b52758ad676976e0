from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("otp/", views.otp_view, name="otp"),
    path("phone/", views.phone_login, name="phone_login"),
    path("phone/code/", views.phone_code_send, name="phone_code"),
    path("profile/", views.profile, name="profile"),
    path("profile/password/", views.password_change, name="password_change"),
    path("profile/tokens/", views.token_create, name="token_create"),
    path("profile/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/<int:user_id>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:user_id>/roles/", views.role_grant, name="role_grant"),
    path("staff/<int:user_id>/roles/<int:assignment_id>/revoke/", views.role_revoke, name="role_revoke"),
    path("staff/<int:user_id>/unlock/", views.staff_unlock, name="staff_unlock"),
    path("staff/<int:user_id>/password/", views.staff_password_reset, name="staff_password_reset"),
]
