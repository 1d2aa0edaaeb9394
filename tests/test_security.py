import os
import secrets
import subprocess
import sys

import pytest

pytestmark = pytest.mark.django_db

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "agenda.example.org",
    "SITE_URL": "https://agenda.example.org",
}


def test_check_deploy_is_clean_with_production_settings():
    harness = {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # test settings, never a deployment's
    environment = {**{k: v for k, v in os.environ.items() if k not in harness}, **PRODUCTION}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("path", ["/", "/submit/", "/venues/", "/api/v1/events/", "/api/docs/"])
@pytest.mark.parametrize("visit", ["first", "again (from the response cache)"])
def test_every_page_carries_the_security_headers(client, path, visit):
    response = client.get(path)
    if visit != "first":
        response = client.get(path)
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_plain_http_is_redirected_but_health_checks_are_not(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/?when=today")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/?when=today"
    assert client.get("/healthz").status_code == 200
    secure = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert secure.status_code == 200
