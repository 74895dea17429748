from django.apps import AppConfig
from django.core import checks


class CryptoConfig(AppConfig):
    name = "jumin.crypto"
    label = "crypto"
    verbose_name = "暗号鍵"

    def ready(self) -> None:
        from jumin.crypto.checks import check_no_plaintext_individual_number_columns
        from jumin.crypto.keys import check_keyring_at_startup

        checks.register(
            check_no_plaintext_individual_number_columns, checks.Tags.models, checks.Tags.security
        )
        # Outside demo mode a node without its keyring must not start (docs/security.md).
        check_keyring_at_startup()
