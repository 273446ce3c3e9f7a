"""Bad input gets a clear page in the user's language, no stack trace, and changes nothing."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.test import Client

from defensor.accounts.middleware import LAST_SEEN_KEY
from defensor.accounts.models import User
from tests.conftest import PASSWORD


def _no_trace(html: str) -> None:
    assert "Traceback" not in html
    assert "File &quot;" not in html
    assert 'File "' not in html


@pytest.mark.django_db
def test_missing_csrf_token_gets_a_translated_page_and_changes_nothing(
    olga: User, anna: User, verified_client: Callable[[User], Client]
) -> None:
    client = verified_client(olga)
    client.handler.enforce_csrf_checks = True
    response = client.post(f"/staff/users/{anna.pk}/", {"action": "disable"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Срок действия формы истёк" in html
    _no_trace(html)
    anna.refresh_from_db()
    assert anna.is_active


@pytest.mark.django_db
def test_oversized_post_gets_a_translated_page_and_changes_nothing(
    olga: User, verified_client: Callable[[User], Client]
) -> None:
    client = verified_client(olga)
    huge = "я" * (300 * 1024)
    response = client.post("/staff/users/", {"username": "huge", "role": "lawyer", "language": "ru", "note": huge})
    assert response.status_code == 413
    html = response.content.decode()
    assert "Слишком много данных" in html
    _no_trace(html)
    assert not User.objects.filter(username="huge").exists()


@pytest.mark.django_db
def test_expired_session_sends_to_login_with_an_explanation(
    anna: User, verified_client: Callable[[User], Client], settings: object
) -> None:
    client = verified_client(anna)
    assert client.get("/staff/").status_code == 200
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - 31 * 60
    session.save()
    response = client.get("/staff/account/", follow=True)
    assert response.redirect_chain[0][0].startswith("/staff/login/?next=")
    html = response.content.decode()
    assert "Сеанс завершён из-за отсутствия активности" in html
    assert 'lang="ru"' in html
    # and the session really ended: no way back in without logging in again
    assert client.get("/staff/")["Location"].startswith("/staff/login/")


@pytest.mark.django_db
def test_a_busy_session_still_ends_at_its_maximum_length(
    anna: User, verified_client: Callable[[User], Client]
) -> None:
    from django.conf import settings as django_settings

    from defensor.accounts.middleware import LOGIN_AT_KEY

    client = verified_client(anna)
    assert client.get("/staff/").status_code == 200
    session = client.session
    session[LOGIN_AT_KEY] = int(time.time()) - django_settings.SESSION_COOKIE_AGE - 1
    session[LAST_SEEN_KEY] = int(time.time())  # active a moment ago
    session.save()
    response = client.get("/staff/", follow=True)
    assert response.redirect_chain[0][0].startswith("/staff/login/")
    assert "Сеанс достиг максимальной длительности" in response.content.decode()
    assert client.get("/staff/")["Location"].startswith("/staff/login/")


@pytest.mark.django_db
def test_wrong_password_is_a_form_message_in_russian(anna: User) -> None:
    response = Client().post("/staff/login/", {"username": "anna", "password": "wrong password"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Неверное имя для входа или пароль" in html
    _no_trace(html)


@pytest.mark.django_db
def test_unknown_page_is_a_translated_404(anna: User, verified_client: Callable[[User], Client]) -> None:
    response = verified_client(anna).get("/staff/no-such-page/")
    assert response.status_code == 404
    assert "Страница не найдена" in response.content.decode()
    public = Client().get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert public.status_code == 404
    assert "Page not found" in public.content.decode()


@pytest.mark.django_db
def test_user_form_errors_keep_what_was_typed(olga: User, verified_client: Callable[[User], Client]) -> None:
    response = verified_client(olga).post("/staff/users/", {"username": "bad name!", "role": "lawyer",
                                                            "language": "en"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="bad name!"' in html
    assert not User.objects.filter(username="bad name!").exists()


@pytest.mark.django_db
def test_password_is_never_echoed_back(anna: User) -> None:
    response = Client().post("/staff/login/", {"username": "anna", "password": PASSWORD + "x"})
    assert PASSWORD not in response.content.decode()
