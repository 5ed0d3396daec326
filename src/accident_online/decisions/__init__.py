"""Officers' liability decisions (定责)."""
