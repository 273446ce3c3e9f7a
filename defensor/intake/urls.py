from django.urls import path

from defensor.intake import views

app_name = "intake"

urlpatterns = [
    path("", views.landing_view, name="landing"),
]
