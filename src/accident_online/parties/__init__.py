"""The parties of a case: how people call them, the identifiers they type, and their masks."""
