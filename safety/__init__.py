"""Safety: recognising trafficking and danger signs in a message, before anything else answers it."""
