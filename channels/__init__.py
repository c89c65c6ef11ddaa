"""The messengers: one module per platform (Telegram, Twilio for WhatsApp, Viber) behind one base, and the
registry that builds the ones configured. See docs/adding-a-messenger.md."""
