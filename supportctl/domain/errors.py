"""The one exception tree. Each subclass has an exit code that is never renumbered."""

from __future__ import annotations


class SupportctlError(Exception):
    """Base of every error supportctl reports to the user as one line."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BelowTarget(SupportctlError):
    """`sla check`: compliance is below `--min`."""

    exit_code = 1


class UsageError(SupportctlError):
    """Bad option values or hostile input (newlines in an ID, non-UTF-8 text, ...)."""

    exit_code = 2


class MailError(UsageError):
    """Bytes handed over as an e-mail message that are no message at all."""


class AlertPayloadError(UsageError):
    """A monitoring webhook payload that is not valid for its format."""


class NotASupportRepo(SupportctlError):
    """No supportctl.yaml found walking up from the current directory."""

    exit_code = 3


class ConfigError(SupportctlError):
    """supportctl.yaml is malformed or names something that does not exist."""

    exit_code = 4


class NotFound(SupportctlError):
    """Unknown ticket ID, customer, article or other name."""

    exit_code = 5


class IllegalTransition(SupportctlError):
    """The action is not allowed in the ticket's current state."""

    exit_code = 6


class DataError(SupportctlError):
    """A ticket, worklog or KB file is malformed (bad YAML or schema), or a symlink in data/."""

    exit_code = 7


class GitError(SupportctlError):
    """Git refused: dirty or conflicted files, missing identity, locked index, ..."""

    exit_code = 8


class LockTimeout(GitError):
    """Another supportctl command held the desk's lock for longer than we wait."""


class ValidationFailed(SupportctlError):
    """`validate` found problems, or `sla check` found compliance below the bar."""

    exit_code = 9


class SyncError(SupportctlError):
    """`sync` could not fetch, integrate or push."""

    exit_code = 10


class MailRefused(SupportctlError):
    """`mail send`: the server refused a message for good (5xx to its recipients or its
    data). It is out of the queue, recorded `failed`; a person must write again another way,
    and no retry can help, so this is not 75."""

    exit_code = 11


class TemporaryFailure(SupportctlError):
    """Worth retrying as it is: a mail server down or unreachable, or one that said "try
    again later". 75 is EX_TEMPFAIL of sysexits.h, which MTAs and cron wrappers read."""

    exit_code = 75


EXIT_CODES: dict[int, str] = {
    0: "success",
    1: "SLA compliance below --min (`sla check`), or an unexpected internal error",
    2: "usage error: bad option or hostile input, or a file that would grow past 2 MiB",
    3: "not inside a support repo",
    4: "configuration error in supportctl.yaml, or a broken or refused template",
    5: "unknown ticket, customer, article or name",
    6: "illegal status move or action",
    7: "malformed ticket, worklog or KB file, or a symbolic link in data/",
    8: "git refused (dirty/conflicted files, no identity, lock held)",
    9: "validation problems found",
    10: "sync failed",
    11: "mail send: the server refused a message for good; recorded failed, no longer queued",
    75: "temporary failure (EX_TEMPFAIL): mail server down or busy; try again later",
}
