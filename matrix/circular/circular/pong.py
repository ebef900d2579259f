"""Cycle ping <-> pong, both sides by `import`."""
import circular.ping

TAG = "pong@1"


def value():
    return TAG + ">" + circular.ping.TAG
