"""squall.locale: translations, plural forms and locale-aware formatting."""
