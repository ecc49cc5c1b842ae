"""Pure functions that turn messy identifiers into canonical ones."""
