"""The shared case record: statuses, timeline, who may see what."""
