"""Chain root: a <- b <- c."""
TAG = "a@1"


def value():
    return TAG


class Thing(object):
    def tag(self):
        return "Thing@1"
