"""What people call the parties of a case."""
