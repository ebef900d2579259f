"""The other portion: imports across portions."""
from nsfixture import alpha

TAG = "beta@1"


def value():
    return TAG + ">" + alpha.TAG
