"""Pages of the 阳光票决 module: staff pages, residents' 云票决, and the public village pages."""

from django.urls import path

from . import views

app_name = "voting"

urlpatterns = [
    path("", views.motion_list, name="motion_list"),
    path("new/", views.motion_create, name="motion_create"),
    path("record/", views.motion_record, name="motion_record"),
    path("summary/", views.summary, name="summary"),
    path("m/<int:pk>/", views.motion_detail, name="motion_detail"),
    path("m/<int:pk>/act/<slug:action>/", views.motion_act, name="motion_act"),
    path("m/<int:pk>/files/<int:attachment_pk>/", views.attachment_download, name="attachment"),
    path("m/<int:pk>/hall/", views.hall, name="hall"),
    path("m/<int:pk>/hall/<int:resident_pk>/", views.hall_enter, name="hall_enter"),
    path("m/<int:pk>/screen/", views.screen, name="screen"),
    path("m/<int:pk>/tally/", views.tally_fragment, name="tally"),
    path("bodies/<str:code>/", views.bodies, name="bodies"),
    path("bodies/<str:code>/add/<int:resident_pk>/", views.body_add, name="body_add"),
    path("seats/<int:pk>/end/", views.body_end, name="body_end"),
    # residents
    path("my/", views.my_voting, name="my_voting"),
    path("my/suggest/", views.suggest, name="suggest"),
    path("m/<int:pk>/ballot/", views.ballot, name="ballot"),
    # public (no login): the village's 阳光票决 board
    path("v/<str:code>/", views.public_village, name="public_village"),
    path("v/<str:code>/m/<int:pk>/", views.public_motion, name="public_motion"),
    path("v/<str:code>/m/<int:pk>/box.json", views.public_box, name="public_box"),
]
