"""証明書 (certificates): 住民票の写し and 除票の写し, certifiers and seals, 発行番号, 交付履歴, signing."""

import logging

# WeasyPrint reports every rendering step at INFO, some while it is imported; a node's log keeps ids and
# outcomes, not rendering chatter. Set here, before any module of this package imports WeasyPrint.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
logging.getLogger("fontTools").setLevel(logging.WARNING)
