"""supportctl: a command-line helpdesk that keeps its tickets in git."""

__version__ = "0.1.0"
