from django.urls import include, path
from django.views.i18n import set_language

from defensor.reports.views import public_release_view

urlpatterns = [
    path("", include("defensor.intake.urls")),
    path("staff/", include("defensor.staff.urls")),
    path("feeds/", include("defensor.deadlines.urls")),
    path("language/", set_language, name="set_language"),
    path("reports/<int:release_number>/", public_release_view, name="public-release"),
]

handler400 = "defensor.core.views.bad_request"
handler403 = "defensor.core.views.forbidden"
handler404 = "defensor.core.views.not_found"
handler500 = "defensor.core.views.server_error"
