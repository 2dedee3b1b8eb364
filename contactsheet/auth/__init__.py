"""Admin authentication: password, signed access tokens, refresh sessions, login rate limit."""
