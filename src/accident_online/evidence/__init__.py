"""Photos and documents of an accident, stored by content hash."""
