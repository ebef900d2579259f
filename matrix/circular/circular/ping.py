"""Cycle ping <-> pong, both sides by `import`."""
import circular.pong

TAG = "ping@1"


def value():
    return TAG + ">" + circular.pong.TAG
