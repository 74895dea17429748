"""Settings shared by every node kind. Values come from the environment (settings/env.py)."""

from __future__ import annotations

import os
from pathlib import Path

from jumin.settings.env import BASE_DIR_DEFAULT, database_settings, env_flag, node_config, secret_key

# var/ below BASE_DIR holds each node's database and keys; JUMIN_HOME moves it.
BASE_DIR = Path(os.environ.get("JUMIN_HOME", BASE_DIR_DEFAULT)).resolve()
VAR_DIR = BASE_DIR / "var"

NODE = node_config()
JUMIN_NODE_KIND = NODE.kind
JUMIN_NODE_CODE = NODE.code
JUMIN_DEMO = NODE.demo

SECRET_KEY = secret_key(demo=NODE.demo)
DEBUG = env_flag("JUMIN_DEBUG", default=False)
ALLOWED_HOSTS = [h for h in os.environ.get("JUMIN_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "jumin.accounts",
    "jumin.audit",
    "jumin.crypto",
    "jumin.masters",
    "jumin.registry",
    "jumin.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "jumin.settings.urls"
WSGI_APPLICATION = "jumin.settings.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jumin.web.context_processors.node",
            ],
        },
    },
]

DATABASES = {
    "default": database_settings(
        os.environ.get("JUMIN_DATABASE_URL", f"sqlite:///var/{NODE.kind}-{NODE.code}.sqlite3"),
        base_dir=BASE_DIR,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Argon2 first (issue 3): new and re-hashed passwords use it; the others only verify old hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SAMESITE = "Strict"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "ja"
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

# Logs never carry personal data (controls.md): only ids, tags and outcomes are logged.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("JUMIN_LOG_LEVEL", "INFO")},
}

# Domain policies (algorithms.md): named settings with the spec's defaults.
JUMIN_POLICIES = {
    "m11_remainder1": os.environ.get("JUMIN_M11_REMAINDER1", "zero"),
    "juminhyo_code_rule": os.environ.get("JUMIN_JUMINHYO_CODE_RULE", "format_only"),
    "atena_serial_length": int(os.environ.get("JUMIN_ATENA_SERIAL_LENGTH", "6")),
}
