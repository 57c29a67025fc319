"""Generated TikTok "Ad authorization" screenshots (and emails carrying them) for the OCR tests."""
