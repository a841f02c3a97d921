"""Every exception the package raises on purpose, in one place.

Messages say what went wrong, where, what was allowed, what was received and a hint.
The command line prints ``str(exc)`` on one line and exits with ``exc.exit_code``.
"""

from __future__ import annotations


class PipelineError(Exception):
    """Base class: an expected failure with a one-line, user-facing message."""

    exit_code = 1


class ConfigError(PipelineError):
    """The configuration (YAML or flags) is invalid. Lists every problem with its key path."""

    exit_code = 2

    def __init__(self, problems: list[str] | str, source: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [problems]
        self.problems = list(problems)
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(where + "; ".join(self.problems))


class InputError(PipelineError):
    """The input dump cannot be read or does not have the columns the config names."""

    exit_code = 3


class DictionaryError(PipelineError):
    """A dictionary, stopword or lexicon file is malformed (reported by line)."""

    exit_code = 2


class StageError(PipelineError):
    """A stage was given a frame without the columns it needs, or produced a broken one."""

    exit_code = 4


class NotFittedError(PipelineError, ValueError):
    """A model was used before ``fit``."""

    exit_code = 4


class LockError(PipelineError):
    """Another run holds the output folder's lock."""

    exit_code = 5


class EngineError(PipelineError):
    """The configured engine cannot run the partitions: the Dask scheduler cannot be reached
    or has no workers, its workers cannot run this project's code, or a worker died under a
    partition (killed, out of memory)."""

    exit_code = 6
