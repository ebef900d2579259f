"""pure: one-way imports only (a chain and a diamond)."""
TAG = "pure@1"
