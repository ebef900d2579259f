"""Diamond root: base <- left, right <- top."""
__all__ = ["TAG", "base_value"]

TAG = "base@1"


def base_value():
    return TAG
