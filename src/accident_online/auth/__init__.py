"""Sign-in (OAuth2 password and client-credentials grants), roles and people's accounts."""
