"""circular: two import cycles, one per import style."""
TAG = "circular@1"
