"""Protection of 個人番号 at rest: AES-GCM encryption with key ids, HMAC blind index, key rotation."""
