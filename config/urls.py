from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("", include("defensor.intake.urls")),
    path("staff/", include("defensor.staff.urls")),
    path("feeds/", include("defensor.deadlines.urls")),
    path("language/", set_language, name="set_language"),
]

handler400 = "defensor.core.views.bad_request"
handler403 = "defensor.core.views.forbidden"
handler404 = "defensor.core.views.not_found"
handler500 = "defensor.core.views.server_error"
