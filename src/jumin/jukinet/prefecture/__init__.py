"""住基ネット 都道府県サーバ (docs/jukinet.md)."""
