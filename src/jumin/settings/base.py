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
    # 団体内統合宛名 (docs/atena.md): a municipality's; installed on every node kind like the other apps,
    # its delivery step runs only at a municipality (atena.tasks).
    "jumin.atena",
    "jumin.audit",
    "jumin.certificates",
    "jumin.crypto",
    # The 入管連携端末 (M10) relay and the simulated 出入国在留管理庁 (O1): installed everywhere, used by
    # nodes of those kinds only (docs/workflows/immigration-link.md).
    "jumin.immigration",
    "jumin.jukinet.cs",
    "jumin.jukinet.national",
    "jumin.jukinet.prefecture",
    "jumin.jukinet.prefecture.provision",
    "jumin.masters",
    "jumin.messaging",
    "jumin.registry",
    "jumin.web",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "jumin.web.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Terminal identity, request id, second factor and idle lock (controls.md C-3, C-33; docs/security.md).
    "jumin.accounts.middleware.RequestContextMiddleware",
    # Optional single sign-on from a fronting reverse proxy (standard 10.3-a); off unless configured.
    "jumin.accounts.sso.SingleSignOnMiddleware",
    "jumin.accounts.middleware.SessionGuardMiddleware",
    # Unexpected server errors become audit entries (standard 10.2-b; docs/security.md).
    "jumin.audit.errors.ErrorLogMiddleware",
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

# Background jobs (EUC extractions) are rows in this database, run by the task worker that `jumin serve`
# starts (jumin.task_worker), never inside the clerk's request (standard 10.1-c; ADR 0001).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

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
    # Keyboard runs, repeated characters and the last 5 passwords are refused (controls.md C-6).
    {"NAME": "jumin.accounts.validators.PatternedPasswordValidator"},
    {"NAME": "jumin.accounts.validators.PasswordHistoryValidator", "OPTIONS": {"history": 5}},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# Security foundation (docs/security.md). Idle lock 60–300 s, default 300 (controls.md C-33, D-1);
# lockout after 5 consecutive failures (C-5, §12.2); WebAuthn relying party (issue 3 item 1).
JUMIN_IDLE_LOCK_SECONDS = int(os.environ.get("JUMIN_IDLE_LOCK_SECONDS", "300"))
if not 60 <= JUMIN_IDLE_LOCK_SECONDS <= 300:
    raise ValueError("JUMIN_IDLE_LOCK_SECONDS must be between 60 and 300 (controls.md D-1)")
JUMIN_LOCKOUT_THRESHOLD = 5
JUMIN_PASSWORD_HISTORY = 5
JUMIN_WEBAUTHN_RP_ID = os.environ.get("JUMIN_WEBAUTHN_RP_ID", "localhost")
JUMIN_WEBAUTHN_RP_NAME = "Jumin 住民記録システム"
JUMIN_WEBAUTHN_ORIGINS = [
    o for o in os.environ.get("JUMIN_WEBAUTHN_ORIGINS", "http://localhost:8000").split(",") if o
]
JUMIN_TERMINAL_COOKIE = "jumin_terminal"
# Single sign-on (standard 10.3-a; docs/operations.md): the header a fronting reverse proxy sets to the
# authenticated 職員ID, trusted only from these proxy addresses (IPs or networks). Empty: off.
JUMIN_SSO_HEADER = os.environ.get("JUMIN_SSO_HEADER", "")
JUMIN_SSO_TRUSTED_PROXIES = [
    a for a in os.environ.get("JUMIN_SSO_TRUSTED_PROXIES", "").replace(" ", "").split(",") if a
]
if JUMIN_SSO_HEADER and not JUMIN_SSO_TRUSTED_PROXIES:
    raise ValueError("JUMIN_SSO_HEADER needs JUMIN_SSO_TRUSTED_PROXIES (docs/operations.md)")

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

# 個人番号 keyring (docs/security.md): a JSON file, or a directory holding individual-number-keyring.json.
# Demo and test mode generate it on first use; outside demo mode a missing keyring stops the node at start-up.
JUMIN_CRYPTO_KEYRING = BASE_DIR / os.environ.get(
    "JUMIN_CRYPTO_KEYRING", "var/keys/individual-number-keyring.json"
)
# Node-to-node messaging (docs/network.md): keys, certificate and peers.json in JUMIN_NODE_DIR; the
# node port (mutual TLS, peers only) listens on JUMIN_NODE_LISTEN, apart from the clerk site.
JUMIN_NODE_DIR = BASE_DIR / os.environ.get("JUMIN_NODE_DIR", "var/node")
JUMIN_NODE_LISTEN = os.environ.get("JUMIN_NODE_LISTEN", "127.0.0.1:8443")
# Error reports (mail_admins) mask anything that may be a 個人番号, even when a middleware failed (C-54).
DEFAULT_EXCEPTION_REPORTER_FILTER = "jumin.crypto.reporting.IndividualNumberReporterFilter"

# Domain policies (algorithms.md): named settings with the spec's defaults.
JUMIN_POLICIES = {
    "m11_remainder1": os.environ.get("JUMIN_M11_REMAINDER1", "zero"),
    "juminhyo_code_rule": os.environ.get("JUMIN_JUMINHYO_CODE_RULE", "format_only"),
    "atena_serial_length": int(os.environ.get("JUMIN_ATENA_SERIAL_LENGTH", "6")),
}
# How long a 一時解除 (temporary release of a suppression) lasts before it reverts by itself (std 3.1-d).
JUMIN_TEMPORARY_RELEASE_MINUTES = int(os.environ.get("JUMIN_TEMPORARY_RELEASE_MINUTES", "30"))
# Most drafts one 一括本登録 may commit (standard 4.0.8-c; docs/workflows/review.md).
JUMIN_BULK_COMMIT_CAP = int(os.environ.get("JUMIN_BULK_COMMIT_CAP", "50"))
# Days after the removal date before a 転出 without 転入通知 is listed as 未着 (std 4.1.3.1.4-a).
JUMIN_MOVE_IN_NOTICE_WAIT_DAYS = int(os.environ.get("JUMIN_MOVE_IN_NOTICE_WAIT_DAYS", "14"))
# File link with the program systems (地域情報プラットフォーム, std 7.2.1-a; docs/workflows/programs.md):
# <dir>/<unit>/in is read, taken files go to done/, results and resident-data files to out/. Units run
# only when named with their system account ("national_health_insurance=link-nhi;family_register=…").
JUMIN_PROGRAM_LINK_DIR = BASE_DIR / os.environ.get("JUMIN_PROGRAM_LINK_DIR", "var/program-link")
JUMIN_PROGRAM_LINK_UNITS = dict(
    item.split("=", 1) for item in os.environ.get("JUMIN_PROGRAM_LINK_UNITS", "").split(";") if "=" in item
)
JUMIN_PROGRAM_LINK_INTERVAL_SECONDS = int(os.environ.get("JUMIN_PROGRAM_LINK_INTERVAL_SECONDS", "300"))
# Years after removal before a 除票 moves to the 除票データベース (std 1.1.5-e, 9.3-a; default 5).
JUMIN_REMOVED_ARCHIVE_YEARS = os.environ.get("JUMIN_REMOVED_ARCHIVE_YEARS", "5")
