# Type stubs for the public API of compatreload (see README.md).
import threading
from types import ModuleType
from typing import Any, Callable, Dict, Iterable, List, Literal, Optional, Tuple, Union

__version__: str
__all__: List[str]

#: "__builtin__.reload" | "imp.reload" | "importlib.reload"
RELOAD_IMPL: str

def reload(module: ModuleType) -> ModuleType: ...

class ReloadError(ImportError): ...
class ExtensionNotReloadedWarning(RuntimeWarning): ...
class StaleBindingWarning(RuntimeWarning): ...

_Target = Union[ModuleType, str]
_Names = Union[str, Iterable[str]]
_Callback = Callable[[Optional[List[str]], Optional[BaseException]], object]
#: What watch(backend=...) accepts; Watcher.backend is what it chose.
_Backend = Literal["auto", "polling", "watchdog"]

def purge(name: str, submodules: bool = ...) -> List[str]: ...
def deep_reload(
    target: Union[_Target, List[_Target], Tuple[_Target, ...]],
    exclude: _Names = ...,
    rebind: bool = ...,
    upgrade: bool = ...,
    dry_run: bool = ...,
) -> List[str]: ...
def rebind(old: Dict[str, Any], new: ModuleType, exclude: _Names = ...) -> List[Tuple[str, str]]: ...
def changed(names: Optional[_Names] = ...) -> List[str]: ...

class Watcher:
    backend: Literal["polling", "watchdog"]
    interval: float
    callback: Optional[_Callback]
    upgrade: bool
    thread: Optional[threading.Thread]
    def __init__(
        self,
        names: Optional[_Names] = ...,
        interval: float = ...,
        callback: Optional[_Callback] = ...,
        exclude: _Names = ...,
        upgrade: bool = ...,
        settle_polls: int = ...,
        backend: _Backend = ...,
    ) -> None: ...
    def __enter__(self) -> Watcher: ...
    def __exit__(self, *exc_info: object) -> None: ...
    def watched(self) -> List[str]: ...
    def check(self) -> List[str]: ...
    def start(self) -> Watcher: ...
    def stop(self, timeout: Optional[float] = ...) -> None: ...

def watch(
    names: Optional[_Names] = ...,
    interval: float = ...,
    callback: Optional[_Callback] = ...,
    exclude: _Names = ...,
    upgrade: bool = ...,
    start: bool = ...,
    settle_polls: int = ...,
    backend: _Backend = ...,
) -> Watcher: ...
