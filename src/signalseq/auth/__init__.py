"""People who use the web app: accounts with argon2 password hashes, roles, sessions."""
