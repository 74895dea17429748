from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "jumin.certificates"
    label = "certificates"
    verbose_name = "証明書"
