from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "jumin.audit"
    label = "audit"
    verbose_name = "監査ログ"
