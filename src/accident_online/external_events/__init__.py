"""Signed events partner systems send us: claims, mediation outcomes, court decisions."""
