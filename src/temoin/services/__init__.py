"""Service functions: each owns one transaction (state change + audit entry, or nothing)."""
