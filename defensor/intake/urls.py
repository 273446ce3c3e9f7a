from django.urls import path

from defensor.intake import views

app_name = "intake"

urlpatterns = [
    path("", views.landing_view, name="landing"),
    path("request/", views.request_view, name="request"),
    path("request/saved/", views.saved_view, name="saved"),
    path("receipt/", views.receipt_view, name="receipt"),
    path("receipt/message/", views.receipt_message_view, name="receipt-message"),
    path("receipt/withdraw/", views.receipt_withdraw_view, name="receipt-withdraw"),
]
