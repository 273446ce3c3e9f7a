import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()


def _refuse_unsafe_start() -> None:
    """Whatever server loads us, do not serve with a missing or weak secret (defensor.E00x)."""
    from django.core import checks
    from django.core.exceptions import ImproperlyConfigured

    serious = [message for message in checks.run_checks(tags=[checks.Tags.security]) if message.is_serious()]
    if serious:
        raise ImproperlyConfigured("; ".join(f"{m.id}: {m.msg} {m.hint or ''}".strip() for m in serious))


_refuse_unsafe_start()
