"""The exceptions and warnings compatreload raises."""


class ReloadError(ImportError):
    """A reload was refused or could not be done. The message names the
    module and the cause; nothing was changed when it is raised (but what
    a rollback could not put back, which the message then names)."""


class SourceChangedError(ReloadError):
    """A source file changed while it was being reloaded (a save in
    progress); everything was rolled back. Reloading again once the file
    is complete succeeds."""


class ExtensionNotReloadedWarning(RuntimeWarning):
    """A C extension module was involved: its code cannot be re-initialised
    in a running process, so its old code keeps running."""


class StaleBindingWarning(RuntimeWarning):
    """A binding could not be pointed at a new object: the reloaded module
    no longer defines the name, or a function could not be upgraded in place."""
