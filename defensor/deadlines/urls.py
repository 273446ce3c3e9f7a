from django.urls import path

from defensor.deadlines import views

app_name = "feeds"

urlpatterns = [
    path("deadlines/<str:token>.ics", views.deadline_feed_view, name="deadlines"),
]
