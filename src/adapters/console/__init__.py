"""The console channel: messages printed to the terminal, for development."""
