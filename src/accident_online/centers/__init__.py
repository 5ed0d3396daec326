"""The nine remote liability centers: configuration, live state and routing of cases."""
