from django.apps import AppConfig


class CryptoTestAppConfig(AppConfig):
    name = "tests.crypto.testapp"
    label = "crypto_testapp"
    default_auto_field = "django.db.models.BigAutoField"
