import six
from six.moves import range, urllib  # noqa: F401
from six.moves.urllib.parse import urljoin

TAG = "client@1"


def link(path):
    return urljoin("http://example.invalid/" + TAG + "/", path)


def count():
    return len(list(range(3))) + len(six.moves.urllib.parse.quote("a b"))
