"""accident-online."""
