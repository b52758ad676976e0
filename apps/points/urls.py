"""Pages of the 积分制 module (views.py): staff pages, the resident's own pages, the public board."""

from django.urls import path

from . import views

app_name = "points"

urlpatterns = [
    path("", views.index, name="index"),
    # applications and their two signatures
    path("applications/", views.application_list, name="application_list"),
    path("applications/new/", views.application_create, name="application_create"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/approve/", views.application_approve, name="application_approve"),
    path("applications/<int:pk>/countersign/", views.application_countersign, name="application_countersign"),
    path("applications/<int:pk>/reject/", views.application_reject, name="application_reject"),
    path("applications/<int:pk>/appeal/", views.application_appeal, name="application_appeal"),
    path("applications/<int:pk>/photo/", views.application_photo, name="application_photo"),
    # accounts and the ledger
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("entries/<int:pk>/reverse/", views.entry_reverse, name="entry_reverse"),
    # rulebooks
    path("rulebooks/", views.rulebook_list, name="rulebook_list"),
    path("rulebooks/<int:pk>/", views.rulebook_detail, name="rulebook_detail"),
    path("rulebooks/<int:pk>/draft/", views.version_draft, name="version_draft"),
    path("versions/<int:pk>/items/", views.item_save, name="item_save"),
    path("versions/<int:pk>/publish/", views.version_publish, name="version_publish"),
    # points store
    path("stores/", views.store_list, name="store_list"),
    path("stores/<int:pk>/", views.store_detail, name="store_detail"),
    path("stores/<int:pk>/windows/", views.window_add, name="window_add"),
    path("stores/<int:pk>/goods/", views.goods_create, name="goods_create"),
    path("stores/<int:pk>/counter/", views.counter, name="counter"),
    path("stores/<int:pk>/reconciliation/", views.reconciliation, name="reconciliation"),
    path("goods/<int:pk>/stock/", views.goods_stock, name="goods_stock"),
    path("redemptions/<int:pk>/", views.receipt, name="receipt"),
    path("redemptions/<int:pk>/hand-over/", views.redemption_hand_over, name="redemption_hand_over"),
    path("redemptions/<int:pk>/cancel/", views.redemption_cancel, name="redemption_cancel"),
    # time bank
    path("activities/", views.activity_list, name="activity_list"),
    path("activities/<int:pk>/", views.activity_detail, name="activity_detail"),
    path("activities/<int:pk>/signup/", views.activity_signup, name="activity_signup"),
    path("signups/<int:pk>/", views.signup_action, name="signup_action"),
    # honour board
    path("board/", views.board, name="board"),
    path("v/<str:code>/", views.public_board, name="public_board"),
    # a resident's own pages
    path("my/", views.my, name="my"),
    path("my/shop/", views.shop, name="shop"),
    path("my/hours/", views.my_hours, name="my_hours"),
]
