"""Report intake: eligibility, validation, idempotent reports from the mobile app backend."""
