"""The database: one declarative base, engine and unit-of-work sessions, migrations."""
